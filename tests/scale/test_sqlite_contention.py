"""SQLite under contention: one writer at a time, several processes. A writer that finds the
database locked by another process waits (up to the busy timeout, 30 s) in a worker thread while
the event loop goes on; nobody is ever told "database is locked"."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.clock import SystemClock
from storage.engine import Database, sqlite_path
from storage.migrate import upgrade
from storage.models import KeyValue
from tests.fakes.telegram_api import FakeTelegram
from tests.scale.helpers import (
    COORD,
    FIRST_MEMBER,
    ROOT,
    STARTUP,
    TOKEN,
    BotProcess,
    copies,
    migrated,
    seed_members,
    started_users,
    wait_for,
)

pytestmark = pytest.mark.timeout(600)

APOLOGY = "Sorry, something went wrong"


class LockHolder:
    """Another connection (as another process would) holding SQLite's write lock until told."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.holding = threading.Event()
        self.release = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        conn = sqlite3.connect(self.path, isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")
            self.holding.set()
            self.release.wait(60)
            conn.execute("COMMIT")
        finally:
            conn.close()


async def test_a_writer_waits_for_another_process_without_holding_the_loop(
    sqlite_url: str,
) -> None:
    db = Database(sqlite_url)
    await upgrade(db)
    path = sqlite_path(sqlite_url)
    assert path is not None
    holder = LockHolder(path)
    holder.thread.start()
    await asyncio.to_thread(holder.holding.wait, 10)

    async def write() -> None:
        async with db.transaction() as session:
            session.add(KeyValue(namespace="t", key="k", value="v", updated_at=SystemClock().now()))

    writer = asyncio.create_task(write())
    ticks = 0
    for _ in range(50):  # the loop keeps running while the write waits for the lock
        await asyncio.sleep(0)
        ticks += 1
    assert not writer.done() and ticks == 50
    holder.release.set()
    await asyncio.wait_for(writer, 30)
    async with db.transaction() as session:
        count = await session.execute(select(func.count()).select_from(KeyValue))
        assert count.scalar_one() == 1
    await db.close()
    holder.thread.join(10)


PEOPLE, ROUNDS = 20, 8


def script(name: str) -> str:
    lines = []
    for r in range(ROUNDS):
        for i in range(PEOPLE):
            command = ("/timezone Europe/Berlin", "/me", "/quiet 23:00-07:00", "/help")[r % 4]
            lines.append(f"{name}{i}> {command}")
    return "\n".join(lines) + "\n"


async def run_console(db_url: str, path: Path) -> tuple[int, list[dict[str, object]], str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "console",
        "--script",
        str(path),
        "--json",
        "--db",
        db_url,
        cwd=path.parent,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 300)
    messages = [json.loads(line) for line in out.decode().splitlines() if line.startswith("{")]
    return proc.returncode or 0, messages, err.decode()


async def test_run_and_a_console_script_write_one_sqlite_file_at_once(
    sqlite_url: str, tmp_path: Path
) -> None:
    """`cohortbot run` sends a burst of notices (job batches, outbox records) while a
    `cohortbot console --script` process runs commands against the same file."""
    await migrated(sqlite_url)
    members = 200
    member_ids = range(FIRST_MEMBER, FIRST_MEMBER + members)
    async with FakeTelegram(token=TOKEN) as fake:
        await started_users(fake, [COORD, *member_ids])
        bot = BotProcess(fake, sqlite_url, tmp_path)
        await bot.start()
        try:
            fake.send_private(COORD, '/newcohort "Busy" UTC')
            await wait_for(fake, lambda: fake.messages_to(COORD), STARTUP, "the cohort")
            await seed_members(sqlite_url, "Busy", members)
            marker = "Busy kickoff"
            fake.send_private(COORD, f'/addsession "{marker}" 2027-03-02 15:00 UTC')
            await wait_for(fake, lambda: copies(fake, marker, member_ids)[FIRST_MEMBER], 60, "a")
            path = tmp_path / "script.txt"
            path.write_text(script("c"))
            code, messages, err = await run_console(sqlite_url, path)
            await wait_for(
                fake,
                lambda: all(copies(fake, marker, member_ids).values()),
                STARTUP + members,
                "every notice",
            )
        finally:
            await bot.stop()
        assert code == 0, err[-2000:]
        assert "locked" not in err.lower(), err[-2000:]
        texts = [str(m["text"]) for m in messages]
        assert len(texts) == PEOPLE * ROUNDS, texts[-5:]  # every command answered, once
        assert not [t for t in texts if APOLOGY in t or "locked" in t.lower()]
        log = bot.log_text()
        assert "database is locked" not in log.lower(), log[-3000:]
        assert set(copies(fake, marker, member_ids).values()) == {1}
