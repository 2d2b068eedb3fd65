"""The outbox dispatcher: claim due rows with a lease, hand them to the platform's lanes
(bot/lanes.py: one per chat, the most urgent message first, within the platform's limits), send,
record the outcome. A claim takes a few rows per chat and none of a chat with rows on their way
already, so a chat's queue is sent in order and holds up no other chat. A crash after sending
and before recording repeats the messages that were out and not yet recorded, never more than
the platform's configured `max_unrecorded`; the idempotency key is handed to the platform
(Matrix uses it as the transaction id, so the homeserver drops the repeats)."""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
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
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.clock import Clock
from bot.health import Backoff
from bot.lanes import Claimed, Lanes, real_nap
from bot.messages import (
    Address,
    Attachment,
    Choice,
    Outbound,
    QuestionRef,
    SendResult,
    SendStatus,
)
from bot.outbox import PRIORITY_REPLY
from bot.pacing import InFlight, Limiter
from bot.platform import Platform
from storage.engine import Database
from storage.errors import StorageUnavailable
from storage.lean import Lean, lean_execute, lean_execute_many
from storage.models import Identity, OutboxMessage
from storage.models.core import MessageStatus
from storage.repositories.chats import move_chat

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
PER_CHAT = 3  # rows of one chat taken by one claim: its lane's next few seconds of sending
REPLY_ROOM = 20  # replies claimed beside full lanes
SEND_TIMEOUT = 60.0  # seconds any one platform request may take before it counts as failed
RECORD_GROUP = 64  # outcomes waiting to be recorded that are written at once, lingering or not
Sleep = Callable[[float], Awaitable[None]]

