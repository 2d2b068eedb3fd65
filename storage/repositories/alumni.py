"""Queries for the alumni network: commitments and notes, the nudge log, the directory,
mentor offers and pairings."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Cohort, Membership, Person
from storage.models.alumni import (
    ACTIVE,
    LOAD_STATUSES,
    OPEN,
    AlumniContact,
    Commitment,
    CommitmentNote,
    DirectoryEntry,
    MentorOffer,
    MentorPairing,
)
from storage.models.cohorts import CohortStatus

# Commitments -----------------------------------------------------------------------------------


async def next_number(session: AsyncSession, person_id: int) -> int:
    found = await session.execute(
        select(func.max(Commitment.number)).where(Commitment.person_id == person_id)
    )
    return int(found.scalar_one() or 0) + 1


async def commitments_of(session: AsyncSession, person_id: int) -> list[Commitment]:
    found = await session.execute(
        select(Commitment).where(Commitment.person_id == person_id).order_by(Commitment.number)
    )
    return list(found.scalars())


async def commitment_by_number(
    session: AsyncSession, person_id: int, number: int
) -> Commitment | None:
    found = await session.execute(
        select(Commitment).where(Commitment.person_id == person_id, Commitment.number == number)
    )
    return found.scalar_one_or_none()


async def open_in_cohort(session: AsyncSession, cohort_id: int) -> list[Commitment]:
    found = await session.execute(
        select(Commitment)
        .where(Commitment.cohort_id == cohort_id, Commitment.status == OPEN)
        .order_by(Commitment.person_id, Commitment.number)
    )
    return list(found.scalars())


async def open_of(session: AsyncSession, person_id: int) -> list[Commitment]:
    found = await session.execute(
        select(Commitment)
        .where(Commitment.person_id == person_id, Commitment.status == OPEN)
        .order_by(Commitment.number)
    )
    return list(found.scalars())


async def pending_nudges(session: AsyncSession, person_id: int) -> list[Commitment]:
    """Open commitments whose nudge fell due and has not gone out yet."""
    found = await session.execute(
        select(Commitment)
        .where(
            Commitment.person_id == person_id,
            Commitment.status == OPEN,
            Commitment.nudge_pending_since.is_not(None),
        )
        .order_by(Commitment.number)
    )
    return list(found.scalars())


async def commitments_by_id(session: AsyncSession, ids: Iterable[int]) -> list[Commitment]:
    wanted = list(ids)
    if not wanted:
        return []
    found = await session.execute(
        select(Commitment).where(Commitment.id.in_(wanted)).order_by(Commitment.number)
    )
    return list(found.scalars())


async def latest_notes(
    session: AsyncSession, commitment_ids: Sequence[int]
) -> dict[int, CommitmentNote]:
    """The newest note with text of each commitment."""
    if not commitment_ids:
        return {}
    found = await session.execute(
        select(CommitmentNote)
        .where(CommitmentNote.commitment_id.in_(commitment_ids), CommitmentNote.text.is_not(None))
        .order_by(CommitmentNote.created_at, CommitmentNote.id)
    )
    return {note.commitment_id: note for note in found.scalars()}


async def cohort_names(session: AsyncSession, cohort_ids: Iterable[int]) -> dict[int, str]:
    wanted = set(cohort_ids)
    if not wanted:
        return {}
    found = await session.execute(select(Cohort.id, Cohort.name).where(Cohort.id.in_(wanted)))
    return {row[0]: row[1] for row in found.all()}


# Nudge log -------------------------------------------------------------------------------------


async def last_contact(session: AsyncSession, person_id: int) -> datetime | None:
    found = await session.execute(
        select(AlumniContact.sent_at)
        .where(AlumniContact.person_id == person_id)
        .order_by(AlumniContact.sent_at.desc())
        .limit(1)
    )
    latest: datetime | None = found.scalar_one_or_none()
    return latest


async def contacts_of(session: AsyncSession, person_id: int) -> list[AlumniContact]:
    found = await session.execute(
        select(AlumniContact)
        .where(AlumniContact.person_id == person_id)
        .order_by(AlumniContact.sent_at, AlumniContact.id)
    )
    return list(found.scalars())


# Cohorts seen from the alumni side -------------------------------------------------------------


async def closed_cohorts_of(
    session: AsyncSession, person_id: int
) -> list[tuple[Membership, Cohort]]:
    """The person's memberships in cohorts that have closed (their past cohorts)."""
    found = await session.execute(
        select(Membership, Cohort)
        .join(Cohort, Cohort.id == Membership.cohort_id)
        .where(Membership.person_id == person_id, Cohort.status == CohortStatus.CLOSED)
        .order_by(Cohort.closed_at, Cohort.id)
    )
    return [(m, c) for m, c in found.all()]


