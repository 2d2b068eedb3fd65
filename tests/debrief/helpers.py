"""Shared helpers for the debrief tests: a cohort whose members said yes to storing debrief
answers, a session that has ended, what reached whom, and what the database holds."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from bot.adapters.console import ConsoleMessage
from storage.models import (
    AnonymousDebriefAnswer,
    DebriefAnswer,
    DebriefPrompt,
    DebriefRound,
    PendingQuestion,
)
from storage.repositories.people import find_identity
from tests.conftest import START
from tests.harness import BotHarness

# Wording from the English catalog (locales/en/LC_MESSAGES/debrief.po).
INTRO = "has ended. Could you answer 5 short questions"
Q_WORKED = "1/5 What worked well for you?"
Q_NOT_WORKED = "2/5 What did not work so well?"
Q_CHANGE = "3/5 What would you change next time?"
Q_RATING = "4/5 How would you rate the session"
Q_WELLBEING = "5/5 And how are you doing?"
THANKS = "Thank you! Your answers are saved"
REMINDER = "A gentle reminder"
NEEDS_CONSENT = "I only keep debrief answers with your permission"
SUMMARY = "The debrief window has closed"
TALK_OFFER = "Would you like to talk with someone?"
TOO_FEW = "Fewer than 3 people answered"

# A session on Tuesday 2026-12-01, 15:00-16:30 in Berlin (14:00-15:30 UTC): it has ended, and
# the prompts gone out, 6.5 hours after the harness's start (09:00 UTC).
SESSION_WHEN = "2026-12-01 15:00"
ENDS = datetime(2026, 12, 1, 15, 30, tzinfo=START.tzinfo)


async def cohort(
    bot: BotHarness,
    *people: str,
    consent: bool = True,
    zone: str = "Europe/Berlin",
    facilitator: str | None = None,
) -> str:
    """coord creates "Bridges"; each person joins (English, no zone of their own) and, with
    `consent`, says yes to storing debrief answers. `facilitator` joins and gets that role."""
    code = await bot.new_cohort("coord", "Bridges", zone)
    for name in people:
        await bot.send(name, f"/join {code}")
        if consent:
            reply = await bot.ask(name, "/consent debrief yes")
            assert "yes" in reply, reply
    if facilitator is not None:
        await bot.send(facilitator, f"/join {code}")
        reply = await bot.ask("coord", f"/role {facilitator} facilitator")
        assert facilitator in reply, reply
    return code


async def session(bot: BotHarness, when: str = SESSION_WHEN, extra: str = "") -> None:
    reply = await bot.ask("coord", f'/addsession "Story circle" {when} {extra}'.strip())
    if "Scheduled #" not in reply and bot.last("coord").choices:
        reply = await bot.ask("coord", "1")  # schedule it anyway (someone's night)
    assert "Scheduled #" in reply, reply


async def until_ended(bot: BotHarness) -> list[ConsoleMessage]:
    """Advance the clock to just after the session ended (prompts are out then)."""
    return await bot.advance(ENDS - bot.clock.now() + timedelta(minutes=1))


def got(bot: BotHarness, name: str, marker: str) -> list[ConsoleMessage]:
    return [m for m in bot.to(name) if marker in m.text]


async def person_id(bot: BotHarness, name: str) -> int:
    async with bot.db.transaction() as db:
        found = await find_identity(db, "console", name)
        assert found is not None
        return found.person_id


async def named_answers(bot: BotHarness) -> list[tuple[int, str, str | None, str | None]]:
    """(person id, question, choice, text) of every named answer."""
    async with bot.db.transaction() as db:
        rows = await db.execute(select(DebriefAnswer).order_by(DebriefAnswer.id))
        return [(a.person_id, a.question, a.choice, a.text) for a in rows.scalars()]


async def anonymous_answers(bot: BotHarness) -> list[tuple[str, str | None, str | None]]:
    async with bot.db.transaction() as db:
        rows = await db.execute(select(AnonymousDebriefAnswer))
        return sorted((a.question, a.choice, a.text) for a in rows.scalars())


async def rounds(bot: BotHarness) -> list[DebriefRound]:
    async with bot.db.transaction() as db:
        found = await db.execute(select(DebriefRound).order_by(DebriefRound.id))
        return list(found.scalars())


async def prompt_count(bot: BotHarness) -> int:
    async with bot.db.transaction() as db:
        return int(await db.scalar(select(func.count()).select_from(DebriefPrompt)) or 0)


async def pending_question(bot: BotHarness, name: str) -> PendingQuestion:
    """The newest question waiting for `name`'s answer."""
    pid = await person_id(bot, name)
    async with bot.db.transaction() as db:
        found = await db.execute(
            select(PendingQuestion)
            .where(PendingQuestion.person_id == pid)
            .order_by(PendingQuestion.created_at.desc(), PendingQuestion.id.desc())
            .limit(1)
        )
        question: PendingQuestion = found.scalar_one()
        db.expunge(question)
        return question


async def answer_all(
    bot: BotHarness,
    name: str,
    worked: str = "skip",
    not_worked: str = "skip",
    change: str = "skip",
    rating: str = "skip",
    wellbeing: str = "skip",
) -> str:
    """Answer the five questions in order; returns the last reply."""
    reply = ""
    for text in (worked, not_worked, change, rating, wellbeing):
        reply = await bot.ask(name, text)
    return reply


async def texts_by_round(bot: BotHarness) -> list[tuple[int, str | None]]:
    """(round id, text) of every named free-text answer."""
    async with bot.db.transaction() as db:
        rows = await db.execute(select(DebriefAnswer).where(DebriefAnswer.text.is_not(None)))
        return [(a.round_id, a.text) for a in rows.scalars()]
