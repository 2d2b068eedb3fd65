"""Shared set-up for the safety tests: a cohort with people, and look-ups by name."""

from __future__ import annotations

import re

from sqlalchemy import select

from storage.engine import Database
from storage.models import Identity
from tests.harness import BotHarness


async def cohort_with(bot: BotHarness, *members: str, zone: str = "Europe/Berlin") -> str:
    """`coord` creates "Exchange"; each member joins. Returns the invite code."""
    code = await bot.new_cohort("coord", "Exchange", zone)
    for name in members:
        await bot.send(name, f"/join {code}")
    return code


async def person_id(db: Database, name: str) -> int:
    async with db.transaction() as session:
        found = await session.execute(
            select(Identity.person_id).where(Identity.external_id == name)
        )
        return int(found.scalar_one())


async def file_report(
    bot: BotHarness, who: str, text: str, concerns: str, urgency: str, how: str
) -> str:
    """`who` files a report through the whole flow; returns its reference."""
    await bot.send(who, "/report")
    await bot.send(who, text)
    await bot.send(who, concerns)
    await bot.send(who, urgency)
    reply = await bot.ask(who, how)
    match = re.search(r"report ([A-Z0-9]{6}) was sent", reply)
    assert match, reply
    return match.group(1)
