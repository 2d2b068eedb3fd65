"""Helpers for benchmarks: JSON-line output, the machine, peak memory, CPU time, statement and
transaction counters, an event-loop stall meter, bulk seeding of people and jobs."""

from __future__ import annotations

import asyncio
import json
import os
import platform
import resource
import sqlite3
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event, insert

from bot.config import Config, load_config
from storage.engine import Database
from storage.models import Identity, Job, Membership, Person


def emit(name: str, **figures: Any) -> None:
    """Print one JSON line of figures."""
    print(json.dumps({"bench": name, **figures}, ensure_ascii=False), flush=True)


def machine() -> dict[str, Any]:
    """Where a figure was measured: cores, memory, how busy the machine was, versions."""
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        memory = round(pages / 2**30, 1)
    except (ValueError, OSError):  # pragma: no cover - not Linux
        memory = None
    try:
        load = [round(x, 2) for x in os.getloadavg()]
    except OSError:  # pragma: no cover
        load = []
    return {
        "cores": os.cpu_count(),
        "memory_gib": memory,
        "load_average": load,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "cpu_speed": cpu_speed(),
    }


def cpu_speed() -> float:
    """How fast one core runs plain Python here: millions of simple loop steps per second (best
    of three short runs): a rough yardstick for comparing figures from different machines
    (and it drops when the machine is busy)."""
    best = float("inf")
    for _ in range(3):
        began = time.perf_counter()
        total = 0
        for i in range(300_000):
            total += i & 7
        best = min(best, time.perf_counter() - began)
    return round(0.3 / best, 1)


def peak_rss_mib() -> float:
    """Peak resident memory of this process so far, in MiB. On Linux from /proc (VmHWM):
    getrusage's ru_maxrss survives exec, so a child started by a big parent would report the
    parent's size."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / 1024 if sys.platform != "darwin" else peak / 2**20, 1)


def backend(url: str) -> str:
    return url.split(":", 1)[0].split("+", 1)[0]


class Stopwatch:
    """Wall time and this process's CPU time (all threads) since it was made."""

    def __init__(self) -> None:
        self.start = time.perf_counter()
        self.cpu_start = time.process_time()

    def seconds(self) -> float:
        return time.perf_counter() - self.start

    def cpu_seconds(self) -> float:
        return time.process_time() - self.cpu_start


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (0..100) by nearest rank; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


@dataclass
class Counts:
    statements: int = 0
    transactions: int = 0

    def minus(self, other: Counts) -> Counts:
        return Counts(self.statements - other.statements, self.transactions - other.transactions)


class DbCounter:
    """Counts statements and transactions (database round trips) of a database: those through
    SQLAlchemy and those run on the driver connection (storage/lean.py). A transaction is a
    BEGIN; savepoints are statements inside it."""

    def __init__(self, db: Database) -> None:
        self.counts = Counts()
        self.db = db
        self._lean_at_start = db.lean_statements()
        sync = db.engine.sync_engine
        event.listen(sync, "before_cursor_execute", self._statement)
        event.listen(sync, "begin", self._begin)

    def _statement(self, *_args: Any) -> None:
        self.counts.statements += 1

    def _begin(self, *_args: Any) -> None:
        self.counts.transactions += 1

    def snapshot(self) -> Counts:
        lean = self.db.lean_statements() - self._lean_at_start
        return replace(self.counts, statements=self.counts.statements + lean)


@dataclass
class StallMeter:
    """A ticker task that asks to wake every `interval` seconds and records how late each wake-up
    was: a late wake-up is time the event loop spent on something that did not yield."""

    interval: float = 0.01
    lags: list[float] = field(default_factory=list)
    _task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._tick(), name="stall-meter")

    async def _tick(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            expected = loop.time() + self.interval
            await asyncio.sleep(self.interval)
            self.lags.append(max(0.0, loop.time() - expected))

    async def stop(self) -> dict[str, float]:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        return {
            "stall_max_ms": round(max(self.lags, default=0.0) * 1000, 1),
            "stall_p99_ms": round(percentile(self.lags, 99) * 1000, 1),
            "stalls_over_100ms": sum(1 for lag in self.lags if lag > 0.1),
            "ticks": len(self.lags),
        }


def bench_config(db_url: str, files_dir: str, **bot: Any) -> Config:
    """The default configuration on `db_url`, with per-person command limits out of the way."""
    base = load_config(None, env={})
    settings = {"commands_per_minute": 1_000_000, **bot}
    return replace(
        base,
        storage=replace(base.storage, url=db_url, files_dir=files_dir),
        bot=replace(base.bot, **settings),
    )


async def seed_people(
    db: Database,
    count: int,
    now: datetime,
    *,
    platform: str,
    cohort_id: int | None = None,
    first_external: int = 1_000_000,
    chunk: int = 2_000,
) -> list[int]:
    """`count` people with a reachable private identity on `platform` (external id = private
    chat id = first_external + i), quiet hours off, optionally members of `cohort_id`; inserted
    in bulk, `chunk` per transaction. Returns their person ids in order."""
    ids: list[int] = []
    for start in range(0, count, chunk):
        size = min(chunk, count - start)
        async with db.transaction() as session:
            found = await session.execute(
                insert(Person).returning(Person.id, sort_by_parameter_order=True),
                [{"language": None, "created_at": now, "quiet_start": "off"}] * size,
            )
            part = [int(pid) for pid in found.scalars()]
            await session.execute(
                insert(Identity),
                [
                    {
                        "person_id": pid,
                        "platform": platform,
                        "external_id": str(first_external + start + i),
                        "display_name": f"p{start + i}",
                        "private_chat_id": str(first_external + start + i),
                        "reachable": True,
                        "last_seen_at": now,
                    }
                    for i, pid in enumerate(part)
                ],
            )
            if cohort_id is not None:
                await session.execute(
                    insert(Membership),
                    [
                        {
                            "cohort_id": cohort_id,
                            "person_id": pid,
                            "role": "participant",
                            "joined_at": now,
                        }
                        for pid in part
                    ],
                )
        ids.extend(part)
    return ids


async def seed_jobs(db: Database, rows: Sequence[dict[str, Any]], chunk: int = 5_000) -> None:
    """Insert job rows in bulk (each a dict of Job columns; status pending, attempts 0)."""
    for start in range(0, len(rows), chunk):
        async with db.transaction() as session:
            await session.execute(
                insert(Job),
                [
                    {"status": "pending", "attempts": 0, "zone": None, **row}
                    for row in rows[start : start + chunk]
                ],
            )
