"""Queries for sessions, occurrences and RSVPs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Cohort, Membership
from storage.models.scheduling import (
    OCCURRENCE_CANCELLED,
    OCCURRENCE_SCHEDULED,
    RSVP_SERIES,
    SESSION_ACTIVE,
    ScheduledSession,
    SessionOccurrence,
    SessionRsvp,
)
from storage.upsert import insert_ignore


async def next_session_number(db: AsyncSession, cohort_id: int) -> int:
    found = await db.execute(
        select(func.max(ScheduledSession.number)).where(ScheduledSession.cohort_id == cohort_id)
    )
    return int(found.scalar_one() or 0) + 1


async def session_by_number(
    db: AsyncSession, cohort_id: int, number: int
) -> ScheduledSession | None:
    found = await db.execute(
        select(ScheduledSession).where(
            ScheduledSession.cohort_id == cohort_id, ScheduledSession.number == number
        )
    )
    return found.scalar_one_or_none()


async def active_sessions(
    db: AsyncSession, cohort_id: int, *, ending_after: datetime | None = None
) -> list[ScheduledSession]:
    """Sessions not cancelled as a whole; with `ending_after`, only those not over by then."""
    query = select(ScheduledSession).where(
        ScheduledSession.cohort_id == cohort_id, ScheduledSession.status == SESSION_ACTIVE
    )
    if ending_after is not None:
        query = query.where(
            or_(ScheduledSession.ends_at.is_(None), ScheduledSession.ends_at > ending_after)
        )
    found = await db.execute(query.order_by(ScheduledSession.number))
    return list(found.scalars())


async def all_sessions(db: AsyncSession, cohort_id: int) -> list[ScheduledSession]:
    found = await db.execute(
        select(ScheduledSession)
        .where(ScheduledSession.cohort_id == cohort_id)
        .order_by(ScheduledSession.number)
    )
    return list(found.scalars())


async def sessions_of_person(
    db: AsyncSession, person_id: int
) -> list[tuple[ScheduledSession, Cohort]]:
    """Every session of every cohort the person belongs to (for the calendar)."""
    found = await db.execute(
        select(ScheduledSession, Cohort)
        .join(Cohort, Cohort.id == ScheduledSession.cohort_id)
        .join(Membership, Membership.cohort_id == Cohort.id)
        .where(Membership.person_id == person_id)
        .order_by(Cohort.id, ScheduledSession.number)
    )
    return [(s, c) for s, c in found.all()]


async def occurrence_rows(db: AsyncSession, session_id: int) -> list[SessionOccurrence]:
    found = await db.execute(
        select(SessionOccurrence)
        .where(SessionOccurrence.session_id == session_id)
        .order_by(SessionOccurrence.original_start)
    )
    return list(found.scalars())


async def occurrence_row(
    db: AsyncSession, session_id: int, original_start: datetime
) -> SessionOccurrence | None:
    found = await db.execute(
        select(SessionOccurrence).where(
            SessionOccurrence.session_id == session_id,
            SessionOccurrence.original_start == original_start,
        )
    )
    return found.scalar_one_or_none()


async def ensure_occurrence_row(
    db: AsyncSession,
    session_id: int,
    original_start: datetime,
    start: datetime,
    end: datetime,
    now: datetime,
) -> tuple[SessionOccurrence, bool]:
    """The row for (session, original start), created if missing. True when new."""
    inserted = await insert_ignore(
        db,
        SessionOccurrence,
        {
            "session_id": session_id,
            "original_start": original_start,
            "start": start,
            "end": end,
            "status": OCCURRENCE_SCHEDULED,
            "moved": False,
            "created_at": now,
        },
        ["session_id", "original_start"],
    )
    row = await occurrence_row(db, session_id, original_start)
    assert row is not None
    return row, inserted > 0


async def delete_unstarted_rows(
    db: AsyncSession, session_id: int, after: datetime
) -> list[SessionOccurrence]:
    """Remove rows of occurrences that have not started by `after` (a whole series moved)."""
    found = await db.execute(
        select(SessionOccurrence).where(
            SessionOccurrence.session_id == session_id, SessionOccurrence.start > after
        )
    )
    rows = list(found.scalars())
    if rows:
        await db.execute(
            delete(SessionOccurrence).where(SessionOccurrence.id.in_([r.id for r in rows]))
        )
    return rows


async def past_occurrences(
    db: AsyncSession, cohort_id: int, since: datetime, before: datetime
) -> list[tuple[SessionOccurrence, ScheduledSession]]:
    """Occurrences that took place (not cancelled) with a start in [since, before)."""
    found = await db.execute(
        select(SessionOccurrence, ScheduledSession)
        .join(ScheduledSession, ScheduledSession.id == SessionOccurrence.session_id)
        .where(
            ScheduledSession.cohort_id == cohort_id,
            SessionOccurrence.status != OCCURRENCE_CANCELLED,
            SessionOccurrence.start >= since,
            SessionOccurrence.start < before,
        )
        .order_by(SessionOccurrence.start)
    )
    return [(o, s) for o, s in found.all()]


def rsvp_scope(occurrence_id: int | None) -> str:
    return RSVP_SERIES if occurrence_id is None else f"o{occurrence_id}"


async def set_rsvp(
    db: AsyncSession,
    *,
    session_id: int,
    person_id: int,
    occurrence_id: int | None,
    answer: str,
    now: datetime,
) -> None:
    scope = rsvp_scope(occurrence_id)
    inserted = await insert_ignore(
        db,
        SessionRsvp,
        {
            "session_id": session_id,
            "person_id": person_id,
            "occurrence_id": occurrence_id,
            "scope": scope,
            "answer": answer,
            "answered_at": now,
        },
        ["session_id", "person_id", "scope"],
    )
    if inserted:
        return
    found = await db.execute(
        select(SessionRsvp).where(
            SessionRsvp.session_id == session_id,
            SessionRsvp.person_id == person_id,
            SessionRsvp.scope == scope,
        )
    )
    row = found.scalar_one()
    row.answer = answer
    row.answered_at = now


async def rsvp_rows(
    db: AsyncSession, session_id: int, person_ids: Sequence[int] | None = None
) -> list[SessionRsvp]:
    query = select(SessionRsvp).where(SessionRsvp.session_id == session_id)
    if person_ids is not None:
        query = query.where(SessionRsvp.person_id.in_(list(person_ids)))
    found = await db.execute(query)
    return list(found.scalars())
