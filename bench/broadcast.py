"""A coordinator broadcast to SIZE recipients through the fake Telegram Bot API server with its
flood limits on (30 messages/s overall, 1/s per private chat, 20/min per group), in real time
(SystemClock), with the bot in a child process that is stopped mid-way and restarted: by
default first gracefully (SIGTERM, as a deployment does) at a third, then killed (SIGKILL, a
crash) at two thirds.

    .venv/bin/python -m bench.broadcast [--size 10000] [--stops term@0.33,kill@0.66]
                                        [--adapter ptb|http] [--db URL] [--max-unrecorded N] [--latency S]
    .venv/bin/python -m bench.broadcast --fanout [--size 10000] [--batches 250,500,1000,10000]
    .venv/bin/python -m bench.broadcast --platform matrix [...]   # bench/broadcast_matrix.py

Prints JSON lines: messages/s achieved against the 30/s limit (per run of the bot and overall
without the restart gaps), 429 answers received (goal 0), peak memory of the bot processes and
of the fake server's process, and the resume check: recipients who got nothing (lost, goal 0)
and extra copies (duplicated, goal 0), per stop: a graceful stop repeats nothing; a SIGKILL can
repeat the message that was on the wire when the process died (Telegram has no idempotency key).
People who blocked the bot (1 %) must be reported as blocked, not lost. The delivery report's
delay after the last message is printed too.

`--fanout` measures only the fan-out (queuing the outbox rows) per batch size, without sending:
the time one batch's transaction holds the database, and rows per second; plus one batch of
rows inserted row by row (`enqueue_message`) against the multi-row insert the fan-out uses.

SIZE = people in the cohort (the coordinator included); one bound group chat gets it too. At
30/s, 10,000 recipients take about 5.5 minutes; CI uses e.g. --size 300.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import signal
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import psutil
from sqlalchemy import insert, select

from bench.common import Stopwatch, emit, peak_rss_mib
from bot.app import build_app, open_database
from bot.clock import SystemClock, VirtualClock
from bot.config import Config, TelegramConfig, load_config
from bot.context import Context
from bot.messages import Address, Inbound
from bot.outbox import PRIORITY_BROADCAST, enqueue_message
from bot.platform import Platform
from storage.engine import Database
from storage.models import BoundChat, Cohort, Identity, Membership, OutboxMessage, Person
from storage.models.broadcast import Announcement
from storage.repositories.broadcast import QueuedMessage, Target, locked, queue_messages
from storage.repositories.kv import DbStateStore
from tests.fakes.telegram_api import FakeTelegram, Limits, SentMessage

TOKEN = "7012345678:AAHk2vQm9xZr4TpW8yLb3NcFd6GsJe1UoIq"
COORD = 1
FIRST_MEMBER = 100_000
GROUP = -100_777
TEXT = "Benchmark broadcast: please ignore"
LIMIT_PER_SECOND = 30
START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[1]


# The bot process ---------------------------------------------------------------------------
def bot_config(db_url: str, base_url: str, files: str, max_unrecorded: int) -> Config:
    base = load_config(None, env={})
    return replace(
        base,
        storage=replace(base.storage, url=db_url, files_dir=files),
        telegram=TelegramConfig(
            token=TOKEN, base_url=base_url, mode="polling", max_unrecorded=max_unrecorded
        ),
        # The system clock: the coordinator's report must not wait for the end of a night.
        bot=replace(base.bot, commands_per_minute=1_000_000, quiet_hours="off"),
    )


def coordinator_says(text: str, n: int) -> Inbound:
    return Inbound(
        platform="telegram",
        update_id=f"bench-{n}",
        user_id=str(COORD),
        chat=Address("telegram", str(COORD)),
        text=text,
        received_at=datetime.now(UTC),
        display_name="Coordinator",
    )


async def seed_members(db: Database, cohort_id: int, uids: Sequence[int], now: datetime) -> None:
    """Members with Telegram identities, inserted in bulk (people who pressed Start long ago)."""
    chunk = 2_000
    async with db.transaction() as session:
        for start in range(0, len(uids), chunk):
            part = uids[start : start + chunk]
            found = await session.execute(
                insert(Person).returning(Person.id, sort_by_parameter_order=True),
                [{"language": None, "created_at": now, "quiet_start": "off"}] * len(part),
            )
            ids = [int(pid) for pid in found.scalars()]
            await session.execute(
                insert(Identity),
                [
                    {
                        "person_id": pid,
                        "platform": "telegram",
                        "external_id": str(uid),
                        "display_name": f"u{uid}",
                        "private_chat_id": str(uid),
                        "reachable": True,
                        "last_seen_at": now,
                    }
                    for pid, uid in zip(ids, part, strict=True)
                ],
            )
            await session.execute(
                insert(Membership),
                [
                    {
                        "cohort_id": cohort_id,
                        "person_id": pid,
                        "role": "participant",
                        "joined_at": now,
                    }
                    for pid in ids
                ],
            )


def make_platform(adapter: str, config: Config, db: Database, clock: SystemClock) -> Platform:
    if adapter == "http":
        from tests.broadcast.telegram_platform import MiniTelegram

        return MiniTelegram(config.telegram.base_url, TOKEN)
    from bot.adapters.telegram import TelegramPlatform

    os.environ.setdefault("PTB_TIMEDELTA", "true")
    return TelegramPlatform(config.telegram, clock, DbStateStore(db, clock), poll_timeout=5.0)


async def child(args: argparse.Namespace) -> None:
    """The bot: on the first run it creates the cohort and announces; then it serves until the
    announcement is done (report sent), printing its memory every second."""
    clock = SystemClock()
    config = bot_config(args.db, args.base_url, args.files, args.max_unrecorded)
    db = await open_database(config)
    platform = make_platform(args.adapter, config, db, clock)
    app = await build_app(config, clock, {"telegram": platform}, db=db)
    if args.phase == "first":
        await app.runtime.handle(coordinator_says('/newcohort "Bench" UTC', 1))
        async with db.transaction() as session:
            cohort_id = int((await session.execute(select(Cohort.id))).scalar_one())
            session.add(
                BoundChat(
                    cohort_id=cohort_id, platform="telegram", chat_id=str(GROUP), bound_at=START
                )
            )
        members = list(range(FIRST_MEMBER, FIRST_MEMBER + args.size - 1))
        await seed_members(db, cohort_id, members, clock.now())
    stopped = asyncio.Event()  # SIGTERM: a graceful stop, as `cohortbot run` does
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stopped.set)
    await app.runtime.serve()
    if args.phase == "first":
        await app.runtime.handle(coordinator_says(f'/announce "{TEXT}"', 2))
        await app.runtime.handle(coordinator_says("1", 3))
    process = psutil.Process()
    while not stopped.is_set():
        async with db.transaction() as session:
            report = await session.execute(
                select(OutboxMessage.status).where(OutboxMessage.idempotency_key.like("b:%:report"))
            )
            status = report.scalar_one_or_none()
        print(
            json.dumps(
                {"rss_mib": round(process.memory_info().rss / 2**20, 1), "peak": peak_rss_mib()}
            ),
            flush=True,
        )
        if status == "sent":  # the report reached the coordinator: all done
            break
        with contextlib.suppress(TimeoutError):  # a status poll in a benchmark
            await asyncio.wait_for(stopped.wait(), 1.0)
    await app.close()


# The driver: fake server, kill and restart -----------------------------------------------
@dataclass
class Observed:
    times: list[datetime] = field(default_factory=list)
    chats: list[int] = field(default_factory=list)  # in the order they arrived
    copies: Counter[int] = field(default_factory=Counter)
    report: str | None = None
    report_at: datetime | None = None

    def on_sent(self, message: SentMessage) -> None:
        text = message.text or ""
        if text.endswith(TEXT):
            self.times.append(message.at)
            self.chats.append(message.chat_id)
            self.copies[message.chat_id] += 1
        elif message.chat_id == COORD and "#1" in text and "Sent" in text:
            self.report = text
            self.report_at = message.at


@dataclass
class Child:
    process: asyncio.subprocess.Process
    peak_mib: float = 0.0
    reader: asyncio.Task[None] | None = None

    async def read(self) -> None:
        assert self.process.stdout is not None
        async for line in self.process.stdout:
            try:
                status = json.loads(line)
            except ValueError:
                continue
            self.peak_mib = max(self.peak_mib, float(status.get("peak", 0)))


async def spawn(args: argparse.Namespace, fake: FakeTelegram, db_url: str, phase: str) -> Child:
    command = [
        sys.executable,
        "-m",
        "bench.broadcast",
        "--child",
        "--phase",
        phase,
        "--db",
        db_url,
        "--base-url",
        fake.url,
        "--size",
        str(args.size),
        "--adapter",
        args.adapter,
        "--files",
        args.files,
        "--max-unrecorded",
        str(args.max_unrecorded),
    ]
    log = Path(args.files).parent / f"bot-{phase}.log"  # its warnings, not in the figures
    with log.open("ab") as stderr:
        process = await asyncio.create_subprocess_exec(
            *command, stdout=asyncio.subprocess.PIPE, stderr=stderr, cwd=ROOT
        )
    child_ = Child(process)
    child_.reader = asyncio.create_task(child_.read())
    return child_


async def drop_pending_updates(fake: FakeTelegram) -> None:
    """Confirm every queued update (the users' /start, the blocks): the bot starts afresh, as
    with PTB's drop_pending_updates."""
    pending = fake.pending_updates
    if not pending:
        return
    offset = int(pending[-1]["update_id"]) + 1
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{fake.url}/bot{TOKEN}/getUpdates", params={"offset": offset}) as answer,
    ):
        await answer.read()


