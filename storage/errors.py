"""Storage failures that are nobody's input: the disk is full, the file cannot be written, the
PostgreSQL server went away. A unit of work that meets one is rolled back and raises
`StorageUnavailable`; whoever runs it keeps its work and tries again once the cause is gone,
instead of treating it as a problem of the update, the job or the message in hand."""

from __future__ import annotations

import errno
import sqlite3

from sqlalchemy.exc import DBAPIError

# SQLite's primary result codes (the low byte of an extended code) that say the storage, not
# the statement, failed.
_SQLITE_CAUSES = {
    5: "the database is locked by another process",  # SQLITE_BUSY, after the busy timeout
    6: "the database is locked",  # SQLITE_LOCKED
    7: "out of memory",  # SQLITE_NOMEM
    8: "the database is read-only",  # SQLITE_READONLY
    10: "disk I/O error",  # SQLITE_IOERR
    11: "the database file is damaged",  # SQLITE_CORRUPT
    13: "the disk is full",  # SQLITE_FULL
    14: "the database file cannot be opened",  # SQLITE_CANTOPEN
    15: "the database is locked",  # SQLITE_PROTOCOL
    26: "the database file is damaged",  # SQLITE_NOTADB
}
# PostgreSQL SQLSTATE classes (first two characters) that are about the server or connection.
_PG_CLASSES = {
    "08": "the connection to PostgreSQL was lost",
    "53": "PostgreSQL is out of resources (disk, memory or connections)",
    "57": "PostgreSQL is shutting down or starting",
    "58": "PostgreSQL reported a system error",
}
_OS_CAUSES = {
    errno.ENOSPC: "the disk is full",
    errno.EIO: "disk I/O error",
    errno.EROFS: "the file system is read-only",
    errno.EDQUOT: "the disk quota is exceeded",
}


class StorageUnavailable(Exception):
    """The storage failed for a reason named in `cause` (one short line, no data in it)."""

    def __init__(self, cause: str) -> None:
        super().__init__(cause)
        self.cause = cause


def storage_problem(error: BaseException) -> str | None:
    """The cause, when `error` (or what it wraps) is a failure of the storage itself."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        cause = _direct_cause(current)
        if cause is not None:
            return cause
        if isinstance(current, DBAPIError):
            current = current.orig
        else:
            current = current.__cause__ or current.__context__
    return None


def _direct_cause(error: BaseException) -> str | None:
    if isinstance(error, StorageUnavailable):
        return error.cause
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return "the connection to the database was lost"
    if isinstance(error, sqlite3.Error):
        code = getattr(error, "sqlite_errorcode", None)
        if isinstance(code, int):
            return _SQLITE_CAUSES.get(code & 0xFF)
        text = str(error).lower()
        if "disk is full" in text:
            return _SQLITE_CAUSES[13]
        if "disk i/o" in text:
            return _SQLITE_CAUSES[10]
        return None
    sqlstate = getattr(error, "sqlstate", None)
    if isinstance(sqlstate, str) and len(sqlstate) == 5:
        return _PG_CLASSES.get(sqlstate[:2])
    if type(error).__name__ in ("ConnectionDoesNotExistError", "InterfaceError") and (
        "connection" in str(error).lower() and "closed" in str(error).lower()
    ):
        return "the connection to the database was lost"
    if isinstance(error, ConnectionError):
        return "the database server cannot be reached"
    if isinstance(error, OSError) and error.errno in _OS_CAUSES:
        return _OS_CAUSES[error.errno]
    return None
