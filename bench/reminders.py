"""A reminder burst: N session reminders (the real `scheduling.reminder` job) due in the same
minute, run by the real-time loops (`serve`: job runner, outbox, delivery) on a platform without
rate limits. Measures how late each reminder reaches its person (send time - due time, p50/p99;
goal p99 <= 2 s), event-loop stalls (a 10 ms ticker's late wake-ups; goal <= 100 ms), CPU time,
and database transactions and statements per reminder sent.

    .venv/bin/python -m bench.reminders --reminders 20000 [--spread 60] [--db URL]
                                        [--adapter console|telegram]

--spread S: due instants spread evenly over S seconds (60: "in the same minute"; 0: all at the
same instant, the worst case). Setup (people, the session, the jobs) is not measured.
--adapter telegram: end to end, each reminder sent through the Telegram adapter
(python-telegram-bot) to the fake Bot API (limits off) in a process of its own, so the figures
are the bot's alone; a reminder counts as arrived when the Bot API has answered its send.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import os
import re
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select, update

from bench.common import (
    DbCounter,
    StallMeter,
    Stopwatch,
    backend,
    bench_config,
    emit,
    machine,
    peak_rss_mib,
    percentile,
    seed_jobs,
    seed_people,
)
from bot.adapters.console import ConsolePlatform
from bot.app import App, build_app, open_database
from bot.clock import Clock, OffsetClock, SystemClock, VirtualClock
from bot.config import Config, TelegramConfig
from bot.messages import Outbound, RateLimits, SendResult
from bot.platform import Capabilities, InboundHandler, Platform
from storage.engine import Database
from storage.models import Cohort, Job
from storage.repositories.kv import DbStateStore

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
SESSION_AT = T0 + timedelta(hours=3)
LEAD = timedelta(hours=1)
REMINDER = "scheduling.reminder"
LEAD_IN = timedelta(seconds=2)  # the run starts this long before the first reminder is due
TOKEN = "7012345678:AAHk2vQm9xZr4TpW8yLb3NcFd6GsJe1UoIq"
FIRST_USER = 1_000_000  # the seeded people's Telegram user ids (and private chats) from here
ROOT = Path(__file__).resolve().parents[1]


class RecordingPlatform:
    """The console's place in the bot, recording when each message was handed over."""

    name = "console"

    def __init__(self, clock: Clock, expected: int) -> None:
        self.clock = clock
        self.sent: dict[str, datetime] = {}
        self.expected = expected
        self.all_sent = asyncio.Event()

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities(limits=RateLimits())

    async def start(self, on_inbound: InboundHandler) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def send(self, message: Outbound) -> SendResult:
        self.sent.setdefault(message.key, self.clock.now())
        if len(self.sent) >= self.expected:
            self.all_sent.set()
        return SendResult.sent()


async def setup(
    db_url: str, files: Path, reminders: int, spread: float, platform: str = "console"
) -> dict[int, datetime]:
    """A cohort, a session at SESSION_AT, `reminders` members, one reminder job each (the real
    job, as materializing the session plans it). Returns job id -> due instant."""
    clock = VirtualClock(T0)
    console = ConsolePlatform(clock, files, lambda _m: None)
    app = await build_app(bench_config(db_url, str(files)), clock, {"console": console})
    for text in (
        "/start",
        '/newcohort "Bench" UTC',
        f'/addsession "Kickoff" {SESSION_AT:%Y-%m-%d %H:%M} UTC',
    ):
        await app.runtime.handle(console.inbound("coord", text))
        await app.runtime.settle()
    async with app.db.transaction() as session:
        cohort_id = int((await session.execute(select(Cohort.id))).scalar_one())
        template = (
            await session.execute(select(Job).where(Job.kind == REMINDER, Job.status == "pending"))
        ).scalar_one()
        payload = dict(template.payload)
        due = template.due_at
        # The coordinator's own reminder is not part of the burst.
        await session.execute(update(Job).where(Job.id == template.id).values(status="cancelled"))
    people = await seed_people(
        app.db, reminders, T0, platform=platform, cohort_id=cohort_id, first_external=FIRST_USER
    )
    step = spread / reminders if reminders else 0.0
    rows = [
        {
            "kind": REMINDER,
            "due_at": due + timedelta(seconds=i * step),
            "payload": payload,
            "idempotency_key": f"bench:{REMINDER}:p{pid}",
            "person_id": pid,
            "cohort_id": cohort_id,
            "created_at": T0,
        }
        for i, pid in enumerate(people)
    ]
    await seed_jobs(app.db, rows)
    async with app.db.transaction() as session:
        found = await session.execute(
            select(Job.id, Job.due_at).where(Job.kind == REMINDER, Job.status == "pending")
        )
        dues = {int(job_id): at for job_id, at in found.all()}
    await app.close()
    return dues