__all__ = ["MAX_ATTEMPTS", "Claimed", "Delivery", "InFlight"]


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
        unrecorded: Mapping[str, int] | None = None,
    ) -> None:
        """`unrecorded`: per platform, the most sends out and not yet recorded at once (what a
        crash can repeat); `concurrency` for a platform not named there."""
        self.db = db
        self.platforms = platforms
        self.clock = clock
        self.instance_id = instance_id
        self.sleep = sleep
        self.lease = lease
        self.batch = batch
        self.concurrency = concurrency
        self.limiters = {name: Limiter(p, clock) for name, p in platforms.items()}
        most = dict(unrecorded or {})
        self.in_flight = {
            name: InFlight(p.capabilities.limits.per_second_global, most.get(name, concurrency))
            for name, p in platforms.items()
        }
        self._records: list[tuple[list[tuple[Lean, dict[str, Any]]], asyncio.Future[None]]]
        self._records = []
        self._recording = asyncio.Lock()
        # Real time (set by `serve`): how long a record waits for others to be written with
        # it, while no send waits for a slot among those unrecorded (see `_record`).
        self.record_linger = 0.0
        self._write_now = asyncio.Event()
        for gate in self.in_flight.values():
            gate.on_wait = self._write_now.set
        self._stopping: set[str] = set()
        self.on_settled: Callable[[str], None] = lambda _platform: None
        self._behind: dict[str, bool] = {}  # platform -> the last claim left due rows behind
        self.lanes = {name: self._lanes(name) for name in platforms}

    def _lanes(self, platform: str) -> Lanes:
        async def send_one(item: Claimed) -> SendResult:
            return await self._send_one(platform, item)

        async def release(ids: list[int]) -> None:
            await self._release(platform, ids)

        async def nap(seconds: float, woken: asyncio.Event) -> None:
            # Real time: a wait for the limits ends early when more is handed over. A virtual
            # clock (a `sleep` that moves it) just moves on.
            if self.sleep is asyncio.sleep:
                await real_nap(seconds, woken)
            else:
                await self.sleep(seconds)

        return Lanes(
            send_one=send_one,
            release=release,
            limiter=self.limiters[platform],
            gate=self.in_flight[platform],
            clock=self.clock,
            nap=nap,
            on_settled=lambda: self._settled(platform),
        )

    def _settled(self, platform: str) -> None:
        """A lane settled a row: worth a claim when the last one left due rows behind (the
        lanes were full, or those rows' chats were busy), not for every row sent."""
        if self._behind.get(platform, True):
            self.on_settled(platform)

    def stop(self, platform: str) -> None:
        """Send nothing more on `platform`: sends already out finish and are recorded, the rest
        of the claimed rows go back to the queue. A graceful stop repeats nothing."""
        self._stopping.add(platform)
        self._write_now.set()  # a lingering record is written at once
        self.lanes[platform].halt()

    def resume(self, platform: str) -> None:
        self._stopping.discard(platform)
        self.lanes[platform].resume()

    def stopping(self, platform: str) -> bool:
        return platform in self._stopping

    async def drain(self, platform: str) -> None:
        """After `stop`: wait until the sends out are recorded and the rest of the claimed rows
        are given back (rows a claim returned while the stop began included)."""
        await self.lanes[platform].stop()

    async def recover(self) -> int:
        """At start: rows this instance had claimed before it died go back to the queue at once
        (other instances' claims are left to their leases)."""
        async with self.db.core() as conn:
            result = await conn.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.status == MessageStatus.CLAIMED,
                    OutboxMessage.claimed_by == self.instance_id,
                )
                .values(status=MessageStatus.PENDING, claimed_until=None, claimed_by=None)
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
                    OutboxMessage.status == MessageStatus.SENT,
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
        """Send everything due now on `platform` and wait until it is sent (virtual time, tests).
        Returns how many were tried."""
        total = 0
        lanes = self.lanes[platform]
        while platform not in self._stopping:
            claimed = await self._claim(platform)
            if not claimed:
                break
            total += len(claimed)
            lanes.add(claimed)
            await lanes.settled()
            per_chat = Counter(item.outbound.to.chat_id for item in claimed)
            if len(claimed) < self.batch and max(per_chat.values()) < PER_CHAT:
                break  # nothing due was left: no chat was busy, none reached its share
        return total

    async def deliver_due_then_next(
        self, platform: str, ahead: timedelta = timedelta(0)
    ) -> datetime | None:
        """Real time: claim what is due beside what the lanes are sending, and what falls due
        within `ahead` (the lanes hold each until its instant, so it goes out on time and a
        steady stream costs one claim per half `ahead`); hand it over and return at once, with
        when to look again (the lanes also say when a row is settled). The next due instant is
        asked in the claim's transaction. While the platform stops, nothing is claimed (the
        sending loop then ends with `drain`)."""
        lanes = self.lanes[platform]
        room = self.batch - lanes.outstanding
        if room >= max(1, self.batch // 4):
            claimed, upcoming = await self._claim_rows(
                platform, want_next=True, room=room, ahead=ahead
            )
        else:
            # The lanes are full (a broadcast under way): bulk waits until there is room for
            # a chunk of it, replies are taken at once, beyond the room.
            claimed, upcoming = await self._claim_rows(
                platform, want_next=True, room=REPLY_ROOM, most_urgent=PRIORITY_REPLY
            )
        lanes.add(claimed)
        if upcoming is not None and ahead:
            upcoming -= ahead / 2  # taken with what else falls due in the next half `ahead`
        return upcoming

    async def _claim(self, platform: str) -> list[Claimed]:
        claimed, _upcoming = await self._claim_rows(platform, want_next=False, room=self.batch)
        return claimed

    async def _claim_rows(
        self,
        platform: str,
        *,
        want_next: bool,
        room: int,
        most_urgent: int = 2**31 - 1,
        ahead: timedelta = timedelta(0),
    ) -> tuple[list[Claimed], datetime | None]:
        """One statement: mark up to `room` rows due (within `ahead`) as claimed by this
        instance, at most PER_CHAT of one chat and none of a chat with rows claimed already, of
        priority `most_urgent` or more urgent, and return them (UPDATE ... RETURNING; rows other
        instances hold are skipped on PostgreSQL). With `want_next`, also the next instant
        anything else falls due."""
        now = self.clock.now()
        params = {
            "c_platform": platform,
            "c_now": now,
            "c_due": now + ahead,
            "c_limit": room,
            "c_per_chat": PER_CHAT,
            "c_scan": room * 4,
            "c_priority": most_urgent,
            "c_until": now + self.lease,
            "c_by": self.instance_id,
        }
        upcoming: datetime | None = None
        if platform in self._stopping:
            return [], None
        async with self.db.core() as conn:
            found = await lean_execute(conn, _claim_statement(self.db.is_sqlite), params)
            rows = sorted(found.rows, key=lambda row: (row.priority, row.id))
            if want_next:
                after = await lean_execute(conn, _NEXT_DUE_AFTER_CLAIM, params)
                *values, blocked = after.rows[0]
                present = [v for v in values if v is not None]
                upcoming = min(present) if present else None
                self._behind[platform] = bool(blocked) or len(rows) >= room
        await asyncio.sleep(0)  # a claim never holds the event loop for a whole batch
        claimed = [
            Claimed(
                row.id,
                _outbound(row),
                row.attempts,
                row.priority,
                row.not_before,
            )
            for row in rows
        ]
        return claimed, upcoming

    async def _send_one(self, platform: str, item: Claimed) -> SendResult:
        """Send one message (the lanes chose it within the limits and took its slot) and record
        the outcome. RETRY_AFTER: the platform asked everyone to slow down. MOVED: the chat has
        a new id, everything addressed to it now goes there (the row stays claimed, to be sent
        again at once)."""
        limiter = self.limiters[platform]
        try:
            async with asyncio.timeout(SEND_TIMEOUT):
                result = await self.platforms[platform].send(item.outbound)
        except TimeoutError:
            result = SendResult(SendStatus.TRANSIENT, reason="timed out")
        except Exception as error:  # an adapter bug or an unclassified library error
            log.exception("send failed", extra={"outbox_id": item.id, "platform": platform})
            result = SendResult(SendStatus.TRANSIENT, reason=type(error).__name__)
        if result.status is SendStatus.MOVED:
            result = await self._moved(platform, item, result)
        await self._record_surely(platform, item, result)
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
        values: dict[str, object] = {
            "status": MessageStatus.PENDING,
            "claimed_until": None,
            "claimed_by": None,
        }
        paused = self.limiters[platform].paused_until
        if paused is not None and paused > self.clock.now():
            values["not_before"] = paused
        async with self.db.core() as conn:
            await conn.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(ids), OutboxMessage.status == MessageStatus.CLAIMED)
                .values(**values)
            )

    async def _record_surely(self, platform: str, item: Claimed, result: SendResult) -> None:
        """Record the outcome of a send that happened, however long the storage is away: the
        send keeps its place among those out and unrecorded meanwhile (a crash repeats no
        more), and is not sent again when the storage is back."""
        backoff = Backoff(self.sleep)
        while True:
            try:
                await self._record(platform, item, result)
                return
            except StorageUnavailable:
                log.warning("outcome not recorded yet", extra={"outbox_id": item.id})
                await backoff.wait()

    async def _record(self, platform: str, item: Claimed, result: SendResult) -> None:
        """Record one outcome, durably, before the lane sends its next message: one UPDATE
        (plus, when blocked, the identity). Outcomes of lanes that finish while a record is
        being written are written together in the next transaction (a group commit), so a
        busy database costs one transaction per group instead of one per message. In real
        time the record of anything but a reply first waits up to `record_linger` for others
        (a steady stream of reminders, each at its own instant, then costs a transaction per
        group too), unless a send waits for a slot among the unrecorded or RECORD_GROUP are
        waiting: what a crash can repeat stays within the same bound."""
        statements = self._outcome(platform, item, result)
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._records.append((statements, future))
        if len(self._records) >= RECORD_GROUP:
            self._write_now.set()
        async with self._recording:  # one writer at a time; it writes everything waiting
            if not future.done():
                if (
                    self.record_linger
                    and item.priority > PRIORITY_REPLY  # a reply's lane is not held up
                    and not self._stopping
                    and len(self._records) < RECORD_GROUP
                    and not any(gate.waiting for gate in self.in_flight.values())
                ):
                    self._write_now.clear()
                    await real_nap(self.record_linger, self._write_now)
                elif len(self._records) < RECORD_GROUP:
                    # Sends that are already done (they are never held up by this) add their
                    # outcomes first: SQLite's statements run without giving the loop a turn,
                    # so without this each record would be a transaction of its own.
                    await asyncio.sleep(0)
                group, self._records = self._records, []
                try:
                    async with self.db.core() as conn:
                        if not self.db.is_sqlite:
                            # The record must survive this process, not the database server:
                            # not waiting for the WAL flush keeps the time a sent message is
                            # unrecorded (what a crash of the bot repeats) short. A server crash
                            # could forget the last records: those messages go out again.
                            await conn.execute(_ASYNC_COMMIT)
                        statements = [each for pending, _future in group for each in pending]
                        await _execute_in_runs(conn, statements)
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
                "status": MessageStatus.SENT,
                "sent_at": now,
                "platform_message_id": result.platform_message_id,
            }
            values |= forget
        elif status is SendStatus.RETRY_AFTER:
            wait = timedelta(seconds=result.retry_after or 1.0)
            values |= {"status": MessageStatus.PENDING, "not_before": now + wait}
        elif status is SendStatus.BLOCKED:
            values |= {"status": MessageStatus.BLOCKED, **forget}
        elif status is SendStatus.TRANSIENT and item.attempts + 1 < MAX_ATTEMPTS:
            wait = timedelta(seconds=min(600, 2 ** (item.attempts + 1)))
            values |= {
                "status": MessageStatus.PENDING,
                "attempts": item.attempts + 1,
                "not_before": now + wait,
            }
        else:
            values |= {"status": MessageStatus.FAILED, "attempts": item.attempts + 1, **forget}
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
        protect=bool(row.protect),
        language=row.language,
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


