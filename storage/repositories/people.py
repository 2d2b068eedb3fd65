"""People and their platform identities."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.lean import LeanLoad
from storage.models import Identity, PendingQuestion, Person


async def find_identity(session: AsyncSession, platform: str, external_id: str) -> Identity | None:
    found = await session.execute(
        select(Identity).where(Identity.platform == platform, Identity.external_id == external_id)
    )
    return found.scalar_one_or_none()


_IDENTITY_AND_PERSON = LeanLoad(
    (Identity, Person),
    lambda base: base.join_from(Identity, Person, Person.id == Identity.person_id).where(
        Identity.platform == bindparam("i_platform"),
        Identity.external_id == bindparam("i_external"),
    ),
    # Whether a new command has questions to cancel (most have none: no DELETE then).
    extra=[
        exists()
        .where(PendingQuestion.person_id == Person.id, PendingQuestion.sticky.is_(False))
        .label("open_questions")
    ],
)


async def find_person_by_identity(
    session: AsyncSession, platform: str, external_id: str
) -> tuple[Identity, Person, bool] | None:
    """The identity, its person, and whether they have questions a new command would cancel,
    in one statement built once (the hot path of every inbound update: storage/lean.py)."""
    found = await _IDENTITY_AND_PERSON.load(
        session, {"i_platform": platform, "i_external": external_id}
    )
    if not found:
        return None
    identity, person, open_questions = found[0]
    return identity, person, bool(open_questions)


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


@dataclass(frozen=True)
class PrivateChat:
    """Where a person is reached privately: the parts of their preferred identity that say so."""

    person_id: int
    platform: str
    external_id: str
    private_chat_id: str | None


async def preferred_identities(
    session: AsyncSession, person_ids: Sequence[int]
) -> dict[int, PrivateChat]:
    """`preferred_identity` for many people in one query: person id -> where to reach them
    (people without a reachable identity are left out)."""
    if not person_ids:
        return {}
    found = await session.execute(
        select(
            Identity.person_id, Identity.platform, Identity.external_id, Identity.private_chat_id
        )
        .where(Identity.person_id.in_(set(person_ids)), Identity.reachable.is_(True))
        .order_by(Identity.last_seen_at.desc(), Identity.id.desc())
    )
    chosen: dict[int, PrivateChat] = {}
    for row in found:
        if row[0] not in chosen:
            chosen[row[0]] = PrivateChat(*row)
    return chosen
