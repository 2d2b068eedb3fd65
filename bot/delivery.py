"""The outbox dispatcher: claim due rows with a lease, send within the platform's rate limits,
record the outcome. A crash after sending and before recording can repeat one message when the
lease runs out; the idempotency key is handed to the platform (Matrix uses it as the
transaction id, so the homeserver drops the repeat)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import math
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Table,
    bindparam,
    func,
    or_,
    select,
    text,
    update,
)

from bot.clock import Clock
from bot.messages import (
    Address,
    Attachment,
    Choice,
    Outbound,
    QuestionRef,
    SendResult,
    SendStatus,
)
from bot.platform import Platform
from bot.ratelimit import Windows
from storage.engine import Database
from storage.lean import Lean, lean_execute
from storage.models import Identity, OutboxMessage
from storage.repositories.chats import move_chat

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
OVERDUE_SECONDS = 1.0  # a send out this long no longer holds others back (see InFlight)
GLOBAL_MARGIN = 1.03  # the overall limit is kept over a window 3 % longer than a second
Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class Claimed:
    id: int
    outbound: Outbound
    attempts: int = 0


class InFlight:
    """How many sends may be out and not yet recorded at once. A crash repeats exactly those
    (the platform got them, the database does not know), so: as few as keep the platform's
    pace -- its rate times the time a send and its record take (a moving average) -- and at
    least one. A send out for much longer than that (a slow or hung request) stops counting,
    so it never holds up the others for long. Without an overall rate: up to `most`."""

    def __init__(self, per_second: float | None, most: int) -> None:
        self.per_second = per_second
        self.most = most
        self.latency = 0.0  # seconds, moving average of send + record
        self._out: dict[int, float] = {}  # ticket -> loop time its send began
        self._tickets = itertools.count()
        self._changed = asyncio.Event()

    def _overdue_after(self) -> float:
        return max(OVERDUE_SECONDS, 4 * self.latency)

    def capacity(self, now: float) -> int:
        if not self.per_second:
            return self.most
        late = now - self._overdue_after()
        overdue = sum(1 for began in self._out.values() if began < late)
        usual = max(1, math.ceil(self.per_second * self.latency * 1.25))
        return min(self.most, usual + overdue)

    async def enter(self) -> int:
        loop = asyncio.get_running_loop()
        while len(self._out) >= self.capacity(loop.time()):
            self._changed.clear()
            oldest = min(self._out.values())
            overdue_in = oldest + self._overdue_after() - loop.time()
            with contextlib.suppress(TimeoutError):  # a send back, or the oldest overdue
                await asyncio.wait_for(self._changed.wait(), max(overdue_in, 0.001))
        ticket = next(self._tickets)
        self._out[ticket] = loop.time()
        return ticket

    def leave(self, ticket: int, *, measured: bool = True) -> None:
        began = self._out.pop(ticket)
        if measured:
            took = asyncio.get_running_loop().time() - began
            self.latency = took if self.latency == 0 else 0.8 * self.latency + 0.2 * took
        self._changed.set()


class Limiter:
    """A platform's documented limits: overall per second, per private chat, per group chat."""

    def __init__(self, platform: Platform, clock: Clock) -> None:
        limits = platform.capabilities.limits
        second, minute = timedelta(seconds=1), timedelta(minutes=1)
        # The overall limit leaves a margin: one message fewer, over a window a little longer
        # than a second. Sends counted here as they leave can arrive bunched (network, a slow
        # first request), and the platform's own window would then count one too many.
        overall = limits.per_second_global
        if overall and overall >= 2:
            overall -= 1
        self.global_ = _windows(clock, overall, second * GLOBAL_MARGIN)
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

    def took(self, to: Address, at: datetime) -> None:
        """A send recorded before this process started counting (see Delivery.remember)."""
        if self.global_ is not None:
            self.global_.took("all", at)
        chat = self.group if to.is_group else self.private
        if chat is not None:
            chat.took(to.chat_id, at)

    def take(self, to: Address) -> None:
        if self.global_ is not None:
            self.global_.take("all")
        chat = self.group if to.is_group else self.private
        if chat is not None:
            chat.take(to.chat_id)


