"""What other capabilities use from scheduling: occurrences, RSVPs, and occurrence job keys.

Debriefs (after an occurrence ends), consent check-ins (before occurrences of recorded
sessions) and broadcasts (targeted by RSVP) build on these functions. A capability that reacts
to occurrences subscribes to the events in handlers/scheduling/events.py."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.outbox import cancel_jobs
from handlers.scheduling.core import SESSION_ROLES, Occurrence, expand_session
from storage.models import Job, Membership, Person
from storage.models.scheduling import (
    RSVP_SERIES,
    ScheduledSession,
    SessionOccurrence,
)
from storage.repositories.scheduling import active_sessions, occurrence_rows, rsvp_rows

# --------------------------------------------------------------------------- job keys


def occurrence_job_key(prefix: str, occurrence: Occurrence, *parts: object) -> str:
    """An idempotency key for a job tied to an occurrence, e.g.
    ``consent.checkin:s12-20261208T170000Z@20261208T170000Z:p7``. Pending jobs with such keys
    are cancelled when the occurrence is cancelled or moved; a moved occurrence has a new
    ``start_key``, so re-scheduling after a move creates fresh jobs."""
    tail = "".join(f":{part}" for part in parts)
    return f"{prefix}:{occurrence.start_key}{tail}"


async def cancel_occurrence_jobs(db: AsyncSession, occurrence: Occurrence) -> int:
    """Cancel every pending job keyed with `occurrence_job_key` for this occurrence (any time
    it had)."""
    return await cancel_jobs(db, Job.idempotency_key.like(f"%:{occurrence.key}@%"))


# --------------------------------------------------------------------------- occurrences


async def occurrences_between(
    db: AsyncSession,
    session: ScheduledSession,
    start: datetime,
    end: datetime,
    *,
    include_cancelled: bool = False,
) -> list[Occurrence]:
    """Occurrences of one session overlapping [start, end), sorted, moves applied."""
    rows = await occurrence_rows(db, session.id)
    return expand_session(session, rows, start, end, include_cancelled=include_cancelled)


async def upcoming_occurrences(
    db: AsyncSession, cohort_id: int, now: datetime, until: datetime
) -> list[Occurrence]:
    """Occurrences of every active session of a cohort that have not ended by `now` and start
    before `until`, sorted by start."""
    found: list[Occurrence] = []
    for session in await active_sessions(db, cohort_id, ending_after=now):
        found.extend(await occurrences_between(db, session, now, until))
    found.sort(key=lambda o: (o.start, o.number))
    return found


async def occurrence_by_id(db: AsyncSession, occurrence_id: int) -> Occurrence | None:
    """A materialized occurrence by its row id (None if gone); cancelled ones included."""
    row = await db.get(SessionOccurrence, occurrence_id)
    if row is None:
        return None
    session = await db.get(ScheduledSession, row.session_id)
    if session is None:
        return None
    around = await occurrences_between(
        db, session, row.start, row.start + (row.end - row.start), include_cancelled=True
    )
    for occurrence in around:
        if occurrence.original_start == row.original_start:
            return occurrence
    return None


# --------------------------------------------------------------------------- people and RSVPs


async def session_members(db: AsyncSession, cohort_id: int) -> list[Person]:
    """People sessions are for: every member except alumni."""
    query = select(Person).join(Membership, Membership.person_id == Person.id)
    found = await db.execute(_in_join_order(query, cohort_id))
    return list(found.scalars())


async def session_member_ids(db: AsyncSession, cohort_id: int) -> list[int]:
    """`session_members`' ids, in the same order, without loading the people."""
    found = await db.execute(_in_join_order(select(Membership.person_id), cohort_id))
    return list(found.scalars())


def _in_join_order(query: Select[Any], cohort_id: int) -> Select[Any]:
    """`query` narrowed to the cohort's members sessions are for, in the order they joined."""
    return query.where(
        Membership.cohort_id == cohort_id, Membership.role.in_(SESSION_ROLES)
    ).order_by(Membership.joined_at, Membership.id)


@dataclass(frozen=True)
class Answers:
    """Effective RSVPs for one occurrence: an answer for that occurrence wins over one for
    the whole series."""

    by_person: dict[int, str] = field(default_factory=dict)

    def of(self, person_id: int) -> str | None:
        return self.by_person.get(person_id)

    def who(self, *answers: str) -> list[int]:
        return [p for p, a in self.by_person.items() if a in answers]


async def answers_for(
    db: AsyncSession, occurrence: Occurrence, person_ids: Sequence[int] | None = None
) -> Answers:
    rows = await rsvp_rows(db, occurrence.session_id, person_ids)
    series = {r.person_id: r.answer for r in rows if r.scope == RSVP_SERIES}
    specific = {
        r.person_id: r.answer
        for r in rows
        if r.occurrence_id is not None and r.occurrence_id == occurrence.row_id
    }
    return Answers({**series, **specific})


async def rsvp_of(db: AsyncSession, occurrence: Occurrence, person_id: int) -> str | None:
    """ "yes", "no", "maybe" or None (no answer) for this person and occurrence."""
    return (await answers_for(db, occurrence, [person_id])).of(person_id)


async def people_by_rsvp(
    db: AsyncSession, occurrence: Occurrence, answers: Sequence[str | None]
) -> list[int]:
    """Ids of the session's members whose answer is in `answers` (None = no answer yet)."""
    members = await session_members(db, occurrence.cohort_id)
    effective = await answers_for(db, occurrence, [p.id for p in members])
    return [p.id for p in members if effective.of(p.id) in answers]


async def next_occurrence_answers(
    db: AsyncSession, cohort_id: int, now: datetime, until: datetime
) -> tuple[Occurrence, Answers] | None:
    """The next occurrence of the cohort (before `until`) and everyone's answer: for `roster`."""
    upcoming = await upcoming_occurrences(db, cohort_id, now, until)
    if not upcoming:
        return None
    return upcoming[0], await answers_for(db, upcoming[0])
