"""Link codes, and merging two people into one, generically over every table.

`merge_people(session, keep, drop)` moves everything of `drop` to `keep` by re-pointing every
column with a foreign key to person.id (read off Base.metadata, so a capability that adds a
table is covered without touching this module). Where a unique constraint would be broken
(both people have a row for the same thing), it decides:
- membership: one row per cohort, with the higher of the two roles;
- a per-person sequence number (unique person + one integer column, e.g. commitment numbers):
  `drop`'s rows are renumbered after `keep`'s;
- anything else: `keep`'s row stays and `drop`'s duplicate is deleted.
Person fields `keep` has not set are taken from `drop`. Finally `drop` is deleted.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    UniqueConstraint,
    delete,
    exists,
    func,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from storage.base import Base
from storage.models import ROLES, Identity, Membership, Person
from storage.models.link import LinkAttempt, LinkCode

PERSON = "person"
DONE = "done"
# Lower is more: coordinator before facilitator, ..., alumni last.
ROLE_RANK: Mapping[str, int] = {role: rank for rank, role in enumerate(ROLES)}


def code_hash(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8")).hexdigest()


# Codes and attempts --------------------------------------------------------------------------
async def codes_since(session: AsyncSession, person_id: int, since: datetime) -> int:
    found = await session.execute(
        select(func.count())
        .select_from(LinkCode)
        .where(LinkCode.person_id == person_id, LinkCode.created_at > since)
    )
    return int(found.scalar_one())


async def failed_attempts_since(session: AsyncSession, person_id: int, since: datetime) -> int:
    found = await session.execute(
        select(func.count())
        .select_from(LinkAttempt)
        .where(LinkAttempt.person_id == person_id, LinkAttempt.attempted_at > since)
    )
    return int(found.scalar_one())


async def expire_open_codes(session: AsyncSession, person_id: int, now: datetime) -> None:
    """A new code replaces the person's earlier ones."""
    await session.execute(
        update(LinkCode)
        .where(
            LinkCode.person_id == person_id,
            LinkCode.used_at.is_(None),
            LinkCode.expires_at > now,
        )
        .values(expires_at=now)
    )


async def code_exists(session: AsyncSession, code: str) -> bool:
    found = await session.execute(select(LinkCode.id).where(LinkCode.code_hash == code_hash(code)))
    return found.first() is not None


async def valid_code(session: AsyncSession, code: str, now: datetime) -> LinkCode | None:
    found = await session.execute(
        select(LinkCode).where(
            LinkCode.code_hash == code_hash(code),
            LinkCode.used_at.is_(None),
            LinkCode.expires_at > now,
        )
    )
    return found.scalar_one_or_none()


async def platforms_of(session: AsyncSession, person_id: int) -> set[str]:
    found = await session.execute(select(Identity.platform).where(Identity.person_id == person_id))
    return set(found.scalars())


# Merging ----------------------------------------------------------------------------------------
@dataclass
class MergeReport:
    moved: dict[str, int] = field(default_factory=dict)  # "table.column" -> rows re-pointed
    dropped: dict[str, int] = field(default_factory=dict)  # table -> duplicates deleted
    renumbered: dict[str, int] = field(default_factory=dict)  # table -> rows renumbered


Resolver = Callable[[AsyncSession, int, int], Awaitable[None]]


async def _better_memberships(session: AsyncSession, keep: int, drop: int) -> None:
    """Before drop's duplicate memberships go: keep the higher role and the earlier join."""
    mine = {
        m.cohort_id: m
        for m in (
            await session.execute(select(Membership).where(Membership.person_id == keep))
        ).scalars()
    }
    theirs = await session.execute(select(Membership).where(Membership.person_id == drop))
    for other in theirs.scalars():
        kept = mine.get(other.cohort_id)
        if kept is None:
            continue
        if ROLE_RANK.get(other.role, len(ROLES)) < ROLE_RANK.get(kept.role, len(ROLES)):
            kept.role = other.role
        kept.joined_at = min(kept.joined_at, other.joined_at)
    await session.flush()


RESOLVERS: Mapping[str, Resolver] = {"membership": _better_memberships}


def person_columns(table: Table) -> list[Column[int]]:
    return [
        col
        for col in table.columns
        if any(fk.column.table.name == PERSON and fk.column.name == "id" for fk in col.foreign_keys)
    ]


