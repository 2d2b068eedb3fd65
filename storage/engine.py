"""Engine and unit of work: SQLite with WAL, busy_timeout, foreign keys and secure_delete;
PostgreSQL through asyncpg. One transaction per inbound update or job."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.pool import ConnectionPoolEntry

from storage.checkpoints import Checkpointer
from storage.errors import StorageUnavailable, storage_problem
from storage.files import private_sqlite_files
from storage.lean import LEAN_DRIVER, WRITTEN, LeanDriver
from storage.sqlite_inline import BUSY_TIMEOUT_MS, InlineConnection, inline_creator


def _sqlite_pragmas(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    # Let SQLAlchemy's "begin" event issue BEGIN IMMEDIATE: writers queue on busy_timeout
    # instead of failing with "database is locked" when a read lock is upgraded.
    dbapi_connection.isolation_level = None
    # The inline driver keeps SQLite's own busy timeout at 0 and waits in a worker thread.
    inline = isinstance(getattr(dbapi_connection, "driver_connection", None), InlineConnection)
    cursor = dbapi_connection.cursor()
    for pragma in (
        "PRAGMA journal_mode=WAL",
        "" if inline else f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
        "PRAGMA foreign_keys=ON",
        "PRAGMA secure_delete=ON",
        "PRAGMA synchronous=NORMAL",
        # Checkpoints run in a worker thread instead (storage/checkpoints.py).
        "PRAGMA wal_autocheckpoint=0" if inline else "",
    ):
        if pragma:
            cursor.execute(pragma)
    cursor.close()


def _sqlite_begin(conn: Any) -> None:
    driver = getattr(conn.connection, "driver_connection", None)
    if isinstance(driver, InlineConnection) and driver.raw.in_transaction:
        return  # begun already, on the driver (Database._begin_inline)
    if conn.get_execution_options().get("isolation_level") != "AUTOCOMMIT":
        # On the driver's cursor: SQLAlchemy's statement machinery cost a tenth of a
        # transaction's overhead here, for a statement with no parameters and no result.
        cursor = conn.connection.cursor()
        try:
            cursor.execute("BEGIN IMMEDIATE")
        finally:
            cursor.close()


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def sqlite_path(url: str) -> Path | None:
    parsed = make_url(url)
    if (
        parsed.get_backend_name() != "sqlite"
        or not parsed.database
        or parsed.database == ":memory:"
    ):
        return None
    return Path(parsed.database)


def make_engine(url: str) -> AsyncEngine:
    if is_sqlite(url):
        path = sqlite_path(url)
        if path is not None and path.parent != Path():
            path.parent.mkdir(parents=True, exist_ok=True)
        if path is not None:
            private_sqlite_files(path)  # 0600 before SQLite writes a byte (storage/files.py)
        if path is None:
            engine = create_async_engine(url, pool_size=4, max_overflow=4)
        else:
            # Statements run in the event loop's thread (see storage/sqlite_inline.py).
            engine = create_async_engine(
                url, pool_size=4, max_overflow=4, async_creator=inline_creator(str(path))
            )
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
        return engine
    return create_async_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True)


CHECKPOINT_AFTER_COMMIT = "checkpoint_after_commit"


def checkpoint_after_commit(session: AsyncSession) -> None:
    """After this unit of work commits, fold the SQLite WAL into the database file and truncate
    it (`Database.transaction` does it, still holding the write lock). Nothing on PostgreSQL."""
    session.info[CHECKPOINT_AFTER_COMMIT] = True


def written_tables(session: AsyncSession) -> frozenset[str]:
    """The tables a session wrote to ("*" when a write could not be attributed to a table):
    after a unit of work, which loops (jobs, delivery) have something new to look at."""
    return frozenset(session.info.get(WRITTEN, ()))


def _note_statement(state: ORMExecuteState) -> None:
    if state.is_select:
        return
    name = getattr(getattr(state.statement, "table", None), "name", None)
    state.session.info.setdefault(WRITTEN, set()).add(name if isinstance(name, str) else "*")


def _note_flush(session: Session, _context: object) -> None:
    tables = session.info.setdefault(WRITTEN, set())
    for instance in (*session.new, *session.dirty, *session.deleted):
        tables.add(str(getattr(type(instance), "__tablename__", "*")))


def _tracking_session_class() -> type[Session]:
    """A Session class of one Database, whose sessions note the tables they write to."""
    tracked = type("TrackedSession", (Session,), {})
    event.listen(tracked, "do_orm_execute", _note_statement)
    event.listen(tracked, "after_flush", _note_flush)
    return tracked


def _sync(conn: AsyncConnection) -> Connection:
    sync = conn.sync_connection
    assert sync is not None, "a connection that is open"
    return sync


async def _begin_inline(driver: LeanDriver) -> None:
    """BEGIN IMMEDIATE straight on the inline driver (waiting in a worker thread when another
    process holds the write lock). SQLAlchemy's own begin, which follows, then has no I/O to do
    (`_sqlite_begin` sees the transaction open) and needs no hop into its greenlet."""
    inline = driver.connection
    await inline.run("BEGIN IMMEDIATE", inline.raw.execute, "BEGIN IMMEDIATE")


def _raise_unavailable(error: Exception) -> None:
    cause = storage_problem(error)
    if cause is not None and not isinstance(error, StorageUnavailable):
        raise StorageUnavailable(cause) from error


def _begin_unit(conn: Connection, session: Session) -> None:
    conn.begin()
    session.begin()


def _commit_unit(conn: Connection, session: Session) -> None:
    session.commit()  # flushes; the connection's transaction is the writer's to commit
    conn.commit()
    session.close()


def _rollback_unit(conn: Connection, session: Session) -> None:
    try:
        session.rollback()
    finally:
        if conn.in_transaction():
            conn.rollback()
        session.close()


class Database:
    """The engine plus a session factory. `async with db.transaction() as s:` is one unit of work."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.is_sqlite = is_sqlite(url)
        self._sessions = async_sessionmaker(
            self.engine, expire_on_commit=False, sync_session_class=_tracking_session_class()
        )
        # SQLite has one writer at a time. Queueing writers here, in the event loop, is cheaper
        # than SQLite's busy handler (which sleeps in growing steps) and never surfaces
        # "database is locked". Other processes still queue on busy_timeout.
        self._write_lock: asyncio.Lock | None = asyncio.Lock() if self.is_sqlite else None
        # ... and since they queue anyway, they all write through one connection, held open:
        # a pool checkout, its reset and its return cost more than the unit's own statements.
        self._writer: AsyncConnection | None = None
        path = sqlite_path(url)
        self.checkpoints: Checkpointer | None = None
        if self._write_lock is not None and path is not None:
            self.checkpoints = Checkpointer(path, self._write_lock)

    async def _writer_connection(self) -> AsyncConnection:
        writer = self._writer
        if writer is None or writer.closed or writer.invalidated:
            if writer is not None and not writer.closed:
                await writer.close()  # invalidated by an error: a new one from the pool
            writer = self._writer = await self.engine.connect()
            driver = (await writer.get_raw_connection()).driver_connection
            if isinstance(driver, InlineConnection):  # storage/lean.py runs statements on it
                writer.info[LEAN_DRIVER] = LeanDriver(driver, self.engine.dialect)
        return writer

    def lean_statements(self) -> int:
        """Statements run on the driver connection (storage/lean.py), which SQLAlchemy's
        events do not see."""
        driver = self._writer.info.get(LEAN_DRIVER) if self._writer is not None else None
        return driver.statements if isinstance(driver, LeanDriver) else 0

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One unit of work. A failure of the storage itself (see storage/errors.py) rolls it
        back, resets the writer connection and raises StorageUnavailable."""
        if self._write_lock is None:
            try:
                async with self._sessions() as session, session.begin():
                    yield session
            except Exception as error:
                _raise_unavailable(error)
                raise
            return
        async with self._write_lock:
            try:
                writer = await self._writer_connection()
                # The session joins the writer's transaction: its commit flushes, the writer's
                # commits; a rollback rolls back the whole unit. Each end of the unit is one hop
                # into SQLAlchemy's greenlet (the async API would take five).
                session = self._sessions(bind=writer)
                driver = writer.info.get(LEAN_DRIVER)
                if driver is not None:
                    await _begin_inline(driver)
                    _begin_unit(_sync(writer), session.sync_session)  # no I/O left to do
                    session.info[LEAN_DRIVER] = driver
                else:
                    await writer.run_sync(_begin_unit, session.sync_session)
            except Exception as error:
                await self._reset_writer()
                _raise_unavailable(error)
                raise
            try:
                yield session
                await writer.run_sync(_commit_unit, session.sync_session)
            except BaseException as error:
                await self._undo(writer, error, session.sync_session)
                raise
            if self.checkpoints is not None:
                self.checkpoints.committed()
            if session.info.pop(CHECKPOINT_AFTER_COMMIT, False):
                await self._checkpoint()

    @asynccontextmanager
    async def core(self) -> AsyncIterator[AsyncConnection]:
        """One transaction on a Core connection, without the ORM session's bookkeeping: for
        the delivery layer's single statements (claim, record), which load no objects."""
        if self._write_lock is None:
            try:
                async with self.engine.begin() as conn:
                    yield conn
            except Exception as error:
                _raise_unavailable(error)
                raise
            return
        async with self._write_lock:
            try:
                writer = await self._writer_connection()
                driver = writer.info.get(LEAN_DRIVER)
                if driver is not None:
                    await _begin_inline(driver)
                    _sync(writer).begin()  # no I/O left to do
                else:
                    await writer.begin()
            except Exception as error:
                await self._reset_writer()
                _raise_unavailable(error)
                raise
            try:
                yield writer
                await writer.commit()
            except BaseException as error:
                await self._undo(writer, error, None)
                raise
            if self.checkpoints is not None:
                self.checkpoints.committed()

    async def _undo(
        self, writer: AsyncConnection, error: BaseException, session: Session | None
    ) -> None:
        """Roll the writer's unit back. When that fails, or the storage itself failed, the
        writer is replaced (a connection left inside a transaction would refuse every later
        unit); a storage failure then surfaces as StorageUnavailable."""
        try:
            if session is not None:
                await writer.run_sync(_rollback_unit, session)
            else:
                await writer.rollback()
            driver = writer.info.get(LEAN_DRIVER)
            if isinstance(driver, LeanDriver) and driver.connection.raw.in_transaction:
                driver.connection.raw.rollback()  # begun on the driver, never reached SQLAlchemy
        except Exception:
            await self._reset_writer()  # the caller raises the unit's own error
        else:
            if isinstance(error, Exception) and storage_problem(error) is not None:
                await self._reset_writer()
        if isinstance(error, Exception):
            _raise_unavailable(error)

    async def _reset_writer(self) -> None:
        """Drop the held writer connection; the next unit opens a fresh one."""
        writer, self._writer = self._writer, None
        if writer is None:
            return
        with contextlib.suppress(Exception):
            await writer.invalidate()
        with contextlib.suppress(Exception):
            await writer.close()

    async def checkpoint(self) -> None:
        """Fold the SQLite WAL into the main file and truncate it (after an erasure)."""
        if self._write_lock is not None:
            async with self._write_lock:
                await self._checkpoint()

    async def _checkpoint(self) -> None:
        # On a connection of its own, outside any transaction; the writer is idle meanwhile
        # (the caller holds the write lock), so only other processes' readers can hold it up.
        async with self.engine.connect() as conn:
            auto = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await auto.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")

    async def close(self) -> None:
        if self.checkpoints is not None:
            await self.checkpoints.close()
        if self._writer is not None:
            writer, self._writer = self._writer, None
            await writer.close()
        await self.engine.dispose()
