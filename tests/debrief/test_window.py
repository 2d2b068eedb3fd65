"""Consent, the one reminder, expiry, and the summary sent when the window closes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from storage.models import Job
from tests.debrief.helpers import (
    ENDS,
    INTRO,
    NEEDS_CONSENT,
    Q_NOT_WORKED,
    Q_WORKED,
    REMINDER,
    SUMMARY,
    anonymous_answers,
    cohort,
    got,
    named_answers,
    prompt_count,
    rounds,
    session,
    until_ended,
)
from tests.harness import BotHarness


async def test_a_no_to_debrief_consent_means_no_questions_at_all(bot: BotHarness) -> None:
    await cohort(bot, "ana", "ben")
    await bot.send("ana", "/consent debrief no")
    await session(bot)
    await until_ended(bot)
    await bot.advance(timedelta(days=4))
    assert not [m for m in bot.to("ana") if "Story circle" in m.text and m.at >= ENDS]
    assert got(bot, "ben", INTRO)
    [debrief] = await rounds(bot)
    assert debrief.invited == 1
    assert "no debrief waiting" in await bot.ask("ana", "/debrief")


async def test_unanswered_consent_gets_one_note_and_no_reminder(bot: BotHarness) -> None:
    await cohort(bot, "ana", consent=False)
    await session(bot)
    await until_ended(bot)
    [note] = got(bot, "ana", NEEDS_CONSENT)
    assert "/consent debrief yes" in note.text
    assert not got(bot, "ana", Q_WORKED)
    # the pending note is not a question: text is not taken as an answer
    assert "didn't understand" in await bot.ask("ana", "It was fine")
    assert "needs your permission" in await bot.ask("ana", "/debrief")
    await bot.advance(timedelta(hours=30))
    assert len(got(bot, "ana", NEEDS_CONSENT)) == 1
    assert not got(bot, "ana", REMINDER)
    assert await named_answers(bot) == []
    # once they agree, /debrief starts the questions
    await bot.send("ana", "/consent debrief yes")
    started = await bot.ask("ana", "/debrief")
    assert INTRO in started
    assert Q_WORKED in started
    assert Q_NOT_WORKED in await bot.ask("ana", "Good pace")
    assert len(await named_answers(bot)) == 1
    [debrief] = await rounds(bot)
    assert (debrief.invited, debrief.responded) == (1, 1)


async def test_withdrawing_consent_midway_stops_storing(bot: BotHarness) -> None:
    await cohort(bot, "ana")
    await session(bot)
    await until_ended(bot)
    await bot.send("ana", "Good pace")
    await bot.send("ana", "/consent debrief no")
    reply = await bot.ask("ana", "The room was cold")
    assert "did not keep this answer" in reply
    # what she gave before withdrawing stays, without her name (handlers/debrief/withdrawal.py)
    assert await named_answers(bot) == []
    assert [t for _q, _c, t in await anonymous_answers(bot)] == ["Good pace"]
    assert "didn't understand" in await bot.ask("ana", "3")


async def test_one_gentle_reminder_after_a_day_then_nothing(bot: BotHarness) -> None:
    await cohort(bot, "ana", "ben", "cy")
    await session(bot)
    await until_ended(bot)
    await bot.send("ana", "Good pace")  # ana answered: no reminder for her
    await bot.advance(timedelta(hours=24))
    [reminder] = got(bot, "ben", REMINDER)
    assert reminder.at == ENDS + timedelta(hours=24)
    assert Q_WORKED in reminder.text
    assert reminder.choices == ("Skip",)
    assert not got(bot, "ana", REMINDER)
    # the reminder's question is answered like the first one
    assert got(bot, "cy", REMINDER)
    assert Q_NOT_WORKED in await bot.ask("cy", "Fine")
    await bot.advance(timedelta(days=3))
    assert len(got(bot, "ben", REMINDER)) == 1


async def test_the_reminder_waits_for_the_end_of_quiet_hours(bot: BotHarness) -> None:
    await cohort(bot, "ana")
    await session(bot)
    await until_ended(bot)
    # 16:30 in Berlin tomorrow is now inside ana's quiet hours: the reminder waits until 18:00
    await bot.send("ana", "/quiet 14:00-18:00")
    await bot.advance(timedelta(hours=26))
    [reminder] = got(bot, "ana", REMINDER)
    assert reminder.at == datetime(2026, 12, 2, 17, 0, tzinfo=UTC)


async def test_the_prompt_expires_and_late_answers_are_not_kept(bot: BotHarness) -> None:
    await cohort(bot, "ana")
    await session(bot)
    await until_ended(bot)
    await bot.advance(timedelta(hours=72))
    assert "didn't understand" in await bot.ask("ana", "Great session")
    assert "no debrief waiting" in await bot.ask("ana", "/debrief")
    assert await named_answers(bot) == []
    [debrief] = await rounds(bot)
    assert debrief.closed_at == ENDS + timedelta(hours=72)
    assert await prompt_count(bot) == 0  # delivery state goes with the window


async def test_facilitators_get_the_summary_once_when_the_window_closes(
    bot: BotHarness,
) -> None:
    await cohort(bot, "ana", "ben", "cy", facilitator="fay")
    await session(bot)
    await until_ended(bot)
    for name, worked, rating in (
        ("ana", "The breakout rooms", "5"),
        ("ben", "Breakout room talks", "4"),
        ("cy", "Music at the start", "4"),
    ):
        for text in (worked, "skip", "skip", rating, "Doing well"):
            await bot.send(name, text)
    await bot.advance(timedelta(hours=71))
    assert not got(bot, "fay", SUMMARY)
    await bot.advance(timedelta(hours=2))
    [summary] = got(bot, "fay", SUMMARY)
    assert summary.at == ENDS + timedelta(hours=72)
    text = summary.text
    assert "Answered: 3 of 3 (100%)" in text
    assert "Rating: average 4.3 from 3 answers" in text
    assert "5: ▇ 1" in text
    assert "4: ▇▇ 2" in text
    assert "Doing well 3" in text
    assert "“breakout” (2 answers):" in text
    assert "“The breakout rooms” — ana" in text
    assert "“Music at the start” — cy" in text
    assert not got(bot, "coord", SUMMARY)  # the cohort has a facilitator
    # a second close job for the same round (a retry, a duplicate) sends nothing twice
    async with bot.db.transaction() as db:
        job = (await db.execute(select(Job).where(Job.kind == "debrief.close"))).scalar_one()
        db.add(
            Job(
                kind="debrief.close",
                due_at=bot.clock.now(),
                payload=dict(job.payload),
                status="pending",
                attempts=0,
                idempotency_key="debrief.close:duplicate",
                cohort_id=job.cohort_id,
                created_at=bot.clock.now(),
            )
        )
    await bot.advance(timedelta(minutes=5))
    assert len(got(bot, "fay", SUMMARY)) == 1


async def test_with_fewer_than_three_answers_nothing_but_the_rate_is_shown(
    bot: BotHarness,
) -> None:
    await cohort(bot, "ana", "ben", "cy", facilitator="fay")
    await session(bot)
    await until_ended(bot)
    for name in ("ana", "ben"):
        for text in ("Loved the breakout rooms", "skip", "skip", "2", "Struggling"):
            await bot.send(name, text)
    await bot.advance(timedelta(hours=73))
    [summary] = got(bot, "fay", SUMMARY)
    assert "Answered: 2 of 3" in summary.text
    assert "Fewer than 3 people answered" in summary.text
    assert "breakout" not in summary.text
    assert "Rating" not in summary.text
    assert "Struggling" not in summary.text
    assert "ana" not in summary.text
    on_demand = await bot.ask("coord", "/debriefs 1")
    assert "Fewer than 3 people answered" in on_demand
    assert "breakout" not in on_demand