def _holding(
    busy: Any, platform: BindParameter[str], now: BindParameter[datetime]
) -> list[ColumnElement[bool]]:
    """`busy` (an alias of the outbox) is a row of the platform claimed, whose claim holds."""
    return [
        busy.c.platform == platform,
        busy.c.status == MessageStatus.CLAIMED,
        busy.c.claimed_until > now,
    ]


def _chat_busy(platform: BindParameter[str], now: BindParameter[datetime]) -> ColumnElement[bool]:
    """Another row of the same chat is claimed, and its claim holds: the chat's lane (here or
    in another instance) is sending, and its next rows wait their turn. The busy chats are
    read once per statement (a lane's few rows each), not once per row looked at: whatever
    the planner knows of the table, a backlog of thousands costs a set lookup a row."""
    busy = _OUTBOX.alias("busy")
    chats = select(busy.c.chat_id).where(*_holding(busy, platform, now))
    return _OUTBOX.c.chat_id.in_(chats)


def _next_due(platform: str, now: str | None = None, *still_claimed: ColumnElement[bool]) -> Lean:
    """The next instant anything on the platform falls due: the earliest pending row (of a chat
    not busy at `now`, if given), or the earliest claim to expire among claimed rows (those
    matching `still_claimed`, if given). With `now`, a third column: whether rows wait for
    their chat's lane (a busy chat has pending rows; they are not in the first column)."""
    on_platform = _OUTBOX.c.platform == bindparam(platform)
    waiting = [on_platform, _OUTBOX.c.status == MessageStatus.PENDING]
    columns: list[Any] = []
    if now is not None:
        waiting.append(~_chat_busy(bindparam(platform), bindparam(now)))
        # From the claimed rows (a lane's few each) to their chats' pending ones.
        busy = _OUTBOX.alias("busy")
        queued = (
            select(_OUTBOX.c.id)
            .where(
                _OUTBOX.c.platform == busy.c.platform,
                _OUTBOX.c.chat_id == busy.c.chat_id,
                _OUTBOX.c.status == MessageStatus.PENDING,
            )
            .exists()
        )
        behind = select(busy.c.id).where(
            *_holding(busy, bindparam(platform), bindparam(now)), queued
        )
        columns.append(behind.exists())
    # The first waiting row in the due index's order (not min(): with busy chats left out, a
    # min would read every pending row, a broadcast's thousands, on each pass).
    first_waiting = (
        select(_OUTBOX.c.not_before)
        .where(*waiting)
        .order_by(_OUTBOX.c.not_before)
        .limit(1)
        .scalar_subquery()
    )
    return Lean(
        select(
            first_waiting,
            select(func.min(_OUTBOX.c.claimed_until))
            .where(on_platform, _OUTBOX.c.status == MessageStatus.CLAIMED, *still_claimed)
            .scalar_subquery(),
            *columns,
        )
    )


