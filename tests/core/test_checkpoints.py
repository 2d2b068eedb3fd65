"""SQLite's WAL is folded into the database file by a worker thread, not inside commits: the
bot's connections have SQLite's automatic checkpoints off, so without it the WAL would grow
with every commit."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from storage.engine import Database
from storage.lean import LEAN_DRIVER
from storage.migrate import upgrade
from storage.models import KeyValue
from tests.conftest import START

COMMITS = 1500


async def test_the_wal_stays_small_under_many_commits(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    await upgrade(db)
    wal = tmp_path / "bot.db-wal"
    try:
        async with db.transaction() as session:  # the bot's own connections: none of SQLite's
            auto = await session.execute(text("PRAGMA wal_autocheckpoint"))
            assert auto.scalar_one() == 0
            assert session.info.get(LEAN_DRIVER) is not None
        assert db.checkpoints is not None
        db.checkpoints.every = 50
        biggest = 0
        for i in range(COMMITS):
            async with db.transaction() as session:
                session.add(KeyValue(namespace="t", key=str(i), value="x" * 500, updated_at=START))
            biggest = max(biggest, wal.stat().st_size)
            if i % 50 == 49:  # (how far the WAL grows during a checkpoint depends on the disk)
                await db.checkpoints.settled()
        assert db.checkpoints.done >= COMMITS // 50 - 1
    finally:
        await db.close()
    # Each commit appends a few 4 KiB pages: about 15 MiB without checkpoints.
    assert biggest < 4 * 1024 * 1024, biggest
    again = Database(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    try:
        async with again.transaction() as session:  # nothing was lost on the way
            count = await session.execute(text("SELECT count(*) FROM kv WHERE namespace = 't'"))
            assert count.scalar_one() == COMMITS
    finally:
        await again.close()
