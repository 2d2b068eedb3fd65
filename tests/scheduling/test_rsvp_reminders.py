"""sessions, rsvp and reminders: what each person sees, when, in their zone and language."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from storage.models import Job, OutboxMessage
from storage.models.core import MessageStatus
from tests.harness import BotHarness
from tests.scheduling.helpers import add, counts, make_cohort, texts


def sent_at(bot: BotHarness, name: str, pattern: str) -> list[datetime]:
    return [m.at for m in bot.sent if m.to == name and re.search(pattern, m.text)]


async def weekly(bot: BotHarness, people: dict[str, tuple[str, str | None]] | None = None) -> None:
    """A weekly Tuesday 15:00 Berlin session from Dec 8 (09:00 NY, 23:00 Tokyo)."""
    await make_cohort(bot, people)
    await add(bot, '/addsession "Circle" 2026-12-08 15:00 for 1h every week until 2027-01-26')


async def test_sessions_are_listed_in_the_readers_zone_and_language(bot: BotHarness) -> None:
    await weekly(bot)
    await add(bot, '/addsession "Kickoff" 2026-12-03 16:00')
    ana = await bot.ask("ana", "/sessions")
    assert ana.index('#2 "Kickoff"') < ana.index('#1 "Circle"')  # soonest first
    assert re.search(r"Thursday, December 3, 2026 at 10:00\s?AM \(GMT-5\)", ana)
    assert re.search(r"Tuesday, December 8, 2026 at 9:00\s?AM", ana)
    assert "every week until Tue, Jan 26, 2027" in ana
    assert "your answer: no answer yet" in ana
    chen = await bot.ask("chen", "/sessions")
    assert "martes, 8 de diciembre de 2026, 11:00" in chen
    assert "cada semana" in chen and "tu respuesta: aún sin respuesta" in chen
    staff = await bot.ask("coord", "/sessions")
    assert "answers: yes 0 · maybe 0 · no 0 · no answer 4" in staff


async def test_rsvp_by_command_for_the_next_date_a_given_date_or_all(bot: BotHarness) -> None:
    await weekly(bot)
    reply = await bot.ask("ana", "/rsvp 1 yes")
    assert re.search(r'Noted: yes for "Circle" on Tuesday, December 8, 2026 at 9:00\s?AM', reply)
    reply = await bot.ask("ana", "/rsvp 1 2026-12-15 no")
    assert "December 15" in reply and "won't get reminders" in reply
    reply = await bot.ask("chen", "/rsvp 1 all quizás")
    assert "Anotado: quizás para todas las fechas" in reply
    reply = await bot.ask("coord", "/sessions 1")
    assert re.search(
        r"Answers for Tue, Dec 8:\n\s+yes: ana\n\s+maybe: chen\n\s+no: —\n\s+no answer yet: coord and bo",
        reply,
    )
    assert re.search(r"December 15, 2026.*your answer: no answer yet", reply)
    ana = await bot.ask("ana", "/sessions 1")
    assert re.search(r"December 8, 2026.*your answer: yes", ana)
    assert re.search(r"December 15, 2026.*your answer: no", ana)
    assert "Answers for" not in ana  # members do not see everyone's answers


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("/rsvp 1 perhaps", r'"perhaps" is not an answer I know'),
        ("/rsvp 9 yes", r'There is no session "9"'),
        ("/rsvp 1", r"Write it like /rsvp 2 yes"),
        ("/rsvp 1 2026-12-09 yes", r"does not meet on 2026-12-09.*Tue, Dec 8"),
        ("/rsvp 1 someday yes", r'"someday" is not a date'),
    ],
)
async def test_bad_rsvp_changes_nothing(bot: BotHarness, command: str, expected: str) -> None:
    await weekly(bot)
    before = await counts(bot)
    reply = await bot.ask("ana", command)
    assert re.search(expected, reply, re.DOTALL), reply
    assert await counts(bot) == before


async def test_reminders_24h_and_1h_before_in_local_time_none_after_no(bot: BotHarness) -> None:
    await weekly(bot, {"ana": ("America/New_York", None), "dee": ("Europe/Lisbon", None)})
    await bot.ask("dee", "/rsvp 1 no")
    mark = len(bot.sent)
    await bot.advance(timedelta(days=7, hours=6))  # to Dec 8 15:00 UTC, past the first session
    ana = [m for m in bot.sent[mark:] if m.to == "ana" and "Reminder" in m.text]
    assert [m.at for m in ana] == [
        datetime(2026, 12, 7, 14, 0, tzinfo=UTC),
        datetime(2026, 12, 8, 13, 0, tzinfo=UTC),
    ]
    assert re.search(
        r'"Circle" starts in 24 hours: Tuesday, December 8, 2026 at 9:00\s?AM \(America/New_York',
        ana[0].text,
    )
    assert "starts in 1 hour" in ana[1].text
    assert ana[0].choices == ("yes", "no", "maybe")
    assert not [t for t in texts(bot, "dee", mark) if "Reminder" in t]
    # Answering "no" on the 24 h reminder stops the 1 h one, for that date only.
    await bot.advance(timedelta(days=5, hours=23))  # Dec 14 14:00 UTC: the next 24 h reminder
    assert "starts in 24 hours" in bot.last_text("ana")
    assert "Noted: no" in await bot.ask("ana", "no")
    mark = len(bot.sent)
    await bot.advance(timedelta(days=1))
    assert not [t for t in texts(bot, "ana", mark) if "Reminder" in t]
    await bot.advance(timedelta(days=6))  # the week after: reminders again
    assert any("Reminder" in t for t in texts(bot, "ana", mark))


async def test_quiet_hours_are_respected_exactly(bot: BotHarness) -> None:
    await weekly(bot, {"bo": ("Asia/Tokyo", None)})
    await bot.advance(timedelta(days=7, hours=6))
    # 24 h before (Dec 7 23:00 Tokyo) and 1 h before (Dec 8 22:00 Tokyo) are both in 22-08:
    # each moves to 21:59 that evening, and never after the start.
    assert sent_at(bot, "bo", "Reminder") == [
        datetime(2026, 12, 7, 12, 59, tzinfo=UTC),
        datetime(2026, 12, 8, 12, 59, tzinfo=UTC),
    ]
    await bot.ask("bo", "/quiet 23:30-07:00")
    mark = len(bot.sent)
    await bot.advance(timedelta(days=7))
    # With quiet hours from 23:30 the reminders keep their times: 23:00 and 22:00 in Tokyo.
    assert [m.at for m in bot.sent[mark:] if m.to == "bo" and "Reminder" in m.text] == [
        datetime(2026, 12, 14, 14, 0, tzinfo=UTC),
        datetime(2026, 12, 15, 13, 0, tzinfo=UTC),
    ]


async def test_a_rolling_horizon_keeps_reminders_coming_and_includes_new_members(
    bot: BotHarness,
) -> None:
    code = await make_cohort(bot, {"ana": ("America/New_York", None)})
    await add(bot, '/addsession "Open" 2026-12-08 15:00 weekly')
    async with bot.db.transaction() as session:
        jobs = list(
            (await session.execute(select(Job).where(Job.kind == "scheduling.reminder"))).scalars()
        )
    assert all(j.due_at < datetime(2026, 12, 10, tzinfo=UTC) for j in jobs)  # only the horizon
    await bot.ask("eve", "/timezone Africa/Nairobi")
    await bot.ask("eve", f"/join {code}")
    await bot.advance(timedelta(weeks=6, hours=5))  # to Jan 12, 14:00 UTC
    assert len(sent_at(bot, "ana", "Reminder")) == 12  # six Tuesdays, two reminders each
    eve = sent_at(bot, "eve", "Reminder")
    assert len(eve) >= 10  # from the next daily roll on
    assert eve[-1] == datetime(2027, 1, 12, 13, 0, tzinfo=UTC)


async def test_answering_a_reminder_after_the_session_is_refused(bot: BotHarness) -> None:
    await weekly(bot, {"ana": ("America/New_York", None)})
    await bot.advance(timedelta(days=7, hours=5))  # Dec 8 14:00 UTC: 1 h reminder sent
    assert "starts in 1 hour" in bot.last_text("ana")
    await bot.advance(timedelta(hours=3))  # the session is over
    reply = await bot.ask("ana", "yes")
    assert "already over" in reply or "didn't understand" in reply or "out of date" in reply


async def test_the_roster_shows_answers_for_the_next_session(bot: BotHarness) -> None:
    await weekly(bot, {"ana": ("America/New_York", None), "bo": ("Asia/Tokyo", None)})
    await bot.ask("ana", "/rsvp 1 yes")
    reply = await bot.ask("coord", "/roster")
    ana = next(line for line in reply.splitlines() if "ana" in line)
    bo = next(line for line in reply.splitlines() if "bo" in line and "Tokyo" in line)
    assert "next: #1 Tue, Dec 8: yes" in ana
    assert "next: #1 Tue, Dec 8: no answer yet" in bo


async def test_a_reminder_run_ahead_of_its_instant_says_and_arrives_as_it_would_then(
    bot: BotHarness,
) -> None:
    """Real time runs reminders up to a second early, with others due about then: each is
    judged at its own instant (bo's quiet hours move hers to 21:59 Tokyo) and held until it."""
    await weekly(bot, {"bo": ("Asia/Tokyo", None)})
    due = datetime(2026, 12, 8, 12, 59, tzinfo=UTC)  # bo's 1-hour reminder, out of quiet hours
    await bot.advance(due - timedelta(milliseconds=400) - bot.clock.now())
    mark = len(bot.sent)
    await bot.app.runtime.jobs.run_due_then_next(timedelta(seconds=1))
    async with bot.db.transaction() as session:
        held = (
            (
                await session.execute(
                    select(OutboxMessage).where(OutboxMessage.status == MessageStatus.PENDING)
                )
            )
            .scalars()
            .all()
        )
    assert [row.not_before for row in held] == [due]
    assert held[0].text.startswith(
        'Reminder: "Circle" starts in 1 hour and 1 minute: Tuesday, December 8, 2026 at 11:00'
    )
    assert len(bot.sent) == mark  # nothing before its instant
    await bot.advance(timedelta(seconds=1))
    assert sent_at(bot, "bo", "Reminder")[-1] == due
