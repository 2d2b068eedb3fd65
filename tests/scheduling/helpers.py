"""Shared set-up for scheduling tests: a bot without a per-person rate limit, a cohort with
members spread over zones and languages, and what the database holds."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import func, select

from storage.models import Job
from storage.models.scheduling import ScheduledSession, SessionOccurrence, SessionRsvp
from tests.harness import BotHarness

# name -> (zone, language or None)
PEOPLE: dict[str, tuple[str, str | None]] = {
    "ana": ("America/New_York", None),
    "bo": ("Asia/Tokyo", None),
    "chen": ("America/Sao_Paulo", "es"),
}


async def make_cohort(
    bot: BotHarness,
    people: Mapping[str, tuple[str, str | None]] | None = None,
    coordinator_zone: str = "Europe/Berlin",
) -> str:
    await bot.ask("coord", f"/timezone {coordinator_zone}")
    code = await bot.new_cohort("coord", "Exchange", coordinator_zone)
    for name, (zone, lang) in (PEOPLE if people is None else people).items():
        if lang:
            await bot.ask(name, f"/language {lang}")
        await bot.ask(name, f"/timezone {zone}")
        await bot.ask(name, f"/join {code}")
    return code


async def counts(bot: BotHarness) -> dict[str, int]:
    """Rows that scheduling writes: sessions, occurrences, answers, its pending jobs."""
    async with bot.db.transaction() as session:
        result = {}
        for name, model in (
            ("sessions", ScheduledSession),
            ("occurrences", SessionOccurrence),
            ("rsvps", SessionRsvp),
        ):
            result[name] = int(
                (await session.execute(select(func.count()).select_from(model))).scalar_one()
            )
        jobs = await session.execute(
            select(func.count())
            .select_from(Job)
            .where(Job.kind.like("scheduling.%"), Job.status == "pending")
        )
        result["jobs"] = int(jobs.scalar_one())
    return result


def texts(bot: BotHarness, name: str, since: int = 0) -> list[str]:
    return [m.text for m in bot.sent[since:] if m.to == name]


async def add(bot: BotHarness, command: str, who: str = "coord") -> str:
    """addsession, confirming through any warnings; returns the final reply."""
    reply = await bot.ask(who, command)
    if "Before I tell anyone" in reply:
        reply = await bot.ask(who, "1")
    assert "Scheduled #" in reply, reply
    return reply