async def wait_for(condition: Any, within: float, child_: Child | None = None) -> bool:
    deadline = time.monotonic() + within
    while not condition():
        if child_ is not None and child_.process.returncode is not None:
            return bool(condition())
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.05)  # polling the fake's records from the driver
    return True


def rate(times: list[datetime]) -> tuple[int, float, float]:
    """Messages, seconds between the first and the last, messages per second."""
    if len(times) < 2:
        return len(times), 0.0, 0.0
    span = (max(times) - min(times)).total_seconds()
    return len(times), round(span, 2), round((len(times) - 1) / span, 2) if span else 0.0


@dataclass(frozen=True)
class Stop:
    signal: signal.Signals
    at: float  # fraction of the recipients reached


def parse_stops(text: str) -> list[Stop]:
    """ "term@0.33,kill@0.66" -> a graceful stop at a third, a crash at two thirds."""
    signals = {"term": signal.SIGTERM, "kill": signal.SIGKILL}
    stops = []
    for part in filter(None, text.split(",")):
        name, _, fraction = part.partition("@")
        stops.append(Stop(signals[name.strip().lower()], float(fraction)))
    return sorted(stops, key=lambda stop: stop.at)


async def driver(args: argparse.Namespace) -> None:
    observed = Observed()
    users = [COORD, *range(FIRST_MEMBER, FIRST_MEMBER + args.size - 1)]
    blockers = set(users[1::100][: max(1, args.size // 100)])
    expected = (set(users) - blockers) | {GROUP}
    stops = parse_stops(args.stops)
    async with FakeTelegram(
        token=TOKEN, limits=Limits(), on_sent=observed.on_sent, latency=args.latency
    ) as fake:
        for uid in users:
            fake.add_user(uid, f"u{uid}")
            fake.send_private(uid, "/start")  # a chat the bot may write to
        fake.bot_added_to_group(GROUP, COORD, "Bench")
        for uid in blockers:
            fake.block(uid)
        await drop_pending_updates(fake)
        budget = args.size / LIMIT_PER_SECOND * 2 + 120
        watch = Stopwatch()
        runs = [await spawn(args, fake, args.db, "first")]
        cuts: list[int] = []  # messages seen when each stop was over
        rejected: list[int] = []
        for number, stop in enumerate(stops, start=1):
            reach = int(stop.at * len(expected))
            await wait_for(lambda reach=reach: len(observed.times) >= reach, budget, runs[-1])
            if runs[-1].process.returncode is None:
                runs[-1].process.send_signal(stop.signal)
            await runs[-1].process.wait()
            cuts.append(len(observed.times))
            rejected.append(fake.count_429)
            runs.append(await spawn(args, fake, args.db, f"restart{number}"))
        done = await wait_for(lambda: observed.report is not None, budget, runs[-1])
        await runs[-1].process.wait()
        for run in runs:
            if run.reader is not None:
                await run.reader
        elapsed = watch.seconds()
        count_429 = fake.count_429

    bounds = [0, *cuts, len(observed.times)]
    segments = [observed.times[a:b] for a, b in itertools.pairwise(bounds)]
    figures = [rate(times) for times in segments]
    total = len(observed.times)
    busy = sum(seconds for _n, seconds, _r in figures)
    gaps = [
        round((after[0] - before[-1]).total_seconds(), 1)
        for before, after in itertools.pairwise(segments)
        if before and after
    ]
    emit(
        "broadcast.throughput",
        adapter=args.adapter,
        backend=args.db.split(":", 1)[0],
        max_unrecorded=args.max_unrecorded,
        latency=args.latency,
        recipients=len(expected) + len(blockers),
        delivered=total,
        limit_per_second=LIMIT_PER_SECOND,
        per_second_overall=round((total - len(segments)) / busy, 2) if busy else 0.0,
        runs=[{"messages": n, "seconds": sec, "per_second": r} for n, sec, r in figures],
        restart_gaps_seconds=gaps,
        report_after_last_seconds=(
            round((observed.report_at - observed.times[-1]).total_seconds(), 1)
            if observed.report_at is not None and observed.times
            else None
        ),
        wall_seconds=round(elapsed, 1),
    )
    emit("broadcast.429", received=count_429, by_stop=rejected, goal=0)
    emit(
        "broadcast.memory",
        bot_peak_rss_mib=[run.peak_mib for run in runs],
        fake_server_and_driver_peak_rss_mib=peak_rss_mib(),
    )
    received = set(observed.copies)
    per_stop = []
    for stop, cut in zip(stops, cuts, strict=True):
        before = set(observed.chats[:cut])
        again = sum(1 for chat in set(observed.chats[cut:]) if chat in before)
        per_stop.append({"signal": stop.signal.name, "after_messages": cut, "duplicated": again})
    emit(
        "broadcast.resume",
        stops=per_stop,
        lost=len(expected - received),
        duplicated=sum(n - 1 for n in observed.copies.values() if n > 1),
        sent_to_blockers=len(received & blockers),
        blocked=len(blockers),
        report=observed.report,
        finished=done,
    )


# Fan-out only ------------------------------------------------------------------------------
async def fanout_bench(args: argparse.Namespace) -> None:
    from bot.adapters.console import ConsolePlatform
    from handlers.broadcast.fanout import fan_out_batch, start_fanout

    for batch in [int(b) for b in args.batches.split(",")]:
        with tempfile.TemporaryDirectory() as tmp:
            db_url = args.db or f"sqlite+aiosqlite:///{tmp}/fanout.db"
            clock = VirtualClock(START)
            base = load_config(None, env={})
            config = replace(base, storage=replace(base.storage, url=db_url, files_dir=tmp))
            console = ConsolePlatform(clock, Path(tmp), lambda _m: None)
            app = await build_app(config, clock, {"console": console})
            db = app.db
            async with db.transaction() as session:
                cohort = Cohort(name="Bench", code="BENCH234", zone="UTC", created_at=START)
                session.add(cohort)
                await session.flush()
                cohort_id = cohort.id
            await seed_members_console(db, cohort_id, args.size)
            async with db.transaction() as session:
                announcement = Announcement(
                    cohort_id=cohort_id,
                    number=1,
                    text=TEXT,
                    language="en",
                    status="scheduled",
                    zone="UTC",
                    target={},
                    created_at=START,
                )
                session.add(announcement)
                await session.flush()
                announcement_id = announcement.id
            longest, batches, watch = 0.0, 0, Stopwatch()
            finished = False
            while not finished:
                step = time.perf_counter()
                async with db.transaction() as session:
                    ctx = Context(
                        session=session, services=app.services, person=None, key_prefix="bench"
                    )
                    a = await locked(session, announcement_id)
                    c = await session.get(Cohort, cohort_id)
                    assert a is not None and c is not None
                    if a.status == "scheduled":
                        await start_fanout(ctx, a, c, Target())
                    finished = await fan_out_batch(ctx, a, c, Target(), batch)
                longest = max(longest, time.perf_counter() - step)
                batches += 1
            seconds = watch.seconds()
            emit(
                "broadcast.fanout",
                backend=db_url.split(":", 1)[0],
                recipients=args.size,
                batch=batch,
                transactions=batches,
                seconds=round(seconds, 3),
                rows_per_second=round(args.size / seconds),
                longest_transaction_ms=round(longest * 1000, 1),
                peak_rss_mib=peak_rss_mib(),
            )
            if batch == 500:
                await insert_methods(db, clock.now())
            await app.close()


async def seed_members_console(db: Database, cohort_id: int, size: int) -> None:
    async with db.transaction() as session:
        found = await session.execute(
            insert(Person).returning(Person.id, sort_by_parameter_order=True),
            [{"language": None, "created_at": START, "quiet_start": "off"}] * size,
        )
        ids = [int(pid) for pid in found.scalars()]
        await session.execute(
            insert(Identity),
            [
                {
                    "person_id": pid,
                    "platform": "console",
                    "external_id": f"p{pid}",
                    "private_chat_id": f"p{pid}",
                    "reachable": True,
                    "last_seen_at": START,
                }
                for pid in ids
            ],
        )
        await session.execute(
            insert(Membership),
            [
                {
                    "cohort_id": cohort_id,
                    "person_id": pid,
                    "role": "participant",
                    "joined_at": START,
                }
                for pid in ids
            ],
        )


async def insert_methods(db: Database, now: datetime) -> None:
    """500 rows row by row (enqueue_message) against one multi-row insert (queue_messages)."""
    rows = [QueuedMessage(f"x:{i}", "console", f"c{i}", False, None, TEXT, now) for i in range(500)]
    watch = Stopwatch()
    async with db.transaction() as session:
        for row in rows:
            await enqueue_message(
                session,
                key=f"row:{row.key}",
                to=Address(row.platform, row.chat_id),
                text=row.text,
                now=now,
                priority=PRIORITY_BROADCAST,
                broadcast_id=999,
            )
    one_by_one = watch.seconds()
    watch = Stopwatch()
    async with db.transaction() as session:
        await queue_messages(session, rows, broadcast_id=998, priority=PRIORITY_BROADCAST, now=now)
    bulk = watch.seconds()
    emit(
        "broadcast.insert_500_rows",
        row_by_row_ms=round(one_by_one * 1000, 1),
        multi_row_ms=round(bulk * 1000, 1),
    )


# Command line ------------------------------------------------------------------------------
def main() -> None:
    platform = argparse.ArgumentParser(add_help=False)
    platform.add_argument("--platform", choices=("telegram", "matrix"), default="telegram")
    chosen, rest = platform.parse_known_args()
    if chosen.platform == "matrix":  # a real Synapse: bench/broadcast_matrix.py
        from bench import broadcast_matrix

        sys.argv = [sys.argv[0], *rest]
        broadcast_matrix.main()
        return
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=10_000, help="people in the cohort")
    parser.add_argument(
        "--stops",
        default="term@0.33,kill@0.66",
        help="SIGNAL@FRACTION,...: stop the bot when that share was reached ('' = never)",
    )
    parser.add_argument("--adapter", choices=("ptb", "http"), default="ptb")
    parser.add_argument(
        "--max-unrecorded",
        type=int,
        default=TelegramConfig().max_unrecorded,
        help="[telegram] max_unrecorded: most sends out and not yet recorded (a crash repeats them)",
    )
    parser.add_argument(
        "--latency", type=float, default=0.0, help="seconds each Bot API answer takes (network)"
    )
    parser.add_argument("--db", default="", help="database URL (default: a temporary SQLite)")
    parser.add_argument("--fanout", action="store_true", help="measure the fan-out only")
    parser.add_argument("--batches", default="250,500,1000,2000,10000")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--phase", default="first", help=argparse.SUPPRESS)
    parser.add_argument("--base-url", default="", help=argparse.SUPPRESS)
    parser.add_argument("--files", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        asyncio.run(child(args))
        return
    if args.fanout:
        asyncio.run(fanout_bench(args))
        return
    with tempfile.TemporaryDirectory() as tmp:
        args.db = args.db or f"sqlite+aiosqlite:///{tmp}/bench.db"
        args.files = str(Path(tmp) / "files")
        asyncio.run(driver(args))


if __name__ == "__main__":
    main()