_NEXT_DUE = _next_due("n_platform")
# After a claim, in its transaction: rows of chats whose lanes are busy wait for those lanes
# (which say when they are done), and the rows just claimed are about to be sent.
_NEXT_DUE_AFTER_CLAIM = _next_due(
    "c_platform",
    "c_now",
    or_(
        _OUTBOX.c.claimed_by != bindparam("c_by"),
        _OUTBOX.c.claimed_until != bindparam("c_until"),
    ),
)


@lru_cache(maxsize=2)
def _claim_statement(sqlite: bool) -> Lean:
    """UPDATE outbox SET claimed... WHERE id IN (the due rows, most urgent first: among the first
    `c_scan` due rows of chats that are not busy, at most `c_per_chat` of one chat, at most
    `c_limit` in all, skipping locked ones on PostgreSQL) RETURNING what sending needs."""
    now: BindParameter[datetime] = bindparam("c_now")
    scan = (
        select(_OUTBOX.c.id, _OUTBOX.c.chat_id, _OUTBOX.c.priority)
        .where(
            _OUTBOX.c.platform == bindparam("c_platform"),
            _OUTBOX.c.not_before <= bindparam("c_due"),
            or_(
                _OUTBOX.c.status == MessageStatus.PENDING,
                (_OUTBOX.c.status == MessageStatus.CLAIMED) & (_OUTBOX.c.claimed_until <= now),
            ),
            _OUTBOX.c.priority <= bindparam("c_priority"),
            ~_chat_busy(bindparam("c_platform"), now),
        )
        .order_by(_OUTBOX.c.priority, _OUTBOX.c.id)
        .limit(bindparam("c_scan"))
        .subquery("scan")
    )
    place = func.row_number().over(
        partition_by=scan.c.chat_id, order_by=(scan.c.priority, scan.c.id)
    )
    ranked = select(scan.c.id, place.label("place")).subquery("ranked")
    due = (
        select(_OUTBOX.c.id)
        .where(
            _OUTBOX.c.id.in_(select(ranked.c.id).where(ranked.c.place <= bindparam("c_per_chat")))
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
        .values(
            status=MessageStatus.CLAIMED,
            claimed_until=bindparam("c_until"),
            claimed_by=bindparam("c_by"),
        )
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
            _OUTBOX.c.protect,
            _OUTBOX.c.language,
            _OUTBOX.c.attempts,
            _OUTBOX.c.priority,
            _OUTBOX.c.not_before,
        )
    )


async def _execute_in_runs(
    conn: AsyncConnection, statements: list[tuple[Lean, dict[str, Any]]]
) -> None:
    """Run the statements in order; a run of the same statement with the same parameter names
    (a group's "sent" records) as one executemany."""
    for (lean, _keys), run in itertools.groupby(
        statements, key=lambda each: (each[0], frozenset(each[1]))
    ):
        many = [params for _lean, params in run]
        if len(many) == 1 or lean.returns_rows:
            for params in many:
                await lean_execute(conn, lean, params)
        else:
            await lean_execute_many(conn, lean, many)
