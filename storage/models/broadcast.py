"""Announcements (coordinator broadcasts): the text, its per-language variants and its targeting.

What each recipient gets is an outbox row (`OutboxMessage.broadcast_id` = the announcement's id,
idempotency key `b:{announcement}:{person}` or `b:{announcement}:chat:{platform}:{chat}`); the
delivery progress is counted from those rows, so nothing here duplicates the outbox."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base


class AnnouncementStatus(StrEnum):
    DRAFT = "draft"  # waiting for the author's confirmation
    SCHEDULED = "scheduled"  # confirmed, fan-out not started yet
    SENDING = "sending"  # fan-out started (rows being queued and/or delivered)
    DONE = "done"  # every row final and the report sent
    CANCELLED = "cancelled"  # by `cancelannouncement` (before or during sending)


class Announcement(Base):
    __tablename__ = "announcement"
    __table_args__ = (UniqueConstraint("cohort_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]  # short per-cohort number shown to coordinators (#3)
    # The cohort's message, not the author's personal data: erasing the author keeps it.
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), index=True
    )
    text: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(16))  # the language the original is written in
    status: Mapped[str] = mapped_column(String(16), default=AnnouncementStatus.DRAFT)
    scheduled_at: Mapped[datetime | None]  # None = as soon as confirmed
    zone: Mapped[str] = mapped_column(String(64))  # the zone the author gave the time in
    respect_quiet: Mapped[bool] = mapped_column(default=False)
    # {"roles": [...], "languages": [...], "rsvp": {"session": N, "answers": [...]}}; {} = all
    target: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    planned: Mapped[int] = mapped_column(default=0)  # recipients counted when fan-out began
    queued: Mapped[int] = mapped_column(default=0)  # outbox rows created so far
    unreachable: Mapped[int] = mapped_column(default=0)  # members with no reachable identity
    stopped: Mapped[int] = mapped_column(default=0)  # not sent because it was cancelled
    fanout_after: Mapped[int] = mapped_column(default=0)  # cursor: last person id queued
    fanout_done: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime]
    confirmed_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


class AnnouncementVariant(Base):
    """The announcement in another language, written by a coordinator (`translate N LANG`)."""

    __tablename__ = "announcement_variant"
    __table_args__ = (UniqueConstraint("announcement_id", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    announcement_id: Mapped[int] = mapped_column(
        ForeignKey("announcement.id", ondelete="CASCADE"), index=True
    )
    language: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
