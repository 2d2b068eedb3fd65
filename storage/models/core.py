"""People, their platform identities, and the durable machinery: jobs, outbox, dedupe, questions."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base


class Person(Base):
    """One human, possibly known on several platforms. Holds only what the program needs."""

    __tablename__ = "person"

    id: Mapped[int] = mapped_column(primary_key=True)
    language: Mapped[str | None] = mapped_column(String(16))
    timezone: Mapped[str | None] = mapped_column(String(64))
    country: Mapped[str | None] = mapped_column(String(2))
    # True while the country is the one guessed from the time zone: it follows a corrected
    # zone; a country set with `country` stays.
    country_from_zone: Mapped[bool] = mapped_column(default=False)
    quiet_start: Mapped[str | None] = mapped_column(String(5))  # "22:00"; None = off
    quiet_end: Mapped[str | None] = mapped_column(String(5))
    active_cohort_id: Mapped[int | None] = mapped_column(
        ForeignKey("cohort.id", ondelete="SET NULL")
    )
    onboarding_step: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime]


class Identity(Base):
    """A person's account on one platform, and the private chat that reaches them there."""

    __tablename__ = "identity"
    __table_args__ = (UniqueConstraint("platform", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    platform: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str | None] = mapped_column(String(255))
    # The public handle without "@" (Telegram's username), as the platform last reported it.
    username: Mapped[str | None] = mapped_column(String(64))
    private_chat_id: Mapped[str | None] = mapped_column(String(255))
    reachable: Mapped[bool] = mapped_column(default=True)
    last_seen_at: Mapped[datetime]


class ProcessedUpdate(Base):
    """Update ids already handled: a re-delivered update is processed once."""

    __tablename__ = "processed_update"

    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    update_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    processed_at: Mapped[datetime] = mapped_column(index=True)


class PendingQuestion(Base):
    """A question waiting for a person's answer (by button, number, label or text).

    Ids are never reused (AUTOINCREMENT on SQLite; PostgreSQL's sequences never go back), and
    buttons carry `nonce` too (bot/question_tags.py): a button left from an earlier question
    can never answer a later one."""

    __tablename__ = "pending_question"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(64))
    nonce: Mapped[str] = mapped_column(String(16), default="")
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    choices: Mapped[list[list[str]]] = mapped_column(JSON, default=list)  # [[key, label], ...]
    free_text: Mapped[bool] = mapped_column(default=False)
    sticky: Mapped[bool] = mapped_column(default=False)  # survives the person's next command
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]


class JobStatus(StrEnum):
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"  # its handler kept failing
    CANCELLED = "cancelled"


class MessageStatus(StrEnum):
    PENDING = "pending"
    CLAIMED = "claimed"  # being sent by one instance, until its lease runs out
    SENT = "sent"
    FAILED = "failed"
    BLOCKED = "blocked"  # the person blocked the bot


class Job(Base):
    """Work due later. A row first, then a timer: a crash loses nothing."""

    __tablename__ = "job"
    __table_args__ = (Index("ix_job_status_due", "status", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    due_at: Mapped[datetime]
    zone: Mapped[str | None] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default=JobStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    idempotency_key: Mapped[str] = mapped_column(String(255), unique=True)
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), index=True
    )
    cohort_id: Mapped[int | None] = mapped_column(
        ForeignKey("cohort.id", ondelete="CASCADE"), index=True
    )
    last_error: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]


class OutboxMessage(Base):
    """One message to one chat. The text is cleared once it is sent (no message archive)."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "status", "platform", "not_before"),
        # A chat's rows on their way (the delivery claims none of a chat whose lane is busy).
        Index("ix_outbox_chat", "platform", "chat_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(255), unique=True)
    platform: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(255))
    is_group: Mapped[bool] = mapped_column(default=False)
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(Text, default="")
    choices: Mapped[list[list[str]]] = mapped_column(JSON, default=list)
    question_id: Mapped[int | None]
    question_tag: Mapped[str | None] = mapped_column(String(16))  # travels in buttons
    file_name: Mapped[str | None] = mapped_column(String(255))
    file_content: Mapped[bytes | None] = mapped_column(LargeBinary)
    broadcast_id: Mapped[int | None] = mapped_column(index=True)
    # Telegram's protect_content: no forwarding or saving (a cohort in discreet mode).
    protect: Mapped[bool] = mapped_column(default=False)
    # The reader's language, on a protected message: a line an adapter writes beside it (Matrix's
    # invitation to an encrypted chat) speaks it.
    language: Mapped[str | None] = mapped_column(String(16))
    priority: Mapped[int] = mapped_column(default=0)  # lower goes first: replies before broadcasts
    status: Mapped[str] = mapped_column(String(16), default=MessageStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    not_before: Mapped[datetime]
    claimed_until: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    platform_message_id: Mapped[str | None] = mapped_column(String(128))
    error: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]


class KeyValue(Base):
    """Small adapter state (Matrix sync token, DM rooms, leases), keyed by namespace."""

    __tablename__ = "kv"

    namespace: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime]
