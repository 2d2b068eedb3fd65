"""Inbound commands per second through the full stack (pipeline, SQLite/PostgreSQL, outbox,
delivery) on the console platform. Goal: >= 500/s on SQLite on one core.

    .venv/bin/python -m bench.inbound --commands 2000 [--db URL]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from bench.common import Stopwatch, emit, peak_rss_mib
from bot.adapters.console import ConsoleMessage, ConsolePlatform
from bot.app import build_app
from bot.clock import VirtualClock
from bot.config import load_config

COMMANDS = ["/timezone Europe/Berlin", "/me", "/quiet 23:00-07:00", "/language es", "/help"]


async def run(commands: int, people: int, db_url: str, files: Path) -> None:
    base = load_config(None, env={})
    config = replace(
        base,
        storage=replace(base.storage, url=db_url, files_dir=str(files)),
        bot=replace(base.bot, commands_per_minute=1_000_000),
    )
    clock = VirtualClock(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    received: list[ConsoleMessage] = []
    console = ConsolePlatform(clock, files, received.append)
    app = await build_app(config, clock, {"console": console})
    for i in range(people):  # warm up: create the people first
        await app.runtime.handle(console.inbound(f"p{i}", "/timezone Africa/Nairobi"))
    await app.runtime.settle()
    received.clear()
    watch = Stopwatch()
    for i in range(commands):
        text = COMMANDS[i % len(COMMANDS)]
        await app.runtime.handle(console.inbound(f"p{i % people}", text))
        if i % 50 == 49:
            await app.runtime.settle()
    await app.runtime.settle()
    elapsed = watch.seconds()
    await app.close()
    emit(
        "inbound_console",
        backend=db_url.split(":", 1)[0],
        commands=commands,
        replies=len(received),
        seconds=round(elapsed, 2),
        commands_per_second=round(commands / elapsed, 1),
        peak_rss_mib=peak_rss_mib(),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--commands", type=int, default=2000)
    parser.add_argument("--people", type=int, default=100)
    parser.add_argument("--db", default="")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or f"sqlite+aiosqlite:///{tmp}/bench.db"
        asyncio.run(run(args.commands, args.people, url, Path(tmp) / "files"))


if __name__ == "__main__":
    main()