async def closed_cohort_names(
    session: AsyncSession, person_ids: Iterable[int]
) -> dict[int, list[str]]:
    wanted = set(person_ids)
    if not wanted:
        return {}
    found = await session.execute(
        select(Membership.person_id, Cohort.name)
        .join(Cohort, Cohort.id == Membership.cohort_id)
        .where(Membership.person_id.in_(wanted), Cohort.status == CohortStatus.CLOSED)
        .order_by(Cohort.closed_at, Cohort.id)
    )
    names: dict[int, list[str]] = {}
    for person_id, name in found.all():
        names.setdefault(person_id, []).append(name)
    return names


# Directory -------------------------------------------------------------------------------------


async def directory_entry(session: AsyncSession, person_id: int) -> DirectoryEntry | None:
    return await session.get(DirectoryEntry, person_id)


async def listed_entries(session: AsyncSession) -> list[tuple[DirectoryEntry, Person]]:
    found = await session.execute(
        select(DirectoryEntry, Person)
        .join(Person, Person.id == DirectoryEntry.person_id)
        .where(DirectoryEntry.listed.is_(True))
        .order_by(DirectoryEntry.updated_at, DirectoryEntry.person_id)
    )
    return [(e, p) for e, p in found.all()]


# Mentoring -------------------------------------------------------------------------------------


async def mentor_offer(session: AsyncSession, person_id: int) -> MentorOffer | None:
    return await session.get(MentorOffer, person_id)


async def active_offers(session: AsyncSession) -> list[tuple[MentorOffer, Person]]:
    found = await session.execute(
        select(MentorOffer, Person)
        .join(Person, Person.id == MentorOffer.person_id)
        .where(MentorOffer.active.is_(True))
        .order_by(MentorOffer.created_at, MentorOffer.person_id)
    )
    return [(o, p) for o, p in found.all()]


async def mentor_loads(session: AsyncSession) -> dict[int, int]:
    """Mentor id -> pairings being asked or under way."""
    found = await session.execute(
        select(MentorPairing.mentor_id, func.count())
        .where(MentorPairing.status.in_(LOAD_STATUSES))
        .group_by(MentorPairing.mentor_id)
    )
    return {int(row[0]): int(row[1]) for row in found.all()}


async def pairings_of_mentee(session: AsyncSession, mentee_id: int) -> list[MentorPairing]:
    found = await session.execute(
        select(MentorPairing)
        .where(MentorPairing.mentee_id == mentee_id)
        .order_by(MentorPairing.created_at, MentorPairing.id)
    )
    return list(found.scalars())


async def pairings_of_mentor(
    session: AsyncSession, mentor_id: int, statuses: Sequence[str] = LOAD_STATUSES
) -> list[MentorPairing]:
    found = await session.execute(
        select(MentorPairing)
        .where(MentorPairing.mentor_id == mentor_id, MentorPairing.status.in_(statuses))
        .order_by(MentorPairing.created_at, MentorPairing.id)
    )
    return list(found.scalars())


async def active_mentor_of(session: AsyncSession, mentee_id: int) -> MentorPairing | None:
    found = await session.execute(
        select(MentorPairing)
        .where(MentorPairing.mentee_id == mentee_id, MentorPairing.status == ACTIVE)
        .order_by(MentorPairing.answered_at.desc(), MentorPairing.id.desc())
        .limit(1)
    )
    return found.scalar_one_or_none()
