"""Shared set-up for broadcast tests: a cohort with people, and database look-ups."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select

from storage.engine import Database
from storage.models import Cohort, Identity, Membership, OutboxMessage, Person
from storage.models.broadcast import Announcement
from tests.harness import BotHarness


async def cohort_with(bot: BotHarness, *members: str, zone: str = "Europe/Berlin") -> str:
    """`coord` creates "Exchange"; each member joins. Returns the invite code."""
    code = await bot.new_cohort("coord", "Exchange", zone)
    for name in members:
        await bot.send(name, f"/join {code}")
    return code


async def announcements(db: Database) -> list[Announcement]:
    async with db.transaction() as session:
        found = await session.execute(select(Announcement).order_by(Announcement.id))
        return list(found.scalars())


async def broadcast_rows(db: Database) -> list[OutboxMessage]:
    async with db.transaction() as session:
        found = await session.execute(
            select(OutboxMessage)
            .where(OutboxMessage.broadcast_id.is_not(None))
            .order_by(OutboxMessage.id)
        )
        return list(found.scalars())


async def cohort_id(db: Database, name: str = "Exchange") -> int:
    async with db.transaction() as session:
        found = await session.execute(select(Cohort.id).where(Cohort.name == name))
        return int(found.scalar_one())


async def seed_members(
    db: Database,
    cohort: int,
    count: int,
    now: datetime,
    *,
    platform: str = "console",
    first_external: int = 1_000_000,
    language: str | None = None,
) -> list[int]:
    """Add `count` participants (person + identity + membership) in bulk. Returns their ids."""
    async with db.transaction() as session:
        found = await session.execute(
            insert(Person).returning(Person.id, sort_by_parameter_order=True),
            [{"language": language, "created_at": now, "quiet_start": "off"}] * count,
        )
        ids = [int(pid) for pid in found.scalars()]
        await session.execute(
            insert(Identity),
            [
                {
                    "person_id": pid,
                    "platform": platform,
                    "external_id": str(first_external + i),
                    "display_name": f"p{i}",
                    "private_chat_id": str(first_external + i),
                    "reachable": True,
                    "last_seen_at": now,
                }
                for i, pid in enumerate(ids)
            ],
        )
        await session.execute(
            insert(Membership),
            [
                {"cohort_id": cohort, "person_id": pid, "role": "participant", "joined_at": now}
                for pid in ids
            ],
        )
    return ids
