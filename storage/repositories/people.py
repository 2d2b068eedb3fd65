"""People and their platform identities."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Identity, Person


async def find_identity(session: AsyncSession, platform: str, external_id: str) -> Identity | None:
    found = await session.execute(
        select(Identity).where(Identity.platform == platform, Identity.external_id == external_id)
    )
    return found.scalar_one_or_none()


async def find_person_by_identity(
    session: AsyncSession, platform: str, external_id: str
) -> tuple[Identity, Person] | None:
    """The identity and its person in one query (the hot path of every inbound update)."""
    found = await session.execute(
        select(Identity, Person)
        .join(Person, Person.id == Identity.person_id)
        .where(Identity.platform == platform, Identity.external_id == external_id)
    )
    row = found.first()
    return (row[0], row[1]) if row is not None else None


async def create_person(
    session: AsyncSession,
    *,
    platform: str,
    external_id: str,
    display_name: str | None,
    private_chat_id: str | None,
    language: str | None,
    now: datetime,
    username: str | None = None,
) -> tuple[Person, Identity]:
    person = Person(language=language, created_at=now, onboarding_step=None)
    session.add(person)
    await session.flush()
    identity = Identity(
        person_id=person.id,
        platform=platform,
        external_id=external_id,
        display_name=display_name,
        username=username,
        private_chat_id=private_chat_id,
        reachable=True,
        last_seen_at=now,
    )
    session.add(identity)
    await session.flush()
    return person, identity


async def identities_of(session: AsyncSession, person_id: int) -> list[Identity]:
    found = await session.execute(
        select(Identity)
        .where(Identity.person_id == person_id)
        .order_by(Identity.last_seen_at.desc(), Identity.id.desc())
    )
    return list(found.scalars())


async def preferred_identity(session: AsyncSession, person_id: int) -> Identity | None:
    """The identity to reach a person privately: reachable, most recently seen."""
    for identity in await identities_of(session, person_id):
        if identity.reachable:
            return identity
    return None


async def display_name(session: AsyncSession, person_id: int) -> str:
    for identity in await identities_of(session, person_id):
        if identity.display_name:
            return identity.display_name
    return f"#{person_id}"


async def preferred_identities(
    session: AsyncSession, person_ids: Sequence[int]
) -> dict[int, Identity]:
    """`preferred_identity` for many people in one query: person id -> identity (people
    without a reachable identity are left out)."""
    if not person_ids:
        return {}
    found = await session.execute(
        select(Identity)
        .where(Identity.person_id.in_(set(person_ids)), Identity.reachable.is_(True))
        .order_by(Identity.last_seen_at.desc(), Identity.id.desc())
    )
    chosen: dict[int, Identity] = {}
    for identity in found.scalars():
        chosen.setdefault(identity.person_id, identity)
    return chosen
