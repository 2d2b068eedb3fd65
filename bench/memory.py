"""Peak memory (RSS) of the bot with a large database: 50,000 participants in one cohort and
50,000 pending jobs, of which --due are due now (session reminders: each one runs its handler
and sends a message, through the outbox, to a different person), plus inbound commands.
Goal: <= 256 MiB. Nothing may load all rows at once: jobs and messages are claimed in batches.

    .venv/bin/python -m bench.memory [--participants 50000] [--jobs 50000] [--due 10000] [--db URL]

The database is filled by this process; the bot runs in a child process, whose peak RSS
(ru_maxrss) is the figure."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from bench.common import (
    Stopwatch,
    backend,
    bench_config,
    emit,
    machine,
    peak_rss_mib,
    seed_jobs,
    seed_people,
)
from bench.reminders import REMINDER, T0, RecordingPlatform, setup
from bot.adapters.console import ConsolePlatform
from bot.app import build_app
from bot.clock import VirtualClock
from storage.engine import Database
from storage.models import Cohort, Job, OutboxMessage

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = ["/me", "/timezone Europe/Berlin", "/help", "/quiet 22:00-07:00"]


async def fill(db_url: str, files: Path, participants: int, jobs: int, due: int) -> str:
    """Returns the instant (ISO) at which the `due` reminders are all due."""
    dues = await setup(db_url, files, due, 0.0)
    at = max(dues.values())
    db = Database(db_url)
    async with db.transaction() as session:
        cohort_id = int((await session.execute(select(Cohort.id))).scalar_one())
        template = (
            await session.execute(select(Job).where(Job.kind == REMINDER).limit(1))
        ).scalar_one()
        payload = dict(template.payload)
    more = max(0, participants - due)
    people = await seed_people(
        db, more, T0, platform="console", cohort_id=cohort_id, first_external=5_000_000
    )
    later = [
        {
            "kind": REMINDER,
            "due_at": at + timedelta(days=1, seconds=i % 3600),
            "payload": payload,
            "idempotency_key": f"bench:later:{i}",
            "person_id": people[i % len(people)] if people else None,
            "cohort_id": cohort_id,
            "created_at": T0,
        }
        for i in range(max(0, jobs - due))
    ]
    await seed_jobs(db, later)
    await db.close()
    return at.isoformat()


async def child(db_url: str, files: Path, at: str, commands: int) -> None:
    from datetime import datetime

    clock = VirtualClock(datetime.fromisoformat(at))
    recording = RecordingPlatform(clock, expected=0)
    app = await build_app(bench_config(db_url, str(files)), clock, {"console": recording})
    started_mib = peak_rss_mib()
    watch = Stopwatch()
    await app.runtime.settle()  # every due reminder runs and is sent
    console = ConsolePlatform(clock, files, lambda _m: None)
    for i in range(commands):
        await app.runtime.handle(console.inbound(f"p{i % 100}", COMMANDS[i % len(COMMANDS)]))
    await app.runtime.settle()
    async with app.db.transaction() as session:
        pending = await session.execute(
            select(func.count()).select_from(Job).where(Job.status == "pending")
        )
        sent = await session.execute(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == "sent")
        )
        figures = {"pending_jobs": int(pending.scalar_one()), "sent": int(sent.scalar_one())}
    await app.close()
    print(
        json.dumps(
            {
                "rss_after_start_mib": started_mib,
                "peak_rss_mib": peak_rss_mib(),
                "seconds": round(watch.seconds(), 1),
                "messages_sent": len(recording.sent),
                **figures,
            }
        ),
        flush=True,
    )


async def run(args: argparse.Namespace, db_url: str, files: Path) -> None:
    watch = Stopwatch()
    at = await fill(db_url, files, args.participants, args.jobs, args.due)
    filled = watch.seconds()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.memory",
        "--child",
        "--db",
        db_url,
        "--at",
        at,
        "--files",
        str(files),
        "--commands",
        str(args.commands),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
    )
    out, _err = await proc.communicate()
    result = json.loads(out.decode().strip().splitlines()[-1])
    emit(
        "memory.large_database",
        backend=backend(db_url),
        participants=args.participants,
        jobs=args.jobs,
        due=args.due,
        commands=args.commands,
        fill_seconds=round(filled, 1),
        **result,
        goal_peak_rss_mib=256,
        machine=machine(),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--participants", type=int, default=50_000)
    parser.add_argument("--jobs", type=int, default=50_000, help="pending jobs (due now included)")
    parser.add_argument("--due", type=int, default=10_000, help="of the jobs, due now")
    parser.add_argument("--commands", type=int, default=1_000)
    parser.add_argument("--db", default="", help="database URL (default: a temporary SQLite)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--at", default="", help=argparse.SUPPRESS)
    parser.add_argument("--files", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        asyncio.run(child(args.db, Path(args.files), args.at, args.commands))
        return
    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or f"sqlite+aiosqlite:///{tmp}/bench.db"
        asyncio.run(run(args, url, Path(tmp) / "files"))


if __name__ == "__main__":
    main()
