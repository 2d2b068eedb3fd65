"""Start-up problems an operator can fix (a database that cannot be reached, created or
written), each as one line naming the key, with exit status 2: `config error: storage.url:
...`, as for a malformed configuration. Never a traceback, never a bot that runs but cannot
store anything."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from alembic.util import CommandError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from bot.errors import ConfigError
from storage.engine import Database, sqlite_path
from storage.migrate import upgrade

KEY = "storage.url"


def _writable(path: Path) -> bool:
    """Writable by this process, and not marked read-only by its owner (root may write
    anything; a file its owner made read-only is still not meant to be written)."""
    return os.access(path, os.W_OK) and bool(path.stat().st_mode & stat.S_IWUSR)


def check_sqlite_location(url: str) -> None:
    """The SQLite database can be created (its folder is a writable directory) and, if it
    exists, written (SQLite also writes its WAL and SHM files beside it)."""
    path = sqlite_path(url)
    if path is None:
        return
    path = path.expanduser()
    if path.is_dir():
        raise ConfigError(KEY, f"{path} is a directory, not a database file")
    folder = path.parent if str(path.parent) else Path()
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise ConfigError(KEY, f"cannot create {folder}: {existing} is not a directory")
    if not _writable(existing):
        raise ConfigError(KEY, f"cannot create files in {existing} (permission denied)")
    if path.exists() and not _writable(path):
        raise ConfigError(KEY, f"the database {path} is read-only")


def describe(error: BaseException, url: str) -> str:
    """One line about why the database could not be opened, without the URL's password."""
    cause: BaseException = getattr(error, "orig", None) or error
    text = " ".join(str(cause).split()) or type(cause).__name__
    password = make_url(url).password
    if password:
        text = text.replace(str(password), "***")
    return text[:300]


async def open_database(url: str) -> Database:
    """The database, migrated; a problem with it is a ConfigError naming storage.url."""
    check_sqlite_location(url)
    db: Database | None = None
    try:
        db = Database(url)
        await upgrade(db)
    except (OSError, SQLAlchemyError, CommandError) as error:
        if db is not None:
            await _close_quietly(db)
        raise ConfigError(KEY, f"cannot open the database ({describe(error, url)})") from None
    return db


async def _close_quietly(db: Database) -> None:
    try:
        await db.close()
    except (OSError, SQLAlchemyError):  # it never opened; nothing to close cleanly
        pass