class FakeBotApi:
    """The fake Telegram Bot API in a process of its own (its CPU is not the bot's), knowing the
    seeded people."""

    def __init__(self, users: int) -> None:
        self.users = users
        self.url = ""
        self._process: asyncio.subprocess.Process | None = None

    async def __aenter__(self) -> FakeBotApi:
        command = [sys.executable, "-m", "tests.fakes.telegram_cli", "--port", "0"]
        command += ["--no-limits", "--quiet", "--token", TOKEN]
        command += ["--users", f"{FIRST_USER}:{self.users}"]
        self._process = await asyncio.create_subprocess_exec(
            *command, stdout=asyncio.subprocess.PIPE, cwd=ROOT
        )
        assert self._process.stdout is not None
        async for line in self._process.stdout:
            found = re.search(r"on (http://\S+)", line.decode())
            if found:
                self.url = found.group(1)
                return self
        raise RuntimeError("the fake Bot API did not start")

    async def __aexit__(self, *_exc: object) -> None:
        if self._process is not None and self._process.returncode is None:
            self._process.terminate()
            await self._process.wait()


def timed_telegram(
    config: Config, clock: Clock, db: Database, expected: int
) -> tuple[Platform, RecordingPlatform]:
    """The Telegram adapter without Telegram's limits, recording when the Bot API has answered
    each send."""
    from bot.adapters.telegram import TelegramPlatform

    record = RecordingPlatform(clock, expected)

    class Timed(TelegramPlatform):
        @property
        def capabilities(self) -> Capabilities:
            # The fake's limits are off: the bot's own pacing of Telegram's limits is too.
            return dataclasses.replace(super().capabilities, limits=RateLimits())

        async def send(self, message: Outbound) -> SendResult:
            result = await super().send(message)
            await record.send(message)
            return result

    os.environ.setdefault("PTB_TIMEDELTA", "true")
    return Timed(config.telegram, clock, DbStateStore(db, clock), poll_timeout=5.0), record


async def run(
    db_url: str, files: Path, reminders: int, spread: float, within: float, adapter: str
) -> None:
    name = "telegram" if adapter == "telegram" else "console"
    dues = await setup(db_url, files, reminders, spread, name)
    first_due = min(dues.values())
    clock = OffsetClock(SystemClock())
    async with contextlib.AsyncExitStack() as stack:
        config = bench_config(db_url, str(files))
        db: Database | None = None
        if adapter == "telegram":
            api = await stack.enter_async_context(FakeBotApi(reminders))
            config = dataclasses.replace(
                config, telegram=TelegramConfig(token=TOKEN, base_url=api.url, mode="polling")
            )
            db = await open_database(config)
            clock.set(first_due - LEAD_IN)
            bot_platform, platform = timed_telegram(config, clock, db, len(dues))
        else:
            clock.set(first_due - LEAD_IN)
            platform = RecordingPlatform(clock, len(dues))
            bot_platform = platform
        app = await build_app(config, clock, {name: bot_platform}, db=db)
        await measure(app, clock, platform, dues, (reminders, spread, within), adapter, db_url)


async def measure(
    app: App,
    clock: OffsetClock,
    platform: RecordingPlatform,
    dues: dict[int, datetime],
    sizes: tuple[int, float, float],
    adapter: str,
    db_url: str,
) -> None:
    reminders, spread, within = sizes
    counter = DbCounter(app.db)
    stalls = StallMeter()
    stalls.start()
    watch = Stopwatch()
    await app.runtime.serve()
    # The first reminder falls due LEAD_IN after the bot is up (connecting to the Bot API and
    # setting its commands takes a moment): lateness is the running bot's alone.
    clock.set(min(dues.values()) - LEAD_IN)
    app.runtime.poke()
    finished = True
    try:
        await asyncio.wait_for(platform.all_sent.wait(), within)
    except TimeoutError:
        finished = False
    elapsed, cpu = watch.seconds(), watch.cpu_seconds()
    stall = await stalls.stop()
    counts = counter.snapshot()
    await app.close()
    lateness = []
    for key, at in platform.sent.items():
        job_id = int(key.split(":")[1])  # "job:<id>:<n>"
        if job_id in dues:
            lateness.append((at - dues[job_id]).total_seconds())
    sent = len(lateness)
    emit(
        "reminders.burst",
        backend=backend(db_url),
        adapter=adapter,
        reminders=reminders,
        spread_seconds=spread,
        sent=sent,
        finished=finished,
        lateness_p50_s=round(percentile(lateness, 50), 3),
        lateness_p99_s=round(percentile(lateness, 99), 3),
        lateness_max_s=round(max(lateness, default=0.0), 3),
        goal_p99_s=2.0,
        **stall,
        goal_stall_ms=100,
        seconds=round(elapsed, 2),
        cpu_seconds=round(cpu, 2),
        cpu_ms_per_reminder=round(cpu * 1000 / sent, 3) if sent else None,
        transactions_per_message=round(counts.transactions / sent, 3) if sent else None,
        statements_per_message=round(counts.statements / sent, 2) if sent else None,
        peak_rss_mib=peak_rss_mib(),
        machine=machine(),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reminders", type=int, default=20_000)
    parser.add_argument("--spread", type=float, default=60.0, help="seconds; 0 = same instant")
    parser.add_argument("--within", type=float, default=900.0, help="give up after (seconds)")
    parser.add_argument("--db", default="", help="database URL (default: a temporary SQLite)")
    parser.add_argument("--adapter", choices=("console", "telegram"), default="console")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or f"sqlite+aiosqlite:///{tmp}/bench.db"
        files = Path(tmp) / "files"
        asyncio.run(run(url, files, args.reminders, args.spread, args.within, args.adapter))


if __name__ == "__main__":
    main()
