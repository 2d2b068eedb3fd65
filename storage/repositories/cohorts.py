"""Cohorts, memberships and bound chats."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import BoundChat, Cohort, Membership, Person


async def memberships_of(session: AsyncSession, person_id: int) -> list[tuple[Membership, Cohort]]:
    found = await session.execute(
        select(Membership, Cohort)
        .join(Cohort, Cohort.id == Membership.cohort_id)
        .where(Membership.person_id == person_id)
        .order_by(Cohort.created_at, Cohort.id)
    )
    return [(m, c) for m, c in found.all()]


async def membership(session: AsyncSession, cohort_id: int, person_id: int) -> Membership | None:
    found = await session.execute(
        select(Membership).where(
            Membership.cohort_id == cohort_id, Membership.person_id == person_id
        )
    )
    return found.scalar_one_or_none()


async def cohort_by_code(session: AsyncSession, code: str) -> Cohort | None:
    found = await session.execute(select(Cohort).where(Cohort.code == code.upper()))
    return found.scalar_one_or_none()


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


async def count_role(session: AsyncSession, cohort_id: int, role: str) -> int:
    found = await session.execute(
        select(func.count())
        .select_from(Membership)
        .where(Membership.cohort_id == cohort_id, Membership.role == role)
    )
    return int(found.scalar_one())


async def bound_chats(session: AsyncSession, cohort_id: int) -> list[BoundChat]:
    found = await session.execute(select(BoundChat).where(BoundChat.cohort_id == cohort_id))
    return list(found.scalars())
