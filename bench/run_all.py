"""Run every benchmark, each in its own process, and pass their JSON lines through.

    .venv/bin/python -m bench.run_all            # the full sizes (tens of minutes)
    .venv/bin/python -m bench.run_all --small    # small sizes, about a minute or two: for CI
    .venv/bin/python -m bench.run_all --db postgresql://postgres@127.0.0.1/test  # PostgreSQL:
                                          # each benchmark gets a new database on that server

Nothing here compares a figure with its goal: wall-clock figures depend on the machine. The
exit status is non-zero only when a benchmark fails to run."""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]


@contextmanager
def fresh_database(server: str) -> Iterator[str]:
    """ "" for the default (each benchmark makes a temporary SQLite file); for a PostgreSQL URL,
    a new database on that server, dropped afterwards."""
    if not server or server.startswith("sqlite"):
        yield server
        return
    name = f"cohortbot_bench_{uuid.uuid4().hex[:10]}"
    base = make_url(server)
    admin = base.set(drivername="postgresql")

    async def execute(sql: str) -> None:
        import asyncpg

        conn = await asyncpg.connect(
            host=admin.host,
            port=admin.port or 5432,
            user=admin.username,
            password=admin.password,
            database=admin.database or "postgres",
        )
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(execute(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(drivername="postgresql+asyncpg", database=name).render_as_string(
            hide_password=False
        )
    finally:
        asyncio.run(execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


# name -> (arguments at full size, arguments for --small)
BENCHES: dict[str, tuple[list[str], list[str]]] = {
    "inbound-console": (
        ["bench.inbound", "--platform", "console", "--commands", "5000"],
        ["bench.inbound", "--platform", "console", "--commands", "400", "--people", "40"],
    ),
    "inbound-telegram": (
        ["bench.inbound", "--platform", "telegram", "--commands", "5000"],
        ["bench.inbound", "--platform", "telegram", "--commands", "300", "--people", "30"],
    ),
    "reminders": (
        ["bench.reminders", "--reminders", "20000", "--spread", "60"],
        ["bench.reminders", "--reminders", "400", "--spread", "4"],
    ),
    "reminders-steady": (
        ["bench.reminders", "--reminders", "2000", "--spread", "24"],
        ["bench.reminders", "--reminders", "200", "--spread", "4"],
    ),
    "reminders-telegram": (
        ["bench.reminders", "--reminders", "20000", "--spread", "60", "--adapter", "telegram"],
        ["bench.reminders", "--reminders", "300", "--spread", "4", "--adapter", "telegram"],
    ),
    "virtual": (
        ["bench.virtual", "--people", "1000", "--sessions", "10", "--days", "30"],
        ["bench.virtual", "--small"],
    ),
    "broadcast": (
        ["bench.broadcast", "--size", "10000"],
        ["bench.broadcast", "--size", "150"],
    ),
    "broadcast-matrix": (
        ["bench.broadcast", "--platform", "matrix", "--size", "201"],
        [
            "bench.broadcast",
            "--platform",
            "matrix",
            "--size",
            "6",
            "--limits",
            "exempt",
            "--samples",
            "1",
        ],
    ),
    "fairness": (
        ["bench.fairness", "--seconds", "20"],
        ["bench.fairness", "--seconds", "4"],
    ),
    "memory": (
        ["bench.memory"],
        ["bench.memory", "--participants", "2000", "--jobs", "2000", "--due", "300"],
    ),
    "roundtrips": (
        ["bench.roundtrips", "--recipients", "2000"],
        ["bench.roundtrips", "--recipients", "150"],
    ),
}


# Benchmarks that make their own database (the Matrix one: SQLite beside its own Synapse).
OWN_DATABASE = frozenset({"broadcast-matrix"})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--small", action="store_true", help="CI sizes")
    parser.add_argument("--db", default="", help="database URL (default: temporary SQLite)")
    parser.add_argument("--only", default="", help="comma-separated names: " + ",".join(BENCHES))
    args = parser.parse_args()
    chosen = [n.strip() for n in args.only.split(",") if n.strip()] or list(BENCHES)
    failed: list[str] = []
    started = time.perf_counter()
    for name in chosen:
        full, small = BENCHES[name]
        command = [sys.executable, "-m", *(small if args.small else full)]
        began = time.perf_counter()
        with fresh_database(args.db) as url:  # each benchmark on an empty database
            if url and name not in OWN_DATABASE:
                command += ["--db", url]
            done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
        for line in done.stdout.splitlines():
            if line.startswith("{"):
                print(line, flush=True)
        seconds = round(time.perf_counter() - began, 1)
        if done.returncode != 0:
            failed.append(name)
            print(done.stderr[-3000:], file=sys.stderr)
        print(
            json.dumps({"bench": f"run_all.{name}", "seconds": seconds, "ok": not done.returncode}),
            flush=True,
        )
    total = round(time.perf_counter() - started, 1)
    print(json.dumps({"bench": "run_all", "seconds": total, "failed": failed}), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
