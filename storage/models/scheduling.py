"""Sessions (one-off or recurring), their materialized occurrences, and RSVPs.

A session is a start in its IANA zone plus an optional RFC 5545 rule: `start_wall` is the
wall-clock time as the coordinator meant it (kept even when it falls in a DST gap, so every
week is planned at that wall time), `starts_at` the UTC instant of the first occurrence.

An occurrence row exists once an occurrence is materialized (within the scheduling horizon,
or earlier when someone cancels, moves or answers for it). Its identity is
(session_id, original_start): the instant the rule generated, which never changes, even when
the occurrence is moved (`start` is where it really is).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base

SESSION_ACTIVE = "active"
SESSION_CANCELLED = "cancelled"
OCCURRENCE_SCHEDULED = "scheduled"
OCCURRENCE_CANCELLED = "cancelled"
RSVP_ANSWERS = ("yes", "no", "maybe")
RSVP_SERIES = "series"  # scope of an answer that holds for every occurrence


class ScheduledSession(Base):
    __tablename__ = "scheduled_session"
    __table_args__ = (UniqueConstraint("cohort_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]  # short per-cohort number people type: `rsvp 3 yes`
    title: Mapped[str] = mapped_column(String(200))
    zone: Mapped[str] = mapped_column(String(64))
    start_wall: Mapped[str] = mapped_column(String(19))  # "2026-12-03T15:00:00", in `zone`
    starts_at: Mapped[datetime]  # first occurrence, UTC (gap/fold rule applied)
    duration_minutes: Mapped[int]
    rrule: Mapped[str | None] = mapped_column(String(120))  # "FREQ=WEEKLY;UNTIL=...Z" or None
    ends_at: Mapped[datetime | None]  # end of the last occurrence; None = open-ended series
    recorded: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(16), default=SESSION_ACTIVE)
    cancelled_at: Mapped[datetime | None]  # series cancelled: nothing from here on
    sequence: Mapped[int] = mapped_column(default=0)  # bumped on every change (iCalendar)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class SessionOccurrence(Base):
    __tablename__ = "session_occurrence"
    __table_args__ = (
        UniqueConstraint("session_id", "original_start"),
        Index("ix_session_occurrence_start", "start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("scheduled_session.id", ondelete="CASCADE"), index=True
    )
    original_start: Mapped[datetime]  # what the rule generated: the identity
    start: Mapped[datetime]  # where it is now (differs when moved)
    end: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default=OCCURRENCE_SCHEDULED)
    moved: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime]
    changed_at: Mapped[datetime | None]


class SessionRsvp(Base):
    """A person's answer for one occurrence, or (scope "series") for all of a session's."""

    __tablename__ = "session_rsvp"
    __table_args__ = (UniqueConstraint("session_id", "person_id", "scope"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("scheduled_session.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    occurrence_id: Mapped[int | None] = mapped_column(
        ForeignKey("session_occurrence.id", ondelete="CASCADE"), index=True
    )
    scope: Mapped[str] = mapped_column(String(24))  # "series" or f"o{occurrence_id}"
    answer: Mapped[str] = mapped_column(String(8))  # yes | no | maybe
    answered_at: Mapped[datetime]