def _unique_sets(table: Table) -> list[tuple[str, ...]]:
    sets = [
        tuple(c.name for c in con.columns)
        for con in table.constraints
        if isinstance(con, UniqueConstraint | PrimaryKeyConstraint)
    ]
    sets += [tuple(c.name for c in ix.columns) for ix in table.indexes if ix.unique]
    return sets


def _sequence_column(table: Table, names: tuple[str, ...]) -> Column[int] | None:
    """A per-person number: the constraint's only other column, an integer of its own."""
    if len(names) != 1:
        return None
    col = table.c[names[0]]
    if isinstance(col.type, Integer) and not col.foreign_keys and not col.primary_key:
        return col
    return None


async def _renumber(
    session: AsyncSession,
    table: Table,
    person: Column[int],
    number: Column[int],
    keep: int,
    drop: int,
) -> int:
    """Move drop's numbers after keep's. Two steps, so that no row ever takes a number another
    row still has (unique constraints are checked row by row)."""
    top_keep = (await session.execute(select(func.max(number)).where(person == keep))).scalar()
    top_drop = (await session.execute(select(func.max(number)).where(person == drop))).scalar()
    if top_keep is None or top_drop is None:
        return 0
    lift = int(top_keep) + int(top_drop)
    await session.execute(update(table).where(person == drop).values({number.name: number + lift}))
    moved = await session.execute(
        update(table).where(person == drop).values({number.name: number - int(top_drop)})
    )
    return int(getattr(moved, "rowcount", 0) or 0)


async def _drop_duplicates(
    session: AsyncSession,
    table: Table,
    person: Column[int],
    others: tuple[str, ...],
    keep: int,
    drop: int,
) -> int:
    mine = table.alias("kept")
    same = [mine.c[person.name] == keep, *(mine.c[n] == table.c[n] for n in others)]
    result = await session.execute(
        delete(table).where(person == drop, exists(select(mine.c[person.name]).where(*same)))
    )
    return int(getattr(result, "rowcount", 0) or 0)


def _merge_fields(keep: Person, drop: Person) -> None:
    if keep.onboarding_step != DONE and drop.onboarding_step == DONE:
        keep.onboarding_step = DONE
    if keep.quiet_start is None and keep.quiet_end is None:
        keep.quiet_start, keep.quiet_end = drop.quiet_start, drop.quiet_end
    for name in ("language", "timezone", "country", "active_cohort_id", "onboarding_step"):
        if getattr(keep, name) is None:
            setattr(keep, name, getattr(drop, name))
    keep.created_at = min(keep.created_at, drop.created_at)


async def merge_people(
    session: AsyncSession, keep_id: int, drop_id: int, metadata: MetaData = Base.metadata
) -> MergeReport:
    """Make `drop_id` part of `keep_id`: afterwards only `keep_id` exists, with both people's
    identities and everything that pointed at either of them."""
    if keep_id == drop_id:
        raise ValueError("a person cannot be merged with itself")
    keep = await session.get(Person, keep_id)
    drop = await session.get(Person, drop_id)
    if keep is None or drop is None:
        raise ValueError("both people must exist")
    _merge_fields(keep, drop)
    await session.flush()
    report = MergeReport()
    for table in metadata.sorted_tables:
        if table.name == PERSON:
            continue
        for person in person_columns(table):
            for names in _unique_sets(table):
                if person.name not in names:
                    continue
                others = tuple(n for n in names if n != person.name)
                number = _sequence_column(table, others)
                if number is not None:
                    count = await _renumber(session, table, person, number, keep_id, drop_id)
                    report.renumbered[table.name] = report.renumbered.get(table.name, 0) + count
                    continue
                resolver = RESOLVERS.get(table.name)
                if resolver is not None:
                    await resolver(session, keep_id, drop_id)
                count = await _drop_duplicates(session, table, person, others, keep_id, drop_id)
                if count:
                    report.dropped[table.name] = report.dropped.get(table.name, 0) + count
            moved = await session.execute(
                update(table).where(person == drop_id).values({person.name: keep_id})
            )
            count = int(getattr(moved, "rowcount", 0) or 0)
            if count:
                report.moved[f"{table.name}.{person.name}"] = count
    await session.execute(delete(Person).where(Person.id == drop_id))
    # Core statements went around the ORM: nothing loaded before may be trusted any more.
    session.expunge(drop)
    session.expire_all()
    return report
