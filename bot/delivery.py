"""The outbox dispatcher: claim due rows with a lease, send within the platform's rate limits,
record the outcome. A crash after sending and before recording can repeat one message when the
lease runs out; the idempotency key is handed to the platform (Matrix uses it as the
transaction id, so the homeserver drops the repeat)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update

from bot.clock import Clock
from bot.messages import Address, Attachment, Choice, Outbound, SendResult, SendStatus
from bot.platform import Platform
from bot.ratelimit import Windows
from storage.engine import Database
from storage.models import Identity, OutboxMessage

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class Claimed:
    id: int
    outbound: Outbound
    attempts: int = 0


class Limiter:
    """A platform's documented limits: overall per second, per private chat, per group chat."""

    def __init__(self, platform: Platform, clock: Clock) -> None:
        limits = platform.capabilities.limits
        second, minute = timedelta(seconds=1), timedelta(minutes=1)
        self.global_ = _windows(clock, limits.per_second_global, second)
        self.private = _windows(clock, limits.per_second_private_chat, second)
        self.group = _windows(clock, limits.per_minute_group, minute)
        self.paused_until: datetime | None = None

    def wait_time(self, to: Address, now: datetime) -> float:
        waits = [0.0]
        if self.paused_until is not None and self.paused_until > now:
            waits.append((self.paused_until - now).total_seconds())
        if self.global_ is not None:
            waits.append(self.global_.wait_time("all"))
        chat = self.group if to.is_group else self.private
        if chat is not None:
            waits.append(chat.wait_time(to.chat_id))
        return max(waits)

    def take(self, to: Address) -> None:
        if self.global_ is not None:
            self.global_.take("all")
        chat = self.group if to.is_group else self.private
        if chat is not None:
            chat.take(to.chat_id)


def _windows(clock: Clock, per_window: float | None, window: timedelta) -> Windows | None:
    if not per_window:
        return None
    if per_window >= 1:
        return Windows(clock, int(per_window), window)
    return Windows(clock, 1, window / per_window)  # e.g. 0.5/s -> one per two seconds


