"""Inbound commands per second through the full stack: pipeline (dedupe, identity, routing,
handler), storage, outbox and delivery of the replies. Goal: >= 500/s on SQLite on one core.

    .venv/bin/python -m bench.inbound --platform console  [--commands 5000] [--people 100] [--db URL]
    .venv/bin/python -m bench.inbound --platform telegram [--commands 5000] [--people 100] [--db URL]

console: the console platform on a virtual clock, replies delivered every 50 commands.
telegram: the real python-telegram-bot adapter in this process (long polling, sendMessage),
against the fake Bot API server in a child process (so its work is not counted here), with the
commands queued there before the bot starts; the real-time loops (`serve`) deliver the replies.
Flood limits are off on both sides here: this measures the bot, not Telegram's 30/s.

Each run prints wall-clock and CPU figures: commands per second of wall time, and per second of
this process's CPU time (the load-independent figure on a busy machine), statements and
transactions per command, and event-loop stalls (telegram)."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp
from sqlalchemy import func, select

from bench.common import (
    DbCounter,
    StallMeter,
    Stopwatch,
    backend,
    bench_config,
    emit,
    machine,
    peak_rss_mib,
)
from bot.adapters.console import ConsoleMessage, ConsolePlatform
from bot.app import build_app, open_database, settle_heap
from bot.clock import SystemClock, VirtualClock
from bot.config import TelegramConfig
from bot.messages import Inbound, Outbound, RateLimits, SendResult
from bot.platform import Capabilities, InboundGroupHandler, InboundHandler
from storage.models import OutboxMessage

if TYPE_CHECKING:
    from bot.adapters.telegram import TelegramPlatform

COMMANDS = ["/timezone Europe/Berlin", "/me", "/quiet 23:00-07:00", "/language es", "/help"]
WARM_UP = "/timezone Africa/Nairobi"  # each person's first message (creates them), not timed
TOKEN = "7012345678:AAHk2vQm9xZr4TpW8yLb3NcFd6GsJe1UoIq"
FIRST_USER = 500_000
POLL = 0.05  # seconds
ROOT = Path(__file__).resolve().parents[1]


def command(i: int) -> str:
    return COMMANDS[i % len(COMMANDS)]


# Console ---------------------------------------------------------------------------------
async def run_console(commands: int, people: int, db_url: str, files: Path) -> None:
    clock = VirtualClock(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    received: list[ConsoleMessage] = []
    console = ConsolePlatform(clock, files, received.append)
    app = await build_app(bench_config(db_url, str(files)), clock, {"console": console})
    for i in range(people):  # warm up: create the people first
        await app.runtime.handle(console.inbound(f"p{i}", WARM_UP))
    await app.runtime.settle()
    received.clear()
    settle_heap()  # as `cohortbot console` and `cohortbot run` do once started
    counter = DbCounter(app.db)
    watch = Stopwatch()
    for i in range(commands):
        await app.runtime.handle(console.inbound(f"p{i % people}", command(i)))
        if i % 50 == 49:
            await app.runtime.settle()
    await app.runtime.settle()
    elapsed, cpu = watch.seconds(), watch.cpu_seconds()
    counts = counter.snapshot()
    await app.close()
    emit(
        "inbound.console",
        backend=backend(db_url),
        commands=commands,
        replies=len(received),
        seconds=round(elapsed, 2),
        cpu_seconds=round(cpu, 2),
        commands_per_second=round(commands / elapsed, 1),
        commands_per_cpu_second=round(commands / cpu, 1),
        goal_per_second=500,
        statements_per_command=round(counts.statements / commands, 2),
        transactions_per_command=round(counts.transactions / commands, 2),
        peak_rss_mib=peak_rss_mib(),
        machine=machine(),
    )


# Telegram: the fake server's process -----------------------------------------------------
async def fake_server(commands: int, people: int) -> None:
    """The fake Bot API server: each person's warm-up message is queued at once, the timed
    commands when POST /_bench/release arrives (all at once). Prints its URL, then serves until
    SIGTERM."""
    from aiohttp import web

    from tests.fakes.telegram_api import FakeTelegram, Limits

    holder: dict[str, FakeTelegram] = {}

    async def release(_request: web.Request) -> web.Response:
        for i in range(commands):
            holder["fake"].send_private(FIRST_USER + i % people, command(i))
        return web.json_response({"queued": commands})

    fake = FakeTelegram(
        token=TOKEN, limits=Limits.off(), extra_routes=[web.post("/_bench/release", release)]
    )
    holder["fake"] = fake
    for i in range(people):
        fake.add_user(FIRST_USER + i, f"p{i}", language_code="en")
        fake.send_private(FIRST_USER + i, WARM_UP)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    await fake.start()
    print(json.dumps({"url": fake.url}), flush=True)
    await stop.wait()
    await fake.stop()


# Telegram: the bot, in this process ------------------------------------------------------
class Unlimited:
    """A platform with its rate limits lifted (and inbound updates counted); all else is the
    real adapter."""

    def __init__(self, inner: TelegramPlatform) -> None:
        self.inner = inner
        self.name = inner.name
        self.handled = 0
        self.progress = asyncio.Event()

    def __getattr__(self, name: str) -> Any:  # username, describe_commands, ...
        return getattr(self.inner, name)

    @property
    def capabilities(self) -> Capabilities:
        inner = self.inner.capabilities
        return Capabilities(
            buttons=inner.buttons,
            html=inner.html,
            files=inner.files,
            max_text=inner.max_text,
            limits=RateLimits(),
        )

    async def start(self, on_inbound: InboundHandler) -> None:
        async def counted(inbound: Inbound) -> None:
            await on_inbound(inbound)
            self.handled += 1
            self.progress.set()

        await self.inner.start(counted)

    def take_groups(self, handler: InboundGroupHandler) -> None:
        async def counted(inbounds: Sequence[Inbound]) -> None:
            await handler(inbounds)
            self.handled += len(inbounds)
            self.progress.set()

        self.inner.take_groups(counted)

    async def stop(self) -> None:
        await self.inner.stop()

    async def send(self, message: Outbound) -> SendResult:
        return await self.inner.send(message)


async def run_telegram(commands: int, people: int, db_url: str, files: Path) -> None:
    from bot.adapters.telegram import TelegramPlatform
    from storage.repositories.kv import DbStateStore

    os.environ.setdefault("PTB_TIMEDELTA", "true")
    server = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.inbound",
        "--fake-server",
        "--commands",
        str(commands),
        "--people",
        str(people),
        stdout=asyncio.subprocess.PIPE,
        cwd=ROOT,
    )
    try:
        assert server.stdout is not None
        url = json.loads(await server.stdout.readline())["url"]
        config = replace(
            bench_config(db_url, str(files)), telegram=TelegramConfig(token=TOKEN, base_url=url)
        )
        clock = SystemClock()
        db = await open_database(config)
        platform = Unlimited(TelegramPlatform(config.telegram, clock, DbStateStore(db, clock)))
        app = await build_app(config, clock, {"telegram": platform}, db=db)
        counter = DbCounter(db)
        stalls = StallMeter()
        await app.runtime.serve()
        await _until(lambda: platform.handled >= people, platform.progress)
        await _drained(db)
        settle_heap()  # as `cohortbot run` does once started
        before = counter.snapshot()
        stalls.start()
        watch = Stopwatch()
        async with aiohttp.ClientSession() as http, http.post(f"{url}/_bench/release") as answer:
            await answer.read()
        await _until(lambda: platform.handled >= people + commands, platform.progress)
        inbound_seconds = watch.seconds()
        await _drained(db)
        elapsed, cpu = watch.seconds(), watch.cpu_seconds()
        stall = await stalls.stop()
        counts = counter.snapshot().minus(before)
        await app.close()
    finally:
        server.send_signal(signal.SIGTERM)
        await server.wait()
    emit(
        "inbound.telegram",
        backend=backend(db_url),
        commands=commands,
        seconds=round(elapsed, 2),
        cpu_seconds=round(cpu, 2),
        commands_per_second=round(commands / elapsed, 1),
        commands_per_cpu_second=round(commands / cpu, 1),
        inbound_only_per_second=round(commands / inbound_seconds, 1),
        goal_per_second=500,
        statements_per_command=round(counts.statements / commands, 2),
        transactions_per_command=round(counts.transactions / commands, 2),
        **stall,
        peak_rss_mib=peak_rss_mib(),
        machine=machine(),
    )


async def _until(condition: Any, progress: asyncio.Event, within: float = 600.0) -> None:
    async def wait() -> None:
        while not condition():
            progress.clear()
            await progress.wait()

    await asyncio.wait_for(wait(), within)


async def _drained(db: Any, within: float = 600.0) -> None:
    """Until no reply is left to send (polled: 20 times a second)."""

    async def left() -> int:
        async with db.transaction() as session:
            found = await session.execute(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.status.in_(("pending", "claimed")))
            )
            return int(found.scalar_one())

    for _ in range(int(within / POLL)):
        if not await left():
            return
        await asyncio.sleep(POLL)  # polling the outbox from the benchmark
    raise TimeoutError("replies still waiting to be sent")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--platform", choices=("console", "telegram"), default="console")
    parser.add_argument("--commands", type=int, default=5000)
    parser.add_argument("--people", type=int, default=100)
    parser.add_argument("--db", default="", help="database URL (default: a temporary SQLite)")
    parser.add_argument("--fake-server", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.fake_server:
        asyncio.run(fake_server(args.commands, args.people))
        return
    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or f"sqlite+aiosqlite:///{tmp}/bench.db"
        run = run_console if args.platform == "console" else run_telegram
        asyncio.run(run(args.commands, args.people, url, Path(tmp) / "files"))


if __name__ == "__main__":
    main()
