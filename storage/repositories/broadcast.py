"""Announcements: numbering, variants, recipients (with targeting), fan-out rows and progress."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import BoundChat, Identity, Membership, OutboxMessage, Person
from storage.models.broadcast import Announcement, AnnouncementStatus, AnnouncementVariant
from storage.models.core import MessageStatus

FINAL_STATUSES = (MessageStatus.SENT, MessageStatus.FAILED, MessageStatus.BLOCKED)
WAITING_STATUSES = (MessageStatus.PENDING, MessageStatus.CLAIMED)


@dataclass(frozen=True)
class Target:
    """Who gets an announcement. Empty = every member and every bound group chat. Roles are
    alternatives, and so are languages and RSVP answers; the kinds combine (all must hold).
    Group chats only get untargeted announcements: everyone in the cohort reads them."""

    roles: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    rsvp_session: int | None = None
    rsvp_answers: tuple[str, ...] = ()

    @property
    def everyone(self) -> bool:
        return not self.roles and not self.languages and self.rsvp_session is None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        if self.roles:
            data["roles"] = list(self.roles)
        if self.languages:
            data["languages"] = list(self.languages)
        if self.rsvp_session is not None:
            data["rsvp"] = {"session": self.rsvp_session, "answers": list(self.rsvp_answers)}
        return data

    @staticmethod
    def from_json(data: dict[str, Any]) -> Target:
        rsvp = data.get("rsvp") or {}
        return Target(
            roles=tuple(data.get("roles") or ()),
            languages=tuple(data.get("languages") or ()),
            rsvp_session=rsvp.get("session"),
            rsvp_answers=tuple(rsvp.get("answers") or ()),
        )


@dataclass(frozen=True)
class QueuedMessage:
    """One outbox row of a broadcast, in the same shape `bot.outbox.enqueue_message` writes."""

    key: str
    platform: str
    chat_id: str
    is_group: bool
    person_id: int | None
    text: str
    not_before: datetime
    protect: bool = False  # no forwarding or saving (discreet mode)
    language: str | None = None  # the reader's, on a protected message


@dataclass(frozen=True)
class Progress:
    sent: int = 0
    waiting: int = 0  # rows pending or claimed (not counting members not queued yet)
    failed: int = 0
    blocked: int = 0

    @property
    def rows(self) -> int:
        return self.sent + self.waiting + self.failed + self.blocked


@dataclass
class RecipientCount:
    members: int = 0
    chats: int = 0
    chat_rows: list[BoundChat] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.members + self.chats


# Announcements ------------------------------------------------------------------------------
async def next_number(session: AsyncSession, cohort_id: int) -> int:
    found = await session.execute(
        select(func.max(Announcement.number)).where(Announcement.cohort_id == cohort_id)
    )
    return int(found.scalar_one() or 0) + 1


async def by_number(
    session: AsyncSession, cohort_id: int, number: int, *, lock: bool = False
) -> Announcement | None:
    query = select(Announcement).where(
        Announcement.cohort_id == cohort_id, Announcement.number == number
    )
    if lock:
        query = query.with_for_update()
    found = await session.execute(query)
    return found.scalar_one_or_none()


async def locked(session: AsyncSession, announcement_id: int) -> Announcement | None:
    """The announcement, locked for this transaction (fan-out and cancel never interleave)."""
    found = await session.execute(
        select(Announcement).where(Announcement.id == announcement_id).with_for_update()
    )
    return found.scalar_one_or_none()


async def recent(session: AsyncSession, cohort_id: int, limit: int = 10) -> list[Announcement]:
    """Unfinished ones first (drafts, scheduled, sending), then the latest finished ones."""
    open_ = await session.execute(
        select(Announcement)
        .where(
            Announcement.cohort_id == cohort_id,
            Announcement.status.in_(
                (AnnouncementStatus.DRAFT, AnnouncementStatus.SCHEDULED, AnnouncementStatus.SENDING)
            ),
        )
        .order_by(Announcement.number.desc())
    )
    finished = await session.execute(
        select(Announcement)
        .where(
            Announcement.cohort_id == cohort_id,
            Announcement.status.in_((AnnouncementStatus.DONE, AnnouncementStatus.CANCELLED)),
        )
        .order_by(Announcement.number.desc())
        .limit(limit)
    )
    return [*open_.scalars(), *finished.scalars()]


async def variants(session: AsyncSession, announcement_id: int) -> dict[str, str]:
    found = await session.execute(
        select(AnnouncementVariant.language, AnnouncementVariant.text).where(
            AnnouncementVariant.announcement_id == announcement_id
        )
    )
    return {lang: text for lang, text in found.all()}


async def set_variant(
    session: AsyncSession, announcement_id: int, language: str, text: str, now: datetime
) -> None:
    found = await session.execute(
        select(AnnouncementVariant).where(
            AnnouncementVariant.announcement_id == announcement_id,
            AnnouncementVariant.language == language,
        )
    )
    variant = found.scalar_one_or_none()
    if variant is None:
        session.add(
            AnnouncementVariant(
                announcement_id=announcement_id, language=language, text=text, created_at=now
            )
        )
    else:
        variant.text = text
        variant.created_at = now
    await session.flush()


# Recipients ---------------------------------------------------------------------------------
def _member_filters(
    cohort_id: int,
    target: Target,
    default_language: str,
    rsvp_people: Sequence[int] | None,
) -> list[ColumnElement[bool]]:
    filters: list[ColumnElement[bool]] = [Membership.cohort_id == cohort_id]
    if target.roles:
        filters.append(Membership.role.in_(target.roles))
    if target.languages:
        language: ColumnElement[bool] = Person.language.in_(target.languages)
        if default_language in target.languages:
            language = or_(language, Person.language.is_(None))
        filters.append(language)
    if rsvp_people is not None:
        filters.append(Person.id.in_(rsvp_people))
    return filters


async def count_recipients(
    session: AsyncSession,
    cohort_id: int,
    target: Target,
    default_language: str,
    rsvp_people: Sequence[int] | None = None,
) -> RecipientCount:
    """Members matching `target` plus, for an untargeted announcement, the bound group chats.
    `rsvp_people` is a subquery (or list) of person ids when targeting by RSVP."""
    found = await session.execute(
        select(func.count())
        .select_from(Membership)
        .join(Person, Person.id == Membership.person_id)
        .where(*_member_filters(cohort_id, target, default_language, rsvp_people))
    )
    count = RecipientCount(members=int(found.scalar_one()))
    if target.everyone:
        chats = await session.execute(
            select(BoundChat).where(BoundChat.cohort_id == cohort_id).order_by(BoundChat.id)
        )
        count.chat_rows = list(chats.scalars())
        count.chats = len(count.chat_rows)
    return count


async def member_batch(
    session: AsyncSession,
    cohort_id: int,
    target: Target,
    default_language: str,
    *,
    after: int,
    limit: int,
    rsvp_people: Sequence[int] | None = None,
) -> list[Person]:
    """The next `limit` matching members with a person id above `after`, in id order."""
    found = await session.execute(
        select(Person)
        .join(Membership, Membership.person_id == Person.id)
        .where(
            Person.id > after, *_member_filters(cohort_id, target, default_language, rsvp_people)
        )
        .order_by(Person.id)
        .limit(limit)
    )
    return list(found.scalars())


async def reachable_identities(
    session: AsyncSession, person_ids: Sequence[int]
) -> dict[int, Identity]:
    """For each person, the identity to reach them privately: reachable, most recently seen
    (the same choice as `preferred_identity`, for a whole batch in one query)."""
    if not person_ids:
        return {}
    found = await session.execute(
        select(Identity)
        .where(Identity.person_id.in_(person_ids), Identity.reachable.is_(True))
        .order_by(Identity.person_id, Identity.last_seen_at.desc(), Identity.id.desc())
    )
    chosen: dict[int, Identity] = {}
    for identity in found.scalars():
        chosen.setdefault(identity.person_id, identity)
    return chosen


async def queue_messages(
    session: AsyncSession,
    messages: Sequence[QueuedMessage],
    *,
    broadcast_id: int,
    priority: int,
    now: datetime,
) -> int:
    """Insert the rows, skipping keys that exist (INSERT ... ON CONFLICT DO NOTHING RETURNING,
    run as one cached statement over all rows: several times faster than a multi-row VALUES
    statement built per batch, see bench/broadcast.py). Returns how many were new: re-running
    a batch after a crash queues nobody twice."""
    if not messages:
        return 0
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(OutboxMessage)
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(OutboxMessage.id)
    )
    found = await session.execute(
        statement,
        [
            {
                "idempotency_key": m.key,
                "platform": m.platform,
                "chat_id": m.chat_id,
                "is_group": m.is_group,
                "person_id": m.person_id,
                "text": m.text,
                "choices": [],
                "question_id": None,
                "question_tag": None,
                "file_name": None,
                "file_content": None,
                "broadcast_id": broadcast_id,
                "protect": m.protect,
                "language": m.language,
                "priority": priority,
                "status": MessageStatus.PENDING,
                "attempts": 0,
                "not_before": m.not_before,
                "created_at": now,
            }
            for m in messages
        ],
    )
    return len(found.all())


# Progress -----------------------------------------------------------------------------------
async def progress(session: AsyncSession, announcement_ids: Sequence[int]) -> dict[int, Progress]:
    """Outbox rows per announcement by outcome, in one grouped query."""
    if not announcement_ids:
        return {}
    found = await session.execute(
        select(OutboxMessage.broadcast_id, OutboxMessage.status, func.count())
        .where(OutboxMessage.broadcast_id.in_(announcement_ids))
        .group_by(OutboxMessage.broadcast_id, OutboxMessage.status)
    )
    counts: dict[int, dict[str, int]] = {}
    for broadcast_id, status, n in found.all():
        counts.setdefault(int(broadcast_id or 0), {})[status] = int(n)
    result: dict[int, Progress] = {}
    for announcement_id in announcement_ids:
        c = counts.get(announcement_id, {})
        result[announcement_id] = Progress(
            sent=c.get("sent", 0),
            waiting=sum(c.get(s, 0) for s in WAITING_STATUSES),
            failed=c.get("failed", 0),
            blocked=c.get("blocked", 0),
        )
    return result


async def earliest_waiting(session: AsyncSession, announcement_id: int) -> datetime | None:
    """When the next still-waiting row of the announcement may go out (quiet hours push it)."""
    found = await session.execute(
        select(func.min(OutboxMessage.not_before)).where(
            OutboxMessage.broadcast_id == announcement_id,
            OutboxMessage.status.in_(WAITING_STATUSES),
        )
    )
    value: datetime | None = found.scalar_one()
    return value


async def drop_pending(session: AsyncSession, announcement_id: int) -> int:
    """Delete the rows not handed to a platform yet (a message being sent right now goes out)."""
    result = await session.execute(
        delete(OutboxMessage)
        .where(
            and_(
                OutboxMessage.broadcast_id == announcement_id,
                OutboxMessage.status == MessageStatus.PENDING,
            )
        )
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