class _Windows(Windows):
    def took(self, key: object, at: datetime) -> None:
        """A send that happened at `at` (before this process started), in time order."""
        events = self._recent(key)
        if at > self.clock.now() - self.window:
            events.append(at)


def _windows(clock: Clock, per_window: float | None, window: timedelta) -> _Windows | None:
    if not per_window:
        return None
    if per_window >= 1:
        return _Windows(clock, int(per_window), window)
    return _Windows(clock, 1, window / per_window)  # e.g. 0.5/s -> one per two seconds


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
        self.in_flight = {
            name: InFlight(p.capabilities.limits.per_second_global, concurrency)
            for name, p in platforms.items()
        }
        self._records: list[tuple[list[tuple[Lean, dict[str, Any]]], asyncio.Future[None]]]
        self._records = []
        self._recording = asyncio.Lock()
        self._stopping: set[str] = set()

    def stop(self, platform: str) -> None:
        """Send nothing more on `platform`: sends already out finish and are recorded, the rest
        of the claimed rows go back to the queue. A graceful stop repeats nothing."""
        self._stopping.add(platform)

    def resume(self, platform: str) -> None:
        self._stopping.discard(platform)

    def stopping(self, platform: str) -> bool:
        return platform in self._stopping

    async def recover(self) -> int:
        """At start: rows this instance had claimed before it died go back to the queue at once
        (other instances' claims are left to their leases)."""
        async with self.db.core() as conn:
            result = await conn.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.status == "claimed",
                    OutboxMessage.claimed_by == self.instance_id,
                )
                .values(status="pending", claimed_until=None, claimed_by=None)
            )
            return int(getattr(result, "rowcount", 0) or 0)

    async def remember(self, platform: str) -> None:
        """Before sending on `platform`: count what was sent there in the last minute (by a
        process that died, or the instance this one takes over from) against its limits, so a
        restart does not start with a burst the platform would refuse."""
        since = self.clock.now() - timedelta(minutes=1)
        async with self.db.core() as conn:
            found = await conn.execute(
                select(OutboxMessage.chat_id, OutboxMessage.is_group, OutboxMessage.sent_at)
                .where(
                    OutboxMessage.platform == platform,
                    OutboxMessage.status == "sent",
                    OutboxMessage.sent_at >= since,
                )
                .order_by(OutboxMessage.sent_at)
            )
            rows = found.all()
        limiter = self.limiters[platform]
        for chat_id, is_group, sent_at in rows:
            if sent_at is not None:
                limiter.took(Address(platform, chat_id, is_group), sent_at)

    async def next_due(self, platform: str) -> datetime | None:
        async with self.db.core() as conn:
            found = await lean_execute(conn, _NEXT_DUE, {"n_platform": platform})
            values = [v for v in found.rows[0] if v is not None]
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
            if len(claimed) < self.batch or platform in self._stopping:
                return total

    async def deliver_due_then_next(self, platform: str) -> datetime | None:
        """Send everything due now on `platform`; return when to look again. The next due
        instant is asked in the transaction of the last claim (a loop needs no transaction of
        its own for it); only when a send left its row pending (a retry, a release after a
        flood wait) is it asked again afterwards."""
        while True:
            claimed, upcoming = await self._claim_rows(platform, want_next=True)
            settled = await self._send_batch(platform, claimed) if claimed else True
            if len(claimed) < self.batch or platform in self._stopping:
                return upcoming if settled else await self.next_due(platform)

    async def _claim(self, platform: str) -> list[Claimed]:
        claimed, _upcoming = await self._claim_rows(platform, want_next=False)
        return claimed

    async def _claim_rows(
        self, platform: str, *, want_next: bool
    ) -> tuple[list[Claimed], datetime | None]:
        """One statement: mark up to `batch` due rows as claimed by this instance and return
        them (UPDATE ... RETURNING; rows other instances hold are skipped on PostgreSQL). With
        `want_next` and fewer rows than a batch, also the next due instant of the other rows."""
        now = self.clock.now()
        params = {
            "c_platform": platform,
            "c_now": now,
            "c_limit": self.batch,
            "c_until": now + self.lease,
            "c_by": self.instance_id,
        }
        upcoming: datetime | None = None
        if platform in self._stopping:
            return [], None
        async with self.db.core() as conn:
            found = await lean_execute(conn, _claim_statement(self.db.is_sqlite), params)
            rows = sorted(found.rows, key=lambda row: (row.priority, row.id))
            if want_next and len(rows) < self.batch:
                after = await lean_execute(conn, _NEXT_DUE_AFTER_CLAIM, params)
                values = [v for v in after.rows[0] if v is not None]
                upcoming = min(values) if values else None
        await asyncio.sleep(0)  # a claim never holds the event loop for a whole batch
        return [Claimed(row.id, _outbound(row), row.attempts) for row in rows], upcoming

    async def _send_batch(self, platform: str, claimed: list[Claimed]) -> bool:
        """Send a claimed batch, chat by chat. True when every row ended settled (sent,
        blocked, failed); False when some went back to pending."""
        by_chat: dict[str, list[Claimed]] = {}
        for item in claimed:
            by_chat.setdefault(item.outbound.to.chat_id, []).append(item)
        gate = asyncio.Semaphore(self.concurrency)
        stop = asyncio.Event()
        settled = True

        async def chat_lane(items: list[Claimed]) -> None:
            nonlocal settled
            async with gate:
                index = 0
                while index < len(items):
                    item = items[index]
                    result = None
                    if not stop.is_set() and platform not in self._stopping:
                        result = await self._send_one(platform, item)
                    if result is None:  # stopped (a flood wait elsewhere, or the delivery)
                        settled = False
                        await self._release(platform, [i.id for i in items[index:]])
                        return
                    status = result.status
                    if status is SendStatus.MOVED and result.moved_to is not None:
                        # The chat has a new id and the rows were re-addressed with the move:
                        # this message (still claimed) goes again at once, to the new chat,
                        # and so does the rest of the lane.
                        items = items[:index] + _readdressed(items[index:], result.moved_to)
                        items[index] = replace(items[index], attempts=item.attempts + 1)
                        continue
                    if status in (SendStatus.RETRY_AFTER, SendStatus.TRANSIENT):
                        settled = False
                    if status is SendStatus.RETRY_AFTER:
                        stop.set()
                        await self._release(platform, [i.id for i in items[index + 1 :]])
                        return
                    index += 1

        await asyncio.gather(*(chat_lane(items) for items in by_chat.values()))
        return settled

    async def _send_one(self, platform: str, item: Claimed) -> SendResult | None:
        """Send one message and record the outcome. RETRY_AFTER: the platform asked everyone
        to slow down. MOVED: the chat has a new id, everything addressed to it now goes there
        (the row stays claimed, to be sent again at once). None: not sent, the delivery is
        stopping."""
        limiter = self.limiters[platform]
        gate = self.in_flight[platform]
        while True:  # the limits allow it, then a slot; the limits again (others went meanwhile)
            while (wait := limiter.wait_time(item.outbound.to, self.clock.now())) > 0:
                await self.sleep(wait)
            ticket = await gate.enter()
            if platform in self._stopping:
                gate.leave(ticket, measured=False)
                return None
            if limiter.wait_time(item.outbound.to, self.clock.now()) <= 0:
                break
            gate.leave(ticket, measured=False)
        limiter.take(item.outbound.to)
        try:
            try:
                result = await self.platforms[platform].send(item.outbound)
            except Exception as error:  # an adapter bug or an unclassified library error
                log.exception("send failed", extra={"outbox_id": item.id, "platform": platform})
                result = SendResult(SendStatus.TRANSIENT, reason=type(error).__name__)
            if result.status is SendStatus.MOVED:
                result = await self._moved(platform, item, result)
            await self._record(platform, item, result)
        finally:
            gate.leave(ticket)
        if result.status is SendStatus.RETRY_AFTER:
            pause = timedelta(seconds=result.retry_after or 1.0)
            limiter.paused_until = self.clock.now() + pause
        return result

    async def _moved(self, platform: str, item: Claimed, result: SendResult) -> SendResult:
        """The platform says the chat has a new id: move every reference to the old one
        (bound chats, waiting rows -- this one too --, questions) in one transaction, before the
        outcome is recorded. A crash in between sends the row to the new chat later."""
        old, new = item.outbound.to.chat_id, result.moved_to
        if not new or new == old:
            return SendResult(SendStatus.PERMANENT, reason="moved without a new chat id")
        if item.attempts + 1 >= MAX_ATTEMPTS:
            return SendResult(SendStatus.PERMANENT, reason="moved too often")
        async with self.db.transaction() as session:
            moved = await move_chat(session, platform, old, new)
        log.info("chat moved", extra={"outbox_id": item.id, "platform": platform, "rows": moved})
        return result

    async def _release(self, platform: str, ids: list[int]) -> None:
        """Claimed rows not sent go back to the queue; while the platform asked everyone to
        wait (a flood wait), they fall due when the wait ends, not at once."""
        if not ids:
            return
        values: dict[str, object] = {"status": "pending", "claimed_until": None, "claimed_by": None}
        paused = self.limiters[platform].paused_until
        if paused is not None and paused > self.clock.now():
            values["not_before"] = paused
        async with self.db.core() as conn:
            await conn.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(ids), OutboxMessage.status == "claimed")
                .values(**values)
            )

    async def _record(self, platform: str, item: Claimed, result: SendResult) -> None:
        """Record one outcome, durably, before the lane sends its next message: one UPDATE
        (plus, when blocked, the identity). Outcomes of lanes that finish while a record is
        being written are written together in the next transaction (a group commit), so a
        busy database costs one transaction per group instead of one per message."""
        statements = self._outcome(platform, item, result)
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._records.append((statements, future))
        async with self._recording:  # one writer at a time; it writes everything waiting
            if not future.done():
                group, self._records = self._records, []
                try:
                    async with self.db.core() as conn:
                        if not self.db.is_sqlite:
                            # The record must survive this process, not the database server:
                            # not waiting for the WAL flush keeps the time a sent message is
                            # unrecorded (what a crash of the bot repeats) short. A server crash
                            # could forget the last records: those messages go out again.
                            await conn.execute(_ASYNC_COMMIT)
                        for pending, _future in group:
                            for statement, params in pending:
                                await lean_execute(conn, statement, params)
                except BaseException as error:
                    # This lane raises it; the others waiting on this group get it too (or
                    # are cancelled with it, when the whole delivery is being stopped).
                    for _statements, waiting in group:
                        if waiting is future or waiting.done():
                            continue
                        if isinstance(error, asyncio.CancelledError):
                            waiting.cancel()
                        else:
                            waiting.set_exception(error)
                    raise
                for _statements, waiting in group:
                    if not waiting.done():
                        waiting.set_result(None)
        await future
        if result.status not in (SendStatus.SENT, SendStatus.MOVED):
            log.warning(
                "send not done",
                extra={"outbox_id": item.id, "status": result.status.value, "platform": platform},
            )

    def _outcome(
        self, platform: str, item: Claimed, result: SendResult
    ) -> list[tuple[Lean, dict[str, Any]]]:
        """The statements that record one outcome."""
        if result.status is SendStatus.MOVED:  # still claimed: the lane sends it again now
            moved = {"r_id": item.id, "chat_id": result.moved_to, "attempts": item.attempts + 1}
            return [(_RECORD, moved)]
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
        statements: list[tuple[Lean, dict[str, Any]]] = [(_RECORD, {"r_id": item.id, **values})]
        if status is SendStatus.BLOCKED:
            statements.append(
                (
                    _UNREACHABLE,
                    {"u_platform": platform, "u_chat": item.outbound.to.chat_id},
                )
            )
        return statements


