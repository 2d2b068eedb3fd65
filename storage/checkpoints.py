"""SQLite WAL checkpoints in a worker thread instead of inside a unit of work's commit.

With SQLite's own setting (wal_autocheckpoint=1000 pages), every few hundred commits one of them
copies the WAL into the database file and waits for the disk (fsync): a stall of the event loop,
and about a twentieth of the time an inbound update took. The bot's connections turn that off
(`PRAGMA wal_autocheckpoint=0`, storage/engine.py), and every `every` commits this checkpoints
on a connection of its own in a worker thread (SQLite releases the GIL while it copies and
syncs, so the event loop goes on):

1. a PASSIVE checkpoint copies what the WAL holds, while units of work go on writing;
2. then, holding the write lock (no unit of work writes meanwhile), a second one copies the few
   pages written during the first. The WAL is then wholly in the database file, so the next
   write starts it over from the beginning: it does not grow.

A passive checkpoint never waits for a lock: when a reader (another process) or another
checkpoint is in the way, the next one catches up. Other processes that open the file (the
command line's tools) keep SQLite's default."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from pathlib import Path

log = logging.getLogger(__name__)

CHECKPOINT_EVERY = 200  # commits


class Checkpointer:
    def __init__(self, path: Path, write_lock: asyncio.Lock, every: int = CHECKPOINT_EVERY) -> None:
        self.path = path
        self.write_lock = write_lock
        self.every = every
        self.commits = 0
        self.done = 0  # checkpoints run (for tests and benchmarks)
        self._running: asyncio.Task[None] | None = None
        self._connection: sqlite3.Connection | None = None

    def committed(self) -> None:
        """One more commit; every `every`, a checkpoint starts (unless one is still running)."""
        self.commits += 1
        if self.commits % self.every == 0 and self._running is None:
            self._running = asyncio.get_running_loop().create_task(self._checkpoint())

    async def _checkpoint(self) -> None:
        try:
            await asyncio.to_thread(self._run)
            async with self.write_lock:
                await asyncio.to_thread(self._run)
            self.done += 1
        except sqlite3.Error as error:  # busy or locked: the next one catches up
            log.info("checkpoint skipped", extra={"reason": type(error).__name__})
        finally:
            self._running = None

    def _run(self) -> None:
        if self._connection is None:
            self._connection = sqlite3.connect(self.path, timeout=0, check_same_thread=False)
        self._connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    async def settled(self) -> None:
        """Until the checkpoint under way (if any) has finished."""
        if self._running is not None:
            await asyncio.gather(self._running, return_exceptions=True)

    async def close(self) -> None:
        await self.settled()
        if self._connection is not None:
            connection, self._connection = self._connection, None
            connection.close()
