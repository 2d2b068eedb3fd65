"""Cohorts, memberships with roles, group chats bound to a cohort, and failed invite-code tries."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from functools import cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Delete, ForeignKey, String, UniqueConstraint, bindparam, delete
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, Executor

if TYPE_CHECKING:
    from bot.config import PrivacyConfig


class Role(StrEnum):
    """A member's role in one cohort (stored as its value)."""

    COORDINATOR = "coordinator"
    FACILITATOR = "facilitator"
    MENTOR = "mentor"
    PARTICIPANT = "participant"
    ALUMNI = "alumni"


class CohortStatus(StrEnum):
    ACTIVE = "active"
    CLOSED = "closed"  # its members became alumni; nothing new is planned


ROLES = tuple(Role)
# Who runs a cohort: they see rosters and reports, plan sessions, and keep their role when the
# cohort closes (everyone else becomes alumni).
STAFF_ROLES = (Role.COORDINATOR, Role.FACILITATOR)


class Cohort(Base):
    __tablename__ = "cohort"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    code: Mapped[str] = mapped_column(String(16), unique=True)
    zone: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default=CohortStatus.ACTIVE)
    anonymous_debriefs: Mapped[bool] = mapped_column(default=False)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]


DISCREET = "discreet"  # the key in Cohort.settings: `discreet on` (handlers/safety/discreet.py)


def is_discreet(cohort: Cohort | None) -> bool:
    """Discreet mode: messages about the cohort are protected from forwarding and saving, and
    notifications name neither the program nor the topic."""
    return cohort is not None and bool((cohort.settings or {}).get(DISCREET))


class Membership(Base):
    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("cohort_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    joined_at: Mapped[datetime]


class BoundChat(Base):
    """A group chat or Matrix room linked to a cohort: announcements and notices go there too."""

    __tablename__ = "bound_chat"
    __table_args__ = (UniqueConstraint("platform", "chat_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id", ondelete="CASCADE"), index=True)
    platform: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(255))
    bound_at: Mapped[datetime]


FAILED_JOIN_WINDOW = timedelta(hours=1)


class FailedJoin(Base):
    """One wrong invite code typed by a person: counted to rate-limit guessing. Rows older than the
    window are pruned on every join attempt and by the daily retention job; erasing the person
    erases them."""

    __tablename__ = "failed_join"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    attempted_at: Mapped[datetime] = mapped_column(index=True)

    @classmethod
    async def __retention__(cls, session: Executor, now: datetime, privacy: PrivacyConfig) -> int:
        result = await session.execute(_purge_failed_joins(), {"cutoff": now - FAILED_JOIN_WINDOW})
        return int(getattr(result, "rowcount", 0) or 0)


@cache
def _purge_failed_joins() -> Delete:
    """The daily retention pass's statement, built once (the cutoff a parameter)."""
    return delete(FailedJoin).where(FailedJoin.attempted_at <= bindparam("cutoff"))