def _readdressed(items: list[Claimed], chat_id: str) -> list[Claimed]:
    return [
        replace(i, outbound=replace(i.outbound, to=replace(i.outbound.to, chat_id=chat_id)))
        for i in items
    ]


def _forget_content(row: OutboxMessage) -> None:
    """No message archive: once a message is out (or given up), its text and file are dropped."""
    row.text = ""
    row.choices = []
    row.file_content = None


def _outbound(row: Any) -> Outbound:
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
        question=(
            QuestionRef(row.question_id, row.question_tag or "")
            if row.question_id is not None
            else None
        ),
        attachment=attachment,
        person_id=row.person_id,
    )


# Statements built once; the values travel as parameters (compiled once, cached by SQLAlchemy).
_OUTBOX = cast(Table, OutboxMessage.__table__)
_RECORD = Lean(update(_OUTBOX).where(_OUTBOX.c.id == bindparam("r_id")))
_ASYNC_COMMIT = text("SET LOCAL synchronous_commit TO OFF")
_UNREACHABLE = Lean(
    update(Identity)
    .where(
        Identity.platform == bindparam("u_platform"),
        Identity.private_chat_id == bindparam("u_chat"),
    )
    .values(reachable=False)
)


def _next_due(platform: str, *still_claimed: ColumnElement[bool]) -> Lean:
    """The next instant anything on the platform falls due: the earliest pending row, or the
    earliest claim to expire among claimed rows (those matching `still_claimed`, if given)."""
    on_platform = _OUTBOX.c.platform == bindparam(platform)
    return Lean(
        select(
            select(func.min(_OUTBOX.c.not_before))
            .where(on_platform, _OUTBOX.c.status == "pending")
            .scalar_subquery(),
            select(func.min(_OUTBOX.c.claimed_until))
            .where(on_platform, _OUTBOX.c.status == "claimed", *still_claimed)
            .scalar_subquery(),
        )
    )