class Delivery:
    def __init__(
        self,
        db: Database,
        platforms: Mapping[str, Platform],
        clock: Clock,
        *,
        instance_id: str = "main",
        sleep: Sleep = asyncio.sleep,
        lease: timedelta = timedelta(seconds=120),
        batch: int = 100,
        concurrency: int = 16,
    ) -> None:
        self.db = db
        self.platforms = platforms
        self.clock = clock
        self.instance_id = instance_id
        self.sleep = sleep
        self.lease = lease
        self.batch = batch
        self.concurrency = concurrency
        self.limiters = {name: Limiter(p, clock) for name, p in platforms.items()}

    async def recover(self) -> int:
        """At start: rows this instance had claimed before it died go back to the queue at once
        (other instances' claims are left to their leases)."""
        async with self.db.transaction() as session:
            result = await session.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.status == "claimed",
                    OutboxMessage.claimed_by == self.instance_id,
                )
                .values(status="pending", claimed_until=None, claimed_by=None)
            )
            return int(getattr(result, "rowcount", 0) or 0)

    async def next_due(self, platform: str) -> datetime | None:
        async with self.db.transaction() as session:
            pending = await session.execute(
                select(func.min(OutboxMessage.not_before)).where(
                    OutboxMessage.platform == platform, OutboxMessage.status == "pending"
                )
            )
            claimed = await session.execute(
                select(func.min(OutboxMessage.claimed_until)).where(
                    OutboxMessage.platform == platform, OutboxMessage.status == "claimed"
                )
            )
            values = [v for v in (pending.scalar_one(), claimed.scalar_one()) if v is not None]
            return min(values) if values else None

    async def deliver_due(self, platform: str) -> int:
        """Send everything due now on `platform`, batch after batch. Returns how many were tried."""
        total = 0
        while True:
            claimed = await self._claim(platform)
            if not claimed:
                return total
            total += len(claimed)
            await self._send_batch(platform, claimed)
            if len(claimed) < self.batch:
                return total

    async def _claim(self, platform: str) -> list[Claimed]:
        now = self.clock.now()
        async with self.db.transaction() as session:
            found = await session.execute(
                select(OutboxMessage)
                .where(
                    OutboxMessage.platform == platform,
                    OutboxMessage.not_before <= now,
                    or_(
                        OutboxMessage.status == "pending",
                        (OutboxMessage.status == "claimed") & (OutboxMessage.claimed_until <= now),
                    ),
                )
                .order_by(OutboxMessage.priority, OutboxMessage.id)
                .limit(self.batch)
                .with_for_update(skip_locked=True)
            )
            rows = list(found.scalars())
            for row in rows:
                row.status = "claimed"
                row.claimed_until = now + self.lease
                row.claimed_by = self.instance_id
            return [Claimed(row.id, _outbound(row), row.attempts) for row in rows]

    async def _send_batch(self, platform: str, claimed: list[Claimed]) -> None:
        by_chat: dict[str, list[Claimed]] = {}
        for item in claimed:
            by_chat.setdefault(item.outbound.to.chat_id, []).append(item)
        gate = asyncio.Semaphore(self.concurrency)
        stop = asyncio.Event()

        async def chat_lane(items: list[Claimed]) -> None:
            async with gate:
                for index, item in enumerate(items):
                    if stop.is_set():
                        await self._release([i.id for i in items[index:]])
                        return
                    if not await self._send_one(platform, item):
                        stop.set()
                        await self._release([i.id for i in items[index + 1 :]])
                        return

        await asyncio.gather(*(chat_lane(items) for items in by_chat.values()))

    async def _send_one(self, platform: str, item: Claimed) -> bool:
        """Send one message. False when the platform asked everyone to slow down."""
        limiter = self.limiters[platform]
        while (wait := limiter.wait_time(item.outbound.to, self.clock.now())) > 0:
            await self.sleep(wait)
        limiter.take(item.outbound.to)
        try:
            result = await self.platforms[platform].send(item.outbound)
        except Exception as error:  # an adapter bug or an unclassified library error
            log.exception("send failed", extra={"outbox_id": item.id, "platform": platform})
            result = SendResult(SendStatus.TRANSIENT, reason=type(error).__name__)
        await self._record(platform, item, result)
        if result.status is SendStatus.RETRY_AFTER:
            pause = timedelta(seconds=result.retry_after or 1.0)
            limiter.paused_until = self.clock.now() + pause
            return False
        return True

    async def _release(self, ids: list[int]) -> None:
        if not ids:
            return
        async with self.db.transaction() as session:
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(ids), OutboxMessage.status == "claimed")
                .values(status="pending", claimed_until=None, claimed_by=None)
            )

    async def _record(self, platform: str, item: Claimed, result: SendResult) -> None:
        """One UPDATE in one short transaction per message (plus, when blocked, the identity)."""
        now = self.clock.now()
        values: dict[str, object] = {"claimed_until": None, "claimed_by": None}
        forget: dict[str, object] = {"text": "", "choices": [], "file_content": None}
        status = result.status
        if status is SendStatus.SENT:
            values |= {
                "status": "sent",
                "sent_at": now,
                "platform_message_id": result.platform_message_id,
            }
            values |= forget
        elif status is SendStatus.RETRY_AFTER:
            wait = timedelta(seconds=result.retry_after or 1.0)
            values |= {"status": "pending", "not_before": now + wait}
        elif status is SendStatus.BLOCKED:
            values |= {"status": "blocked", **forget}
        elif status is SendStatus.TRANSIENT and item.attempts + 1 < MAX_ATTEMPTS:
            wait = timedelta(seconds=min(600, 2 ** (item.attempts + 1)))
            values |= {"status": "pending", "attempts": item.attempts + 1, "not_before": now + wait}
        else:
            values |= {"status": "failed", "attempts": item.attempts + 1, **forget}
        if status is not SendStatus.SENT:
            values["error"] = (result.reason or status.value)[:255]
        async with self.db.transaction() as session:
            await session.execute(
                update(OutboxMessage).where(OutboxMessage.id == item.id).values(**values)
            )
            if status is SendStatus.BLOCKED:
                await session.execute(
                    update(Identity)
                    .where(
                        Identity.platform == platform,
                        Identity.private_chat_id == item.outbound.to.chat_id,
                    )
                    .values(reachable=False)
                )
        if status is not SendStatus.SENT:
            log.warning(
                "send not done",
                extra={"outbox_id": item.id, "status": values["status"], "platform": platform},
            )


def _forget_content(row: OutboxMessage) -> None:
    """No message archive: once a message is out (or given up), its text and file are dropped."""
    row.text = ""
    row.choices = []
    row.file_content = None


def _outbound(row: OutboxMessage) -> Outbound:
    attachment = (
        Attachment(row.file_name, row.file_content)
        if row.file_name is not None and row.file_content is not None
        else None
    )
    return Outbound(
        to=Address(row.platform, row.chat_id, row.is_group),
        text=row.text,
        key=row.idempotency_key,
        choices=tuple(Choice(k, label) for k, label in row.choices),
        question_id=row.question_id,
        attachment=attachment,
        person_id=row.person_id,
    )
