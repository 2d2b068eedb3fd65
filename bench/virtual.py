"""A program simulated in virtual time, as a program designer would try it on the console:
N people join one cohort (spread over five zones, most agreeing to debriefs and alumni contact,
some making commitments), S weekly sessions are scheduled, then the clock is advanced D days
(`:advance`). Measures the advance only: wall and CPU time, jobs and messages per second of
virtual-time driving, statements and transactions per job, peak RSS.

    .venv/bin/python -m bench.virtual --people 1000 --sessions 10 --days 30 [--db URL]
    .venv/bin/python -m bench.virtual --small          # 60 people, 3 sessions, 14 days

`simulate` is also what the transcript test runs (tests/scale/test_virtual_transcript.py): every
message sent, (virtual instant, chat, text), in order.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from bench.common import (
    DbCounter,
    Stopwatch,
    backend,
    bench_config,
    emit,
    machine,
    peak_rss_mib,
)
from bot.adapters.console import ConsoleMessage, ConsolePlatform
from bot.app import build_app
from bot.clock import VirtualClock
from storage.models import Job

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # a Tuesday
ZONES = ("Europe/Berlin", "America/New_York", "Asia/Tokyo", "Africa/Nairobi", "America/Sao_Paulo")
LANGUAGES = ("en", "es", "fr", "pt-BR", "ar")
_CODE = re.compile(r"Invite code: (\w+)")


@dataclass
class Program:
    """What the simulated program is made of."""

    people: int = 1000
    sessions: int = 10
    days: int = 30
    commitments: bool = True  # every seventh person commits to something due in two weeks


@dataclass(frozen=True)
class Line:
    """One message as the transcript keeps it."""

    at: str
    chat: str
    text: str


@dataclass
class Outcome:
    transcript: list[Line] = field(default_factory=list)
    figures: dict[str, object] = field(default_factory=dict)


def _person(i: int) -> str:
    return f"p{i:04d}"


async def simulate(
    db_url: str,
    files: Path,
    program: Program,
    *,
    on_message: Callable[[ConsoleMessage], None] = lambda _m: None,
) -> Outcome:
    """Set the program up through console commands (not measured), then advance the clock
    `program.days` days (measured). Returns the whole transcript and the advance's figures."""
    clock = VirtualClock(T0)
    outcome = Outcome()
    code: list[str] = []

    def sink(message: ConsoleMessage) -> None:
        on_message(message)
        text = message.text
        found = _CODE.search(text)
        if found:
            code.append(found.group(1))
        if code:  # the invite code is random: the transcript names it
            text = text.replace(code[0], "${code}")
        outcome.transcript.append(
            Line(message.at.isoformat().replace("+00:00", "Z"), message.chat, text)
        )

    console = ConsolePlatform(clock, files, sink)
    app = await build_app(bench_config(db_url, str(files)), clock, {"console": console})
    await console.start(app.runtime.handle)

    async def say(name: str, text: str) -> None:
        await app.runtime.handle(console.inbound(name, text))
        await app.runtime.settle()

    try:
        await say("coord", '/newcohort "Crossings" Europe/Berlin')
        assert code, "no invite code"
        await say("fay", f"/join {code[0]}")
        await say("coord", "/role fay facilitator")
        for i in range(program.people):
            name = _person(i)
            await say(name, f"/join {code[0]}")
            await say(name, f"/timezone {ZONES[i % len(ZONES)]}")
            if i % 3:
                await say(name, f"/language {LANGUAGES[i % len(LANGUAGES)]}")
            if i % 4 != 3:
                await say(name, "/consent debrief yes")
            if i % 2 == 0:
                await say(name, "/consent alumni yes")
            if program.commitments and i % 7 == 0:
                await say(name, '/commit "Share what I learnt" in 2 weeks')
        for s in range(program.sessions):
            day = T0.date() + timedelta(days=1 + s % 7)
            hour = 8 + (s * 3) % 12
            await say(
                "coord",
                f'/addsession "Session {s + 1}" {day.isoformat()} {hour:02d}:00 for 90m every week',
            )
            if outcome.transcript[-1].text.startswith("Before I tell anyone"):
                await say("coord", "yes")  # schedule it despite the night-time warnings
        for i in range(5, program.people, 10):
            await say(_person(i), "/rsvp 1 no")
        await say("coord", "/sessions")

        counter = DbCounter(app.db)
        async with app.db.transaction() as session:
            jobs_before = int((await session.execute(_FINISHED)).scalar_one())
        sent_before = len(outcome.transcript)
        watch = Stopwatch()
        await app.runtime.advance_to(clock.now() + timedelta(days=program.days), clock.set)
        seconds, cpu = watch.seconds(), watch.cpu_seconds()
        counts = counter.snapshot()
        async with app.db.transaction() as session:
            jobs = int((await session.execute(_FINISHED)).scalar_one()) - jobs_before
        messages = len(outcome.transcript) - sent_before
        outcome.figures = {
            "backend": backend(db_url),
            "people": program.people,
            "sessions": program.sessions,
            "days": program.days,
            "seconds": round(seconds, 2),
            "cpu_seconds": round(cpu, 2),
            "jobs": jobs,
            "messages": messages,
            "jobs_per_second": round(jobs / seconds, 1) if seconds else None,
            "messages_per_second": round(messages / seconds, 1) if seconds else None,
            "statements_per_job": round(counts.statements / jobs, 2) if jobs else None,
            "transactions_per_job": round(counts.transactions / jobs, 3) if jobs else None,
            "statements_per_message": round(counts.statements / messages, 2) if messages else None,
            "goal_seconds": 60 if program.people >= 1000 else None,
            "peak_rss_mib": peak_rss_mib(),
        }
    finally:
        await app.close()
    return outcome


_FINISHED = select(func.count()).select_from(Job).where(Job.status.in_(("done", "failed")))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--small", action="store_true", help="60 people, 3 sessions, 14 days")
    parser.add_argument("--db", default="", help="database URL (default: a temporary SQLite)")
    args = parser.parse_args()
    program = (
        Program(people=60, sessions=3, days=14)
        if args.small
        else Program(people=args.people, sessions=args.sessions, days=args.days)
    )
    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or f"sqlite+aiosqlite:///{tmp}/bench.db"
        outcome = asyncio.run(simulate(url, Path(tmp) / "files", program))
    emit("virtual.advance", **outcome.figures, machine=machine())


if __name__ == "__main__":
    main()
