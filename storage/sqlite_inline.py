"""SQLite for the asyncio engine without a thread hop per statement.

aiosqlite runs every call (cursor, execute, fetch, close, commit) in its own thread and hands the
result back through the event loop: three or four thread hops per statement, which dominated the
cost of an inbound update. The statements of this bot are short (indexed lookups and writes of a
few rows), so running them in the event loop's thread is cheaper than the hop itself.

What could block for long is waiting for another *process* that holds the write lock. So the
connection runs with busy_timeout=0: a statement that finds the database busy raises at once,
and is then run again in a worker thread with the configured busy timeout, exactly as before
(the loop keeps running meanwhile; after the timeout the error surfaces as it always did).
Checkpoints (which wait for readers) always run in the worker thread.

A long transaction (a batch of jobs, a fan-out of thousands of rows) must not hold the event
loop: the connection yields to the loop (`await asyncio.sleep(0)`) when it has been running
statements for YIELD_EVERY without a break, as aiosqlite did on every statement.

Plugged into SQLAlchemy's aiosqlite dialect through `create_async_engine(async_creator=...)`:
the objects below offer the parts of aiosqlite's interface that the dialect uses."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

_T = TypeVar("_T")

BUSY_TIMEOUT_MS = 30_000
YIELD_EVERY = 0.005  # seconds
_THREADED_PREFIXES = ("PRAGMA WAL_CHECKPOINT",)


def _is_busy(error: sqlite3.OperationalError) -> bool:
    code = getattr(error, "sqlite_errorcode", None)
    if code is not None:
        return bool(code & 0xFF == sqlite3.SQLITE_BUSY)
    return "database is locked" in str(error)


class _ImmediateQueue:
    """Stands in for aiosqlite's request queue (the dialect sets isolation_level through it)."""

    def put_nowait(self, item: tuple[asyncio.Future[Any], Callable[[], Any]]) -> None:
        future, function = item
        try:
            future.set_result(function())
        except Exception as error:  # handed to the awaiting caller
            future.set_exception(error)


class InlineCursor:
    def __init__(self, connection: InlineConnection) -> None:
        self._connection = connection
        self._cursor = connection.raw.cursor()

    async def __aenter__(self) -> InlineCursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._cursor.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value

    async def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> InlineCursor:
        await self._connection.run(sql, self._cursor.execute, sql, parameters or ())
        return self

    async def executemany(self, sql: str, parameters: Iterable[Sequence[Any]]) -> InlineCursor:
        rows = list(parameters)  # may be re-run after a busy error
        await self._connection.run(sql, self._cursor.executemany, sql, rows)
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(size if size is not None else self._cursor.arraysize)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()


class InlineConnection:
    """The subset of aiosqlite.Connection that SQLAlchemy's aiosqlite dialect calls."""

    def __init__(self, raw: sqlite3.Connection, busy_timeout_ms: int) -> None:
        self._raw: sqlite3.Connection | None = raw
        self._busy_timeout_ms = busy_timeout_ms
        self._tx = _ImmediateQueue()
        self._yielded_at = time.perf_counter()
        raw.execute("PRAGMA busy_timeout=0")

    @property
    def raw(self) -> sqlite3.Connection:
        if self._raw is None:
            raise ValueError("Connection closed")
        return self._raw

    # aiosqlite's names for the underlying connection, used by the dialect
    @property
    def _conn(self) -> sqlite3.Connection:
        return self.raw

    @property
    def _connection(self) -> sqlite3.Connection | None:
        return self._raw

    @property
    def isolation_level(self) -> str | None:
        return self.raw.isolation_level

    @isolation_level.setter
    def isolation_level(self, value: Any) -> None:
        self.raw.isolation_level = value

    @property
    def in_transaction(self) -> bool:
        return self.raw.in_transaction

    async def run(self, sql: str, function: Callable[..., _T], *args: Any) -> _T:
        """Run one call here; in the worker thread (waiting up to the busy timeout) when it must
        wait for another process."""
        if time.perf_counter() - self._yielded_at > YIELD_EVERY:
            await asyncio.sleep(0)  # let the rest of the program run
            self._yielded_at = time.perf_counter()
        if sql.lstrip()[:21].upper().startswith(_THREADED_PREFIXES):
            return await self._waiting(function, *args)
        try:
            return function(*args)
        except sqlite3.OperationalError as error:
            if not _is_busy(error):
                raise
        return await self._waiting(function, *args)

    async def _waiting(self, function: Callable[..., _T], *args: Any) -> _T:
        raw = self.raw
        raw.execute(f"PRAGMA busy_timeout={int(self._busy_timeout_ms)}")
        try:
            return await asyncio.to_thread(function, *args)
        finally:
            raw.execute("PRAGMA busy_timeout=0")

    def cursor(self) -> InlineCursor:
        return InlineCursor(self)

    async def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> InlineCursor:
        cursor = InlineCursor(self)
        return await cursor.execute(sql, parameters)

    async def commit(self) -> None:
        await self.run("COMMIT", self.raw.commit)

    async def rollback(self) -> None:
        self.raw.rollback()

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self.raw.create_function(*args, **kwargs)

    async def close(self) -> None:
        if self._raw is not None:
            raw, self._raw = self._raw, None
            raw.close()

    def stop(self) -> None:
        if self._raw is not None:
            raw, self._raw = self._raw, None
            raw.close()


def inline_creator(path: str, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> Callable[[], Any]:
    """An `async_creator` for create_async_engine: opens `path` with the inline driver."""

    async def create() -> InlineConnection:
        raw = sqlite3.connect(path, check_same_thread=False, timeout=0)
        return InlineConnection(raw, busy_timeout_ms)

    return create
