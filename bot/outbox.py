"""Writing outbox rows and jobs: durable work is a row before it is anything else."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.messages import Address, Attachment, Choice, QuestionRef
from bot.payloads import Payload, stored
from storage.models import Job, OutboxMessage
from storage.models.core import JobStatus, MessageStatus
from storage.upsert import insert_ignore, insert_ignore_many

PRIORITY_REPLY = 0
PRIORITY_NOTICE = 5
PRIORITY_BROADCAST = 10


@dataclass(frozen=True)
class NewMessage:
    """One outbox row, as `enqueue_message` and `enqueue_many` write it."""

    key: str
    to: Address
    text: str
    choices: Sequence[Choice] = ()
    question: QuestionRef | None = None
    attachment: Attachment | None = None
    person_id: int | None = None
    not_before: datetime | None = None
    priority: int = PRIORITY_NOTICE
    broadcast_id: int | None = None
    protect: bool = False  # no forwarding or saving (discreet mode)
    language: str | None = None  # the reader's (set on protected messages)

    def row(self, now: datetime) -> dict[str, Any]:
        return {
            "idempotency_key": self.key,
            "platform": self.to.platform,
            "chat_id": self.to.chat_id,
            "is_group": self.to.is_group,
            "person_id": self.person_id,
            "text": self.text,
            "choices": [[c.key, c.label] for c in self.choices],
            "question_id": self.question.id if self.question else None,
            "question_tag": self.question.tag if self.question else None,
            "file_name": self.attachment.filename if self.attachment else None,
            "file_content": self.attachment.content if self.attachment else None,
            "broadcast_id": self.broadcast_id,
            "protect": self.protect,
            "language": self.language,
            "priority": self.priority,
            "status": MessageStatus.PENDING,
            "attempts": 0,
            "not_before": self.not_before or now,
            "created_at": now,
        }


async def enqueue_many(
    session: AsyncSession, messages: Sequence[NewMessage], now: datetime
) -> None:
    """Queue many messages in one statement (executed over all rows); keys already queued are
    skipped, as with `enqueue_message`."""
    rows = [m.row(now) for m in messages]
    await insert_ignore_many(session, OutboxMessage, rows, ["idempotency_key"])


async def enqueue_message(
    session: AsyncSession,
    *,
    key: str,
    to: Address,
    text: str,
    now: datetime,
    choices: Sequence[Choice] = (),
    question: QuestionRef | None = None,
    attachment: Attachment | None = None,
    person_id: int | None = None,
    not_before: datetime | None = None,
    priority: int = PRIORITY_REPLY,
    broadcast_id: int | None = None,
    protect: bool = False,
    language: str | None = None,
) -> bool:
    """Queue one message; a second call with the same key is a no-op. True when queued."""
    message = NewMessage(
        key,
        to,
        text,
        choices,
        question,
        attachment,
        person_id,
        not_before,
        priority,
        broadcast_id,
        protect,
        language,
    )
    inserted = await insert_ignore(session, OutboxMessage, message.row(now), ["idempotency_key"])
    return inserted > 0


async def schedule_job(
    session: AsyncSession,
    *,
    kind: str,
    due_at: datetime,
    key: str,
    now: datetime,
    payload: Payload | Mapping[str, Any] | None = None,
    person_id: int | None = None,
    cohort_id: int | None = None,
    zone: str | None = None,
) -> bool:
    """Schedule a job once per idempotency key. True when it was new."""
    job = NewJob(kind, due_at, key, payload, person_id, cohort_id, zone)
    inserted = await insert_ignore(session, Job, job.row(now), ["idempotency_key"])
    return inserted > 0


@dataclass(frozen=True)
class NewJob:
    """One job row, as `schedule_jobs` writes it (the arguments of `schedule_job`)."""

    kind: str
    due_at: datetime
    key: str
    payload: Payload | Mapping[str, Any] | None = None  # typed (bot/payloads.py), or as stored
    person_id: int | None = None
    cohort_id: int | None = None
    zone: str | None = None

    def row(self, now: datetime) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "due_at": self.due_at,
            "zone": self.zone,
            "payload": stored(self.payload),
            "status": JobStatus.PENDING,
            "attempts": 0,
            "idempotency_key": self.key,
            "person_id": self.person_id,
            "cohort_id": self.cohort_id,
            "created_at": now,
        }


async def schedule_jobs(session: AsyncSession, jobs: Sequence[NewJob], now: datetime) -> None:
    """Schedule many jobs in one statement executed over all rows (in their order, so they get
    ids in that order); keys already scheduled are skipped, as with `schedule_job`."""
    await insert_ignore_many(session, Job, [job.row(now) for job in jobs], ["idempotency_key"])


async def cancel_jobs(session: AsyncSession, *conditions: Any) -> int:
    """Cancel pending jobs matching SQLAlchemy conditions on Job (e.g. Job.kind == 'x')."""
    result = await session.execute(
        update(Job)
        .where(Job.status == JobStatus.PENDING, *conditions)
        .values(status=JobStatus.CANCELLED)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