_NEXT_DUE = _next_due("n_platform")
# After a claim, in its transaction: the rows just claimed, which this instance is about to
# send, are left out.
_NEXT_DUE_AFTER_CLAIM = _next_due(
    "c_platform",
    or_(
        _OUTBOX.c.claimed_by != bindparam("c_by"),
        _OUTBOX.c.claimed_until != bindparam("c_until"),
    ),
)


@lru_cache(maxsize=2)
def _claim_statement(sqlite: bool) -> Lean:
    """UPDATE outbox SET claimed... WHERE id IN (the due rows, in order, skipping locked ones on
    PostgreSQL) RETURNING what sending needs."""
    now: BindParameter[datetime] = bindparam("c_now")
    due = (
        select(_OUTBOX.c.id)
        .where(
            _OUTBOX.c.platform == bindparam("c_platform"),
            _OUTBOX.c.not_before <= now,
            or_(
                _OUTBOX.c.status == "pending",
                (_OUTBOX.c.status == "claimed") & (_OUTBOX.c.claimed_until <= now),
            ),
        )
        .order_by(_OUTBOX.c.priority, _OUTBOX.c.id)
        .limit(bindparam("c_limit"))
    )
    if not sqlite:  # materialized once, so the LIMIT holds whatever plan PostgreSQL picks
        due = due.with_for_update(skip_locked=True)
    chosen = due.cte("due")
    return Lean(
        update(_OUTBOX)
        .where(_OUTBOX.c.id.in_(select(chosen.c.id)))
        .values(status="claimed", claimed_until=bindparam("c_until"), claimed_by=bindparam("c_by"))
        .returning(
            _OUTBOX.c.id,
            _OUTBOX.c.platform,
            _OUTBOX.c.chat_id,
            _OUTBOX.c.is_group,
            _OUTBOX.c.text,
            _OUTBOX.c.idempotency_key,
            _OUTBOX.c.choices,
            _OUTBOX.c.question_id,
            _OUTBOX.c.question_tag,
            _OUTBOX.c.file_name,
            _OUTBOX.c.file_content,
            _OUTBOX.c.person_id,
            _OUTBOX.c.attempts,
            _OUTBOX.c.priority,
        )
    )
