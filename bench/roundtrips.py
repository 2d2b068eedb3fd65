"""Database round trips per sent message: transactions (BEGIN ... COMMIT) and statements, counted
on the engine, for a broadcast to N members and for N session reminders, on a virtual clock
(so the figures do not depend on the machine or its load). Goal: <= 2 transactions per message.

    .venv/bin/python -m bench.roundtrips [--recipients 2000] [--db URL]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from bench.common import DbCounter, backend, bench_config, emit, seed_people
from bench.reminders import RecordingPlatform, setup
from bot.adapters.console import ConsolePlatform
from bot.app import build_app
from bot.clock import VirtualClock
from bot.messages import RateLimits
from bot.platform import Capabilities
from storage.models import Cohort

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


class Limited(RecordingPlatform):
    """Records sends; Telegram's limits (30/s overall, 1/s per chat) or none."""

    def __init__(self, clock: VirtualClock, limits: RateLimits) -> None:
        super().__init__(clock, expected=0)
        self.limits = limits

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities(limits=self.limits)


def virtual_sleep(clock: VirtualClock) -> Callable[[float], Awaitable[None]]:
    async def sleep(seconds: float) -> None:
        clock.advance(timedelta(seconds=seconds))

    return sleep


def limits_of(name: str) -> RateLimits:
    if name == "telegram":
        return RateLimits(per_second_global=30, per_second_private_chat=1, per_minute_group=20)
    return RateLimits()


async def broadcast(db_url: str, files: Path, recipients: int, limits: str) -> None:
    clock = VirtualClock(START)
    platform = Limited(clock, limits_of(limits))
    console = ConsolePlatform(clock, files, lambda _m: None)
    app = await build_app(bench_config(db_url, str(files)), clock, {"console": platform})
    app.runtime.delivery.sleep = virtual_sleep(clock)

    async def say(text: str) -> None:
        await app.runtime.handle(console.inbound("coord", text))
        await app.runtime.settle()

    await say('/newcohort "Bench" UTC')
    async with app.db.transaction() as session:
        cohort_id = int((await session.execute(select(Cohort.id))).scalar_one())
    await seed_people(app.db, recipients, START, platform="console", cohort_id=cohort_id)
    await say('/announce "Round trips"')
    before = len(platform.sent)
    counter = DbCounter(app.db)
    await say("1")  # confirmed: fan-out, delivery, then the report
    await app.runtime.advance_to(clock.now() + timedelta(minutes=3), clock.set)
    counts = counter.snapshot()
    await app.close()
    sent = len(platform.sent) - before
    emit(
        "roundtrips.broadcast",
        backend=backend(db_url),
        limits=limits,
        recipients=recipients,
        messages=sent,
        transactions=counts.transactions,
        statements=counts.statements,
        transactions_per_message=round(counts.transactions / sent, 3),
        statements_per_message=round(counts.statements / sent, 2),
        goal_transactions_per_message=2,
    )


async def reminders(db_url: str, files: Path, count: int, limits: str) -> None:
    dues = await setup(db_url, files, count, 0.0)
    clock = VirtualClock(max(dues.values()))
    platform = Limited(clock, limits_of(limits))
    app = await build_app(bench_config(db_url, str(files)), clock, {"console": platform})
    app.runtime.delivery.sleep = virtual_sleep(clock)
    counter = DbCounter(app.db)
    await app.runtime.settle()
    counts = counter.snapshot()
    await app.close()
    sent = len(platform.sent)
    emit(
        "roundtrips.reminders",
        backend=backend(db_url),
        limits=limits,
        reminders=count,
        messages=sent,
        transactions=counts.transactions,
        statements=counts.statements,
        transactions_per_message=round(counts.transactions / sent, 3),
        statements_per_message=round(counts.statements / sent, 2),
        goal_transactions_per_message=2,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--recipients", type=int, default=2000)
    parser.add_argument("--db", default="", help="database URL (default: temporary SQLite)")
    parser.add_argument("--limits", choices=("telegram", "none", "both"), default="both")
    args = parser.parse_args()
    for limits in ("telegram", "none") if args.limits == "both" else (args.limits,):
        for run in (broadcast, reminders):
            with tempfile.TemporaryDirectory() as tmp:
                url = args.db or f"sqlite+aiosqlite:///{tmp}/bench.db"
                asyncio.run(run(url, Path(tmp) / "files", args.recipients, limits))


if __name__ == "__main__":
    main()
