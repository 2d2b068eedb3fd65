"""Typed answers with several questions open: the one question the text fits gets it; a fit
to several, or to none, asks which question it is for (never the newest by default)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from storage.models import ConsentRecord, PendingQuestion, SessionRsvp
from tests.consent.helpers import cohort, recorded_session
from tests.debrief.helpers import Q_NOT_WORKED, Q_WORKED, named_answers, until_ended
from tests.debrief.helpers import session as debrief_session
from tests.harness import BotHarness

START = datetime(2026, 12, 5, 14, 0, tzinfo=UTC)  # the recorded session (Berlin 15:00)


async def _rsvp_and_checkin(bot: BotHarness) -> None:
    """ben has the session's RSVP question (yes / no / maybe) and, newer, the recording
    check-in (Yes, that's fine / No / Not for this session) open."""
    await cohort(bot, "ben")
    await recorded_session(bot)
    await bot.advance(START - timedelta(hours=47) - bot.clock.now())
    assert "Yes, that's fine" in bot.last("ben").choices


async def _rsvps(bot: BotHarness) -> list[str]:
    async with bot.db.transaction() as db:
        return list((await db.execute(select(SessionRsvp.answer))).scalars())


async def _consents(bot: BotHarness) -> list[tuple[str, str]]:
    async with bot.db.transaction() as db:
        rows = await db.execute(select(ConsentRecord.scope, ConsentRecord.answer))
        return [(scope, answer) for scope, answer in rows.all()]


async def test_text_that_fits_only_the_older_question_answers_it(bot: BotHarness) -> None:
    await _rsvp_and_checkin(bot)
    reply = await bot.ask("ben", "maybe")  # only the RSVP has "maybe"
    assert "Noted: maybe" in reply
    assert await _rsvps(bot) == ["maybe"]
    assert ("recording", "no") not in await _consents(bot)


async def test_text_that_fits_both_asks_which_and_then_takes_it(bot: BotHarness) -> None:
    await _rsvp_and_checkin(bot)
    reply = await bot.ask("ben", "no")
    assert reply == (
        "You have 2 open questions and I can't tell which one “no” answers. "
        "Which question is it for?"
    )
    choices = bot.last("ben").choices
    assert len(choices) == 2
    assert choices[0].startswith("Yes, that's fine / No")  # the newest first
    assert choices[1] == "yes / no / maybe"
    assert await _rsvps(bot) == [] and ("recording", "no") not in await _consents(bot)
    reply = await bot.ask("ben", "2")  # the RSVP
    assert "Noted: no" in reply
    assert await _rsvps(bot) == ["no"]
    # the check-in is still open, and now "no" fits it alone
    assert "You won't be asked about it again" in await bot.ask("ben", "no")
    assert ("recording", "no") in await _consents(bot)


async def test_text_that_fits_none_asks_which_then_shows_its_choices(bot: BotHarness) -> None:
    await _rsvp_and_checkin(bot)
    reply = await bot.ask("ben", "perhaps later")
    assert "I can't tell which one “perhaps later” answers" in reply
    reply = await bot.ask("ben", "yes / no / maybe")
    assert reply == "Please answer with one of the choices: its number or its name."
    assert bot.last("ben").choices == ("yes", "no", "maybe")
    assert "Noted: yes" in await bot.ask("ben", "yes")


async def test_the_question_the_persons_last_command_asked_takes_a_shared_answer(
    bot: BotHarness,
) -> None:
    await _rsvp_and_checkin(bot)
    await bot.ask("ben", "/forgetme")
    reply = await bot.ask("ben", "2")  # fits all three: the erasure question is the one asked
    assert "Nothing was erased" in reply or "nothing was erased" in reply.lower()
    assert await _rsvps(bot) == []


async def test_arabic_which_question_in_the_persons_language(bot: BotHarness) -> None:
    await _rsvp_and_checkin(bot)
    await bot.ask("ben", "/language ar")
    reply = await bot.ask("ben", "لا")
    assert "لديك سؤالان مفتوحان" in reply


async def test_a_written_answer_is_never_kept_while_asking_which(bot: BotHarness) -> None:
    """A debrief question (any text fits) and an RSVP question open: "yes" fits both. The
    "which one?" question keeps only the choice it picked in the RSVP, never the text; picking
    the debrief asks for the answer again, and the next text goes there."""
    from tests.debrief.helpers import cohort

    await cohort(bot, "ana")
    await debrief_session(bot)
    await bot.send("coord", '/addsession "Next" 2026-12-10 15:00')  # an RSVP question for ana
    await until_ended(bot)
    assert Q_WORKED in bot.last_text("ana")
    reply = await bot.ask("ana", "yes")
    assert "I can't tell which one “yes” answers" in reply
    async with bot.db.transaction() as db:
        payloads = [q.payload for q in (await db.execute(select(PendingQuestion))).scalars()]
    assert not any("yes" in str(p.get("text", "")) for p in payloads)
    [written] = [c for c in bot.last("ana").choices if c.startswith("A written answer")]
    assert await bot.ask("ana", written) == "Please send your answer to that question again."
    assert Q_NOT_WORKED in await bot.ask("ana", "The pairs")
    assert [t for _p, _q, _c, t in await named_answers(bot)] == ["The pairs"]
    assert await _rsvps(bot) == []
