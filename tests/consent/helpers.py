"""Shared helpers for the consent tests: a cohort with people, recorded sessions, the ledger,
and which consent prompts reached whom."""

from __future__ import annotations

from sqlalchemy import select

from bot.adapters.console import ConsoleMessage
from storage.models import ConsentRecord
from storage.repositories.people import find_identity
from tests.harness import BotHarness

CHECKIN = "Is it all right with you to be recorded?"
RENEWAL = "Does it still hold?"
LIST = "Do not record or photograph"


async def cohort(bot: BotHarness, *people: str, zone: str = "Europe/Berlin") -> str:
    """coord creates "Bridges"; each person joins (no onboarding: English, no zone set)."""
    code = await bot.new_cohort("coord", "Bridges", zone)
    for name in people:
        await bot.send(name, f"/join {code}")
    return code


async def recorded_session(bot: BotHarness, when: str = "2026-12-05 15:00", extra: str = "") -> str:
    reply = await bot.ask("coord", f'/addsession "Story circle" {when} {extra} recorded'.strip())
    if "anyway" in reply:  # someone's night: the coordinator confirms
        reply = await bot.ask("coord", "1")
    assert "Scheduled #" in reply, reply
    return reply


def prompts(bot: BotHarness, name: str, marker: str) -> list[ConsoleMessage]:
    return [m for m in bot.to(name) if marker in m.text]


async def person_id(bot: BotHarness, name: str) -> int:
    async with bot.db.transaction() as session:
        found = await find_identity(session, "console", name)
        assert found is not None
        return found.person_id


async def ledger(
    bot: BotHarness, name: str | None = None
) -> list[tuple[str, str, str, str | None]]:
    """(scope, answer, via, occurrence_key) rows, oldest first."""
    query = select(ConsentRecord).order_by(ConsentRecord.given_at, ConsentRecord.id)
    if name is not None:
        query = query.where(ConsentRecord.person_id == await person_id(bot, name))
    async with bot.db.transaction() as session:
        rows = (await session.execute(query)).scalars().all()
        return [(r.scope, r.answer, r.via, r.occurrence_key) for r in rows]
