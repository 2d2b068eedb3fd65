"""The bot's files are its own: the SQLite database and what SQLite creates beside it (WAL,
SHM, journal) are readable and writable by the bot's user only. The database file is created
0600 before SQLite opens it (SQLite gives its WAL, SHM and journal the database file's mode),
and files found looser are tightened."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")


def tighten(path: Path, mode: int = PRIVATE_FILE) -> None:
    """Take away what group and others may do with `path`, if it exists and is ours (the
    owner's own permissions stay within `mode`: a read-only database stays read-only)."""
    with contextlib.suppress(FileNotFoundError, PermissionError):
        current = path.stat().st_mode & 0o777
        if current & 0o077:
            path.chmod(current & mode)


def create_private(path: Path) -> None:
    """Create `path` empty and 0600 unless it exists (before anyone writes a byte to it)."""
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, PRIVATE_FILE)
    except FileExistsError:
        return
    os.close(fd)


def private_sqlite_files(path: Path) -> None:
    """Before SQLite opens the database at `path`: the file exists with mode 0600, and the
    files SQLite keeps beside it, if any, are 0600 too."""
    create_private(path)
    tighten(path)
    for suffix in SQLITE_COMPANIONS:
        tighten(path.with_name(path.name + suffix))


def write_private(path: Path, content: bytes) -> None:
    """Write a new file that only the bot's user may read (an export, a calendar)."""
    fd = os.open(path, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, PRIVATE_FILE)
    with os.fdopen(fd, "wb") as out:
        out.write(content)
    tighten(path)


def private_dir(path: Path) -> None:
    """`path` (and missing parents) as a directory only the bot's user may enter."""
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
    tighten(path, PRIVATE_DIR)
