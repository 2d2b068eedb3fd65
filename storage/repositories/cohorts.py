"""Cohorts, memberships, bound chats and failed invite-code tries."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.lean import LeanLoad
from storage.models import BoundChat, Cohort, FailedJoin, Identity, Membership, Person
from storage.models.cohorts import Role

_MEMBERSHIPS_OF = LeanLoad(
    (Membership, Cohort),
    lambda base: (
        base.join_from(Membership, Cohort, Cohort.id == Membership.cohort_id)
        .where(Membership.person_id == bindparam("m_person"))
        .order_by(Cohort.created_at, Cohort.id)
    ),
)


async def memberships_of(session: AsyncSession, person_id: int) -> list[tuple[Membership, Cohort]]:
    """A person's memberships with their cohorts, oldest cohort first (on every command that
    acts on a cohort: a statement built once, storage/lean.py)."""
    return [(m, c) for m, c in await _MEMBERSHIPS_OF.load(session, {"m_person": person_id})]


async def membership(session: AsyncSession, cohort_id: int, person_id: int) -> Membership | None:
    found = await session.execute(
        select(Membership).where(
            Membership.cohort_id == cohort_id, Membership.person_id == person_id
        )
    )
    return found.scalar_one_or_none()


async def roles_of(
    session: AsyncSession, cohort_id: int, person_ids: Sequence[int]
) -> dict[int, str]:
    """Person id -> role in the cohort, for those of `person_ids` who are members."""
    if not person_ids:
        return {}
    found = await session.execute(
        select(Membership.person_id, Membership.role).where(
            Membership.cohort_id == cohort_id, Membership.person_id.in_(set(person_ids))
        )
    )
    return {int(person_id): str(role) for person_id, role in found.all()}


async def cohort_by_code(session: AsyncSession, code: str) -> Cohort | None:
    found = await session.execute(select(Cohort).where(Cohort.code == code.upper()))
    return found.scalar_one_or_none()


async def code_taken(session: AsyncSession, code: str) -> bool:
    found = await session.execute(select(func.count()).where(Cohort.code == code))
    return int(found.scalar_one()) > 0


async def cohort_for_chat(session: AsyncSession, platform: str, chat_id: str) -> Cohort | None:
    found = await session.execute(
        select(Cohort)
        .join(BoundChat, BoundChat.cohort_id == Cohort.id)
        .where(BoundChat.platform == platform, BoundChat.chat_id == chat_id)
    )
    return found.scalar_one_or_none()


async def members(
    session: AsyncSession, cohort_id: int, roles: tuple[str, ...] = ()
) -> list[tuple[Membership, Person]]:
    """A cohort's members in roster order (joined first, first listed)."""
    query = (
        select(Membership, Person)
        .join(Person, Person.id == Membership.person_id)
        .where(Membership.cohort_id == cohort_id)
        .order_by(Membership.joined_at, Membership.id)
    )
    if roles:
        query = query.where(Membership.role.in_(roles))
    found = await session.execute(query)
    return [(m, p) for m, p in found.all()]


async def count_members(session: AsyncSession, cohort_id: int) -> int:
    found = await session.execute(
        select(func.count()).select_from(Membership).where(Membership.cohort_id == cohort_id)
    )
    return int(found.scalar_one())


async def count_role(session: AsyncSession, cohort_id: int, role: str) -> int:
    found = await session.execute(
        select(func.count())
        .select_from(Membership)
        .where(Membership.cohort_id == cohort_id, Membership.role == role)
    )
    return int(found.scalar_one())


@dataclass(frozen=True)
class RosterRow:
    number: int  # position in roster order, 1-based; `role 3 facilitator` uses it
    membership: Membership
    person: Person
    identities: tuple[Identity, ...]  # most recently seen first


async def identities_for(
    session: AsyncSession, person_ids: Iterable[int]
) -> dict[int, list[Identity]]:
    """Every identity of these people in one query, most recently seen first."""
    ids = list(set(person_ids))
    by_person: dict[int, list[Identity]] = {pid: [] for pid in ids}
    if not ids:
        return by_person
    found = await session.execute(
        select(Identity)
        .where(Identity.person_id.in_(ids))
        .order_by(Identity.last_seen_at.desc(), Identity.id.desc())
    )
    for identity in found.scalars():
        by_person[identity.person_id].append(identity)
    return by_person


async def roster(
    session: AsyncSession, cohort_id: int, offset: int = 0, limit: int | None = None
) -> list[RosterRow]:
    """One page of the roster (all of it without `limit`): two queries whatever the size."""
    query = (
        select(Membership, Person)
        .join(Person, Person.id == Membership.person_id)
        .where(Membership.cohort_id == cohort_id)
        .order_by(Membership.joined_at, Membership.id)
        .offset(offset)
    )
    if limit is not None:
        query = query.limit(limit)
    rows = [(m, p) for m, p in (await session.execute(query)).all()]
    identities = await identities_for(session, (p.id for _m, p in rows))
    return [
        RosterRow(offset + i, m, p, tuple(identities[p.id]))
        for i, (m, p) in enumerate(rows, start=1)
    ]


async def cohorts_with_role(
    session: AsyncSession, person_id: int, roles: tuple[str, ...]
) -> list[Cohort]:
    found = await session.execute(
        select(Cohort)
        .join(Membership, Membership.cohort_id == Cohort.id)
        .where(Membership.person_id == person_id, Membership.role.in_(roles))
        .order_by(Cohort.created_at, Cohort.id)
    )
    return list(found.scalars())


async def make_alumni(session: AsyncSession, cohort_id: int, keep: tuple[str, ...]) -> int:
    """Every member whose role is not in `keep` becomes alumni. Returns how many changed."""
    result = await session.execute(
        update(Membership)
        .where(
            Membership.cohort_id == cohort_id,
            Membership.role.not_in((*keep, Role.ALUMNI)),
        )
        .values(role=Role.ALUMNI)
        .execution_options(synchronize_session="fetch")
    )
    return int(getattr(result, "rowcount", 0) or 0)


# Bound chats ---------------------------------------------------------------------------------
async def bound_chats(session: AsyncSession, cohort_id: int) -> list[BoundChat]:
    found = await session.execute(
        select(BoundChat).where(BoundChat.cohort_id == cohort_id).order_by(BoundChat.id)
    )
    return list(found.scalars())


async def bound_chat(session: AsyncSession, platform: str, chat_id: str) -> BoundChat | None:
    found = await session.execute(
        select(BoundChat).where(BoundChat.platform == platform, BoundChat.chat_id == chat_id)
    )
    return found.scalar_one_or_none()


# Failed invite codes -------------------------------------------------------------------------
async def failed_joins_since(
    session: AsyncSession, person_id: int, since: datetime
) -> list[datetime]:
    """When this person typed a wrong code since `since`, oldest first."""
    found = await session.execute(
        select(FailedJoin.attempted_at)
        .where(FailedJoin.person_id == person_id, FailedJoin.attempted_at > since)
        .order_by(FailedJoin.attempted_at)
    )
    return list(found.scalars())


async def record_failed_join(session: AsyncSession, person_id: int, at: datetime) -> None:
    session.add(FailedJoin(person_id=person_id, attempted_at=at))
    await session.flush()


async def prune_failed_joins(session: AsyncSession, before: datetime) -> None:
    await session.execute(delete(FailedJoin).where(FailedJoin.attempted_at <= before))
