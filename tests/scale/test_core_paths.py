"""The mechanisms behind the hot paths: which loops a unit of work wakes, how many sends are out
unrecorded at once, records written together, limits that survive a restart, job batches that
give the database back, timers on a shifted clock, and SQLite statements in the event loop that
still let the rest of the program run."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, func, select, update

import bot.scheduler as scheduler
from bot.clock import OffsetClock, SystemClock, VirtualClock
from bot.config import load_config
from bot.context import Context, Services
from bot.delivery import Delivery
from bot.i18n import Catalogs
from bot.messages import Address, Outbound, RateLimits, SendResult
from bot.outbox import enqueue_message, schedule_job
from bot.platform import Capabilities, InboundHandler
from bot.router import JobInfo, Router
from bot.scheduler import JobRunner, Waker
from storage.engine import Database, written_tables
from storage.migrate import upgrade
from storage.models import Job, KeyValue, OutboxMessage
from tests.fakes.platform import FakePlatform

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
TELEGRAM = RateLimits(per_second_global=30, per_second_private_chat=1, per_minute_group=20)


async def queue(db: Database, now: datetime, chats: list[str]) -> None:
    async with db.transaction() as session:
        for i, chat in enumerate(chats):
            await enqueue_message(
                session, key=f"k{i}", to=Address("fake", chat), text=f"m{i}", now=now
            )


async def test_a_unit_of_work_names_the_tables_it_wrote(db: Database) -> None:
    async with db.transaction() as session:
        await session.execute(select(func.count()).select_from(Job))
    assert written_tables(session) == frozenset()
    async with db.transaction() as session:
        await schedule_job(session, kind="k", due_at=START, key="a", now=START)
        session.add(KeyValue(namespace="n", key="k", value="v", updated_at=START))
    assert written_tables(session) == {"job", "kv"}
    async with db.transaction() as session:
        await session.execute(update(Job).values(status="done"))
    assert written_tables(session) == {"job"}


class SlowPlatform:
    """Each send takes a little real time; records how many were out at once."""

    name = "fake"

    def __init__(self, limits: RateLimits) -> None:
        self.limits = limits
        self.out = 0
        self.most_out = 0
        self.sent: list[str] = []

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities(limits=self.limits)

    async def start(self, on_inbound: InboundHandler) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def send(self, message: Outbound) -> SendResult:
        self.out += 1
        self.most_out = max(self.most_out, self.out)
        await asyncio.sleep(0.002)  # a request on the wire
        self.out -= 1
        self.sent.append(message.key)
        return SendResult.sent()


async def test_with_an_overall_rate_one_send_at_a_time_is_out_unrecorded(db: Database) -> None:
    """A crash repeats the sends that are out and not recorded: with Telegram's 30/s and fast
    sends, the pace needs only one at a time, even across many chats."""
    clock = SystemClock()
    platform = SlowPlatform(TELEGRAM)
    delivery = Delivery(db, {"fake": platform}, clock)
    gate = delivery.in_flight["fake"]
    granted: list[int] = []  # what the gate allowed at each decision (it follows the latency)
    capacity = gate.capacity

    def watched(now: float) -> int:
        granted.append(capacity(now))
        return granted[-1]

    gate.capacity = watched  # type: ignore[method-assign]
    await queue(db, clock.now(), [f"c{i}" for i in range(20)])
    assert await delivery.deliver_due("fake") == 20
    assert len(platform.sent) == 20
    # One at a time on a machine where a send and its record take under 27 ms (30/s x 1.25);
    # a loaded machine's slower round trips may earn a second, never more than were allowed.
    assert platform.most_out <= max(granted) < 20


async def test_without_a_rate_sends_go_out_together_and_records_are_grouped(
    db: Database,
) -> None:
    clock = VirtualClock(START)
    platform = SlowPlatform(RateLimits())
    delivery = Delivery(db, {"fake": platform}, clock)
    await queue(db, START, [f"c{i}" for i in range(32)])
    transactions = 0

    def began(*_args: object) -> None:
        nonlocal transactions
        transactions += 1

    event.listen(db.engine.sync_engine, "begin", began)
    await delivery.deliver_due("fake")
    event.remove(db.engine.sync_engine, "begin", began)
    assert platform.most_out > 1
    assert transactions < 32  # one claim, then records written in groups
    async with db.transaction() as session:
        statuses = (await session.execute(select(OutboxMessage.status))).scalars().all()
    assert set(statuses) == {"sent"} and len(statuses) == 32


async def test_a_restart_counts_what_was_just_sent_against_the_limits(db: Database) -> None:
    clock = VirtualClock(START)
    first = FakePlatform(clock, limits=TELEGRAM)
    await queue(db, START, [f"c{i}" for i in range(29)])
    await Delivery(db, {"fake": first}, clock).deliver_due("fake")
    assert len(first.sent) == 29  # the whole second's worth (30 a second, less a margin)
    assert {s.at for s in first.sent} == {START}
    # The process dies; a new one starts within the same second, with more to send.
    clock.advance(timedelta(milliseconds=300))
    async with db.transaction() as session:
        await enqueue_message(
            session, key="late", to=Address("fake", "z"), text="late", now=clock.now()
        )
    second = FakePlatform(clock, limits=TELEGRAM)
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.advance(timedelta(seconds=seconds))

    restarted = Delivery(db, {"fake": second}, clock, sleep=sleep)
    await restarted.remember("fake")
    await restarted.deliver_due("fake")
    assert [s.message.key for s in second.sent] == ["late"]
    assert second.sent[0].at >= START + timedelta(seconds=1)  # after the first one's second
    assert slept


def job_services(clock: VirtualClock) -> Services:
    return Services(
        config=load_config(None, env={}), catalogs=Catalogs(("en",)), clock=clock, zones=None
    )


async def test_job_batches_give_the_database_back_and_still_run_everything_in_order(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scheduler, "BATCH_SECONDS", 0.0)  # every job its own batch
    clock = VirtualClock(START)
    router = Router()
    ran: list[int] = []

    @router.job("test.note")
    async def note(ctx: Context, job: JobInfo) -> None:
        ran.append(int(job.payload["n"]))

    async with db.transaction() as session:
        for n in range(7):
            await schedule_job(
                session,
                kind="test.note",
                due_at=START + timedelta(seconds=n),
                key=f"n{n}",
                now=START,
                payload={"n": n},
            )
    runner = JobRunner(db, job_services(clock), router, batch=3)
    committed: list[frozenset[str]] = []
    runner.on_committed = committed.append
    clock.advance(timedelta(minutes=1))
    assert await runner.run_due() == 7
    assert ran == list(range(7))
    assert len(committed) == 7 and all("job" in tables for tables in committed)
    assert await runner.run_due_then_next() is None  # nothing pending any more


async def test_jobs_of_a_batched_kind_run_together_and_a_bad_one_fails_only_itself(
    db: Database,
) -> None:
    clock = VirtualClock(START)
    router = Router()
    calls: list[list[int]] = []

    @router.job_batch("test.burst")
    async def burst(ctx: Context, jobs: Sequence[JobInfo]) -> None:
        calls.append([int(job.payload["n"]) for job in jobs])
        for job in jobs:
            await ctx.schedule("test.after", START, key=f"after:{job.payload['n']}")
        if any(job.payload["n"] == 3 for job in jobs):
            raise ValueError("job 3 is broken")

    @router.job("test.after")
    async def after(ctx: Context, job: JobInfo) -> None:
        return None

    async with db.transaction() as session:
        for n in range(6):
            await schedule_job(
                session, kind="test.burst", due_at=START, key=f"b{n}", now=START, payload={"n": n}
            )
    runner = JobRunner(db, job_services(clock), router, batch=50)
    await runner.run_due()
    # All six at once; that failed, so each alone: five done, job 3 kept for a retry.
    assert calls[0] == [0, 1, 2, 3, 4, 5]
    assert calls[1:] == [[0], [1], [2], [3], [4], [5]]
    async with db.transaction() as session:
        rows = (await session.execute(select(Job).order_by(Job.id))).scalars().all()
        burst_rows = {
            int(j.payload["n"]): (j.status, j.attempts) for j in rows if j.kind == "test.burst"
        }
        followers = sorted(j.idempotency_key for j in rows if j.kind == "test.after")
    assert burst_rows == {
        0: ("done", 0),
        1: ("done", 0),
        2: ("done", 0),
        3: ("pending", 1),
        4: ("done", 0),
        5: ("done", 0),
    }
    # The failed batch's work was rolled back: each good job's follower exists once, job 3's not.
    assert followers == ["after:0", "after:1", "after:2", "after:4", "after:5"]


async def test_a_timer_on_a_shifted_clock_fires_after_the_clock_s_interval() -> None:
    """The interactive console's clock jumps ahead (`:advance 2h`): a wake-up at its "now +
    50 ms" is 50 ms away, not two hours."""
    clock = OffsetClock(SystemClock())
    clock.advance(timedelta(hours=2))
    waker = Waker(clock)
    waker.start()
    try:
        waker.wake_at(clock.now() + timedelta(milliseconds=50))
        await asyncio.wait_for(waker.wait(), 5)
    finally:
        waker.stop()


async def test_a_long_sqlite_transaction_lets_the_rest_of_the_program_run(sqlite_url: str) -> None:
    db = Database(sqlite_url)
    await upgrade(db)
    beats = 0
    stop = asyncio.Event()

    async def heartbeat() -> None:
        nonlocal beats
        while not stop.is_set():
            beats += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(heartbeat())
    await asyncio.sleep(0)
    during = 0
    async with db.transaction() as session:
        start = beats
        for i in range(3000):  # long enough to need several yields
            await session.execute(select(func.count()).select_from(Job).where(Job.id == i))
        during = beats - start
    stop.set()
    await task
    await db.close()
    assert during > 0
