"""The consent ledger: every answer a person gives about a consent scope is a new row.

Nothing updates or deletes these rows; the current state is derived from them
(storage/repositories/consent.py). The only way rows go is the person's erasure: the
person key cascades, and storage/privacy.py exports and erases them like any personal table.
The keys to cohort and session have no ON DELETE action on purpose: deleting a cohort or
session that has ledger rows fails instead of silently taking the ledger with it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, event
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base

SCOPES = ("recording", "photos", "sharing", "alumni", "debrief")
# Asked during onboarding, in this order (each one skippable).
CORE_SCOPES = SCOPES
YES, NO = "yes", "no"
ANSWERS = (YES, NO)
# How an answer was given.
VIA_COMMAND = "command"
VIA_CHECKIN = "checkin"
VIA_ONBOARDING = "onboarding"
VIA_RENEWAL = "renewal"
VIAS = (VIA_COMMAND, VIA_CHECKIN, VIA_ONBOARDING, VIA_RENEWAL)


class AppendOnlyError(RuntimeError):
    """Someone tried to change or delete a ledger row through the ORM."""


class ConsentRecord(Base):
    """One answer: who, which scope, yes or no, in which cohort (and, for a per-session answer,
    which occurrence), when, how, and until when a yes holds."""

    __tablename__ = "consent_record"
    __table_args__ = (
        Index("ix_consent_record_lookup", "cohort_id", "person_id", "scope", "given_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id"))
    scope: Mapped[str] = mapped_column(String(16))
    answer: Mapped[str] = mapped_column(String(3))  # yes | no
    # A per-session answer ("not for this session"): the session and its occurrence's stable key
    # (handlers.scheduling.core.Occurrence.key, which survives moves). None = the whole cohort.
    session_id: Mapped[int | None] = mapped_column(ForeignKey("scheduled_session.id"))
    occurrence_key: Mapped[str | None] = mapped_column(String(64))
    given_at: Mapped[datetime]
    via: Mapped[str] = mapped_column(String(16))  # command | checkin | onboarding | renewal
    # When a yes stops counting (the cohort's expiry setting at the time); None = never.
    expires_at: Mapped[datetime | None]


def _refuse_change(_mapper: Any, _connection: Any, target: ConsentRecord) -> None:
    raise AppendOnlyError(f"consent_record {target.id} is append-only")


event.listen(ConsentRecord, "before_update", _refuse_change)
event.listen(ConsentRecord, "before_delete", _refuse_change)
