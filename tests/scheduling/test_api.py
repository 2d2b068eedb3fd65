"""The public API other capabilities build on: occurrences, answers, job keys and events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.context import Context
from handlers.scheduling import (
    OccurrenceCancelled,
    OccurrenceEnded,
    OccurrenceScheduled,
    occurrence_by_id,
    occurrence_job_key,
    people_by_rsvp,
    rsvp_of,
    upcoming_occurrences,
)
from storage.models import Cohort, Job, Person
from tests.harness import BotHarness
from tests.scheduling.helpers import add, make_cohort


class Recorder:
    """A fake capability: records the events and schedules its own job per occurrence."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str, datetime]] = []

    async def scheduled(self, ctx: Context, event: OccurrenceScheduled) -> None:
        occurrence = event.occurrence
        self.events.append(("scheduled", occurrence.key, occurrence.start))
        await ctx.schedule(
            "test.checkin",
            occurrence.start + timedelta(days=3650),  # never due within the test
            key=occurrence_job_key("test.checkin", occurrence),
        )

    async def cancelled(self, ctx: Context, event: OccurrenceCancelled) -> None:
        self.events.append(("cancelled", event.occurrence.key, event.occurrence.start))

    async def ended(self, ctx: Context, event: OccurrenceEnded) -> None:
        self.events.append(("ended", event.occurrence.key, event.occurrence.start))


@pytest.fixture
def recorder(bot: BotHarness, monkeypatch: pytest.MonkeyPatch) -> Recorder:
    """The only subscriber to occurrence events while the test runs."""
    found = Recorder()
    subscribers = bot.app.services.events.subscribers
    monkeypatch.setitem(subscribers, OccurrenceScheduled, [(0, found.scheduled)])
    monkeypatch.setitem(subscribers, OccurrenceCancelled, [(0, found.cancelled)])
    monkeypatch.setitem(subscribers, OccurrenceEnded, [(0, found.ended)])
    return found


async def checkin_jobs(bot: BotHarness) -> list[tuple[str, str]]:
    async with bot.db.transaction() as session:
        found = await session.execute(
            select(Job.idempotency_key, Job.status).where(Job.kind == "test.checkin")
        )
        return sorted((k, s) for k, s in found.all())


async def test_events_for_scheduled_moved_cancelled_and_ended_occurrences(
    bot: BotHarness, recorder: Recorder
) -> None:
    await make_cohort(bot, {"ana": ("America/New_York", None)})
    await add(bot, '/addsession "Circle" 2026-12-08 15:00 for 1h every week until 2026-12-29')
    scheduled = [e for e in recorder.events if e[0] == "scheduled"]
    # Only the horizon (8 days) is materialized at first: Dec 8.
    assert [e[2] for e in scheduled] == [datetime(2026, 12, 8, 14, 0, tzinfo=UTC)]
    first_key = scheduled[0][1]
    assert first_key.startswith("s") and first_key.endswith("-20261208T140000Z")
    jobs = await checkin_jobs(bot)
    assert jobs == [(f"test.checkin:{first_key}@20261208T140000Z", "pending")]
    # Moving the occurrence: its keyed jobs are cancelled, subscribers told, then re-scheduled.
    reply = await bot.ask("coord", "/movesession 1 2026-12-08 2026-12-08 18:00")
    assert "telling 1 member" in reply  # ana, asleep, will hear of it in her first notice
    assert ("cancelled", first_key, datetime(2026, 12, 8, 14, 0, tzinfo=UTC)) in recorder.events
    assert ("scheduled", first_key, datetime(2026, 12, 8, 17, 0, tzinfo=UTC)) in recorder.events
    jobs = await checkin_jobs(bot)
    assert (f"test.checkin:{first_key}@20261208T140000Z", "cancelled") in jobs
    assert (f"test.checkin:{first_key}@20261208T170000Z", "pending") in jobs
    await bot.advance(timedelta(days=8))  # past Dec 8 18:00 UTC: the moved one ended
    ended = [e for e in recorder.events if e[0] == "ended"]
    assert ended == [("ended", first_key, datetime(2026, 12, 8, 17, 0, tzinfo=UTC))]
    # The daily roll brought the next occurrences into the horizon.
    assert datetime(2026, 12, 15, 14, 0, tzinfo=UTC) in {
        e[2] for e in recorder.events if e[0] == "scheduled"
    }
    await bot.ask("coord", "/cancelsession 1 2026-12-15")
    assert any(e[0] == "cancelled" and e[2].day == 15 for e in recorder.events)
    await bot.advance(timedelta(days=30))
    assert [e[2].day for e in recorder.events if e[0] == "ended"] == [8, 22, 29]


async def test_occurrences_and_answers_for_other_capabilities(bot: BotHarness) -> None:
    await make_cohort(bot, {"ana": ("America/New_York", None), "bo": ("Asia/Tokyo", None)})
    await add(bot, '/addsession "Circle" 2026-12-08 15:00 for 1h every week until 2026-12-29')
    await add(bot, '/addsession "Kickoff" 2026-12-03 15:00')
    await bot.ask("ana", "/rsvp 1 all yes")
    await bot.ask("ana", "/rsvp 1 2026-12-15 no")
    await bot.ask("bo", "/rsvp 1 maybe")
    async with bot.db.transaction() as session:
        cohort = (await session.execute(select(Cohort))).scalar_one()
        now = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
        upcoming = await upcoming_occurrences(session, cohort.id, now, now + timedelta(days=30))
        assert [(o.title, o.start.day) for o in upcoming] == [
            ("Kickoff", 3),
            ("Circle", 8),
            ("Circle", 15),
            ("Circle", 22),
            ("Circle", 29),
        ]
        assert all(o.end - o.start == timedelta(hours=1) or o.title == "Kickoff" for o in upcoming)
        people = {p.id: p for p in (await session.execute(select(Person))).scalars()}
        ana = next(pid for pid in people if people[pid].timezone == "America/New_York")
        first, second = upcoming[1], upcoming[2]
        assert second.row_id is not None  # answering for a date materialized it
        assert await rsvp_of(session, first, ana) == "yes"
        assert await rsvp_of(session, second, ana) == "no"
        coming = await people_by_rsvp(session, first, ("yes", "maybe"))
        assert ana in coming and len(coming) == 2
        silent = await people_by_rsvp(session, first, (None,))
        assert len(silent) == 1  # the coordinator
        assert first.row_id is not None
        again = await occurrence_by_id(session, first.row_id)
        assert again is not None and again.key == first.key and again.start == first.start
