"""Attendance marks: set one person's mark for an occurrence, read an occurrence's or a
cohort's marks."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Attendance, ScheduledSession, SessionOccurrence
from storage.models.scheduling import OCCURRENCE_CANCELLED
from storage.upsert import insert_ignore


async def mark(
    session: AsyncSession,
    *,
    occurrence_id: int,
    person_id: int,
    attended: bool,
    marked_by: int | None,
    now: datetime,
) -> bool:
    """Set the mark; True when it changed (or is new)."""
    inserted = await insert_ignore(
        session,
        Attendance,
        {
            "occurrence_id": occurrence_id,
            "person_id": person_id,
            "attended": attended,
            "marked_by": marked_by,
            "marked_at": now,
        },
        ["occurrence_id", "person_id"],
    )
    if inserted:
        return True
    found = await session.execute(
        select(Attendance).where(
            Attendance.occurrence_id == occurrence_id, Attendance.person_id == person_id
        )
    )
    row = found.scalar_one()
    if row.attended == attended:
        return False
    row.attended, row.marked_by, row.marked_at = attended, marked_by, now
    return True


async def marks_of(session: AsyncSession, occurrence_id: int) -> dict[int, bool]:
    """person id -> attended, for the people marked at this occurrence."""
    found = await session.execute(
        select(Attendance.person_id, Attendance.attended).where(
            Attendance.occurrence_id == occurrence_id
        )
    )
    return {int(p): bool(a) for p, a in found.all()}


async def cohort_marks(
    session: AsyncSession, cohort_id: int, occurrence_ids: Sequence[int] | None = None
) -> dict[int, dict[int, bool]]:
    """occurrence id -> person id -> attended, for a cohort's occurrences."""
    query = (
        select(Attendance.occurrence_id, Attendance.person_id, Attendance.attended)
        .join(SessionOccurrence, SessionOccurrence.id == Attendance.occurrence_id)
        .join(ScheduledSession, ScheduledSession.id == SessionOccurrence.session_id)
        .where(ScheduledSession.cohort_id == cohort_id)
    )
    if occurrence_ids is not None:
        query = query.where(Attendance.occurrence_id.in_(list(occurrence_ids)))
    result: dict[int, dict[int, bool]] = {}
    for occurrence_id, person_id, attended in (await session.execute(query)).all():
        result.setdefault(int(occurrence_id), {})[int(person_id)] = bool(attended)
    return result


async def latest_started(
    session: AsyncSession, session_id: int, now: datetime
) -> SessionOccurrence | None:
    """The session's most recent occurrence that has begun (not cancelled): the one attendance
    is marked for."""
    found = await session.execute(
        select(SessionOccurrence)
        .where(
            SessionOccurrence.session_id == session_id,
            SessionOccurrence.start <= now,
            SessionOccurrence.status != OCCURRENCE_CANCELLED,
        )
        .order_by(SessionOccurrence.start.desc())
        .limit(1)
    )
    return found.scalar_one_or_none()
