"""Shared steps for the alumni tests: a cohort with staff and participants who agreed (or not) to
alumni contact, closing it, and reads of what the database holds."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from bot.adapters.console import ConsoleMessage
from storage.models import Commitment, Job
from storage.models.alumni import AlumniContact, MentorPairing
from storage.repositories.people import find_identity
from tests.harness import BotHarness

NUDGE = "A friendly check-in on your commitment"


async def cohort(
    bot: BotHarness,
    *people: str,
    name: str = "Bridges",
    zone: str = "Europe/Berlin",
    consent: tuple[str, ...] | None = None,
    facilitator: str | None = None,
) -> str:
    """`coord` creates a cohort; each person joins; those in `consent` (default: everyone)
    say yes to alumni contact; `facilitator` (if given) joins and gets that role."""
    code = await bot.new_cohort("coord", name, zone)
    for person in people:
        await bot.send(person, f"/join {code}")
    for person in people if consent is None else consent:
        await bot.send(person, "/consent alumni yes")
    if facilitator is not None:
        await bot.send(facilitator, f"/join {code}")
        await bot.send("coord", f"/role {facilitator} facilitator")
    return code


async def close(bot: BotHarness, coordinator: str = "coord") -> list[ConsoleMessage]:
    await bot.send(coordinator, "/closecohort")
    return await bot.send(coordinator, "yes")


async def person_id(bot: BotHarness, name: str) -> int:
    async with bot.db.transaction() as session:
        found = await find_identity(session, "console", name)
        assert found is not None, name
        return found.person_id


async def commitments(bot: BotHarness, name: str) -> list[tuple[int, str, str, str]]:
    """(number, text, status, due date) of a person's commitments."""
    pid = await person_id(bot, name)
    async with bot.db.transaction() as session:
        rows = await session.execute(
            select(Commitment).where(Commitment.person_id == pid).order_by(Commitment.number)
        )
        return [(c.number, c.text, c.status, c.due_date.isoformat()) for c in rows.scalars()]


async def contacts(bot: BotHarness, name: str) -> list[tuple[str, datetime, list[int]]]:
    pid = await person_id(bot, name)
    async with bot.db.transaction() as session:
        rows = await session.execute(
            select(AlumniContact)
            .where(AlumniContact.person_id == pid)
            .order_by(AlumniContact.sent_at, AlumniContact.id)
        )
        return [(c.kind, c.sent_at, list(c.commitments)) for c in rows.scalars()]


async def pending_jobs(bot: BotHarness, kind_prefix: str = "alumni.") -> list[tuple[str, Any]]:
    async with bot.db.transaction() as session:
        rows = await session.execute(
            select(Job.idempotency_key, Job.due_at)
            .where(Job.status == "pending", Job.kind.like(f"{kind_prefix}%"))
            .order_by(Job.due_at, Job.id)
        )
        return [(r[0], r[1]) for r in rows.all()]


async def pairings(bot: BotHarness) -> list[tuple[int, int, str]]:
    async with bot.db.transaction() as session:
        rows = await session.execute(select(MentorPairing).order_by(MentorPairing.id))
        return [(p.mentor_id, p.mentee_id, p.status) for p in rows.scalars()]


def texts(messages: list[ConsoleMessage], name: str) -> list[str]:
    return [m.text for m in messages if m.to == name]


def nudges(bot: BotHarness, name: str) -> list[ConsoleMessage]:
    return [m for m in bot.to(name) if NUDGE in m.text]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


async def until(bot: BotHarness, when: str) -> list[ConsoleMessage]:
    """Advance the virtual clock to `when` (UTC); every job runs at its own instant on the way."""
    return await bot.advance(at(when) - bot.clock.now())
