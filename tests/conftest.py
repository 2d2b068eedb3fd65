"""Shared fixtures: a database on each backend (SQLite always; PostgreSQL when
COHORTBOT_TEST_POSTGRES_URL is set, else skipped with the reason shown), and a bot harness."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from storage.engine import Database
from storage.migrate import upgrade
from tests.harness import BotHarness

PG_ENV = "COHORTBOT_TEST_POSTGRES_URL"
START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _asyncpg_url(url: str) -> str:
    parsed = make_url(url)
    return parsed.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def postgres_server() -> str | None:
    url = os.environ.get(PG_ENV)
    return _asyncpg_url(url) if url else None


async def _create_pg_database(server: str) -> str:
    import asyncpg

    name = f"cohortbot_t_{uuid.uuid4().hex[:12]}"
    base = make_url(server)
    conn = await asyncpg.connect(
        host=base.host,
        port=base.port or 5432,
        user=base.username,
        password=base.password,
        database=base.database or "postgres",
    )
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return base.set(database=name).render_as_string(hide_password=False)


async def _drop_pg_database(server: str, url: str) -> None:
    import asyncpg

    base = make_url(server)
    name = make_url(url).database
    conn = await asyncpg.connect(
        host=base.host,
        port=base.port or 5432,
        user=base.username,
        password=base.password,
        database=base.database or "postgres",
    )
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture(params=["sqlite", "postgresql"])
async def db_url(
    request: pytest.FixtureRequest, tmp_path: Path, postgres_server: str | None
) -> AsyncIterator[str]:
    """A fresh, empty database URL on each backend."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
        return
    if postgres_server is None:
        pytest.skip(f"PostgreSQL tests need {PG_ENV} (e.g. postgresql://postgres@127.0.0.1/test)")
    url = await _create_pg_database(postgres_server)
    try:
        yield url
    finally:
        await _drop_pg_database(postgres_server, url)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    """A migrated, empty database on each backend."""
    database = Database(db_url)
    await upgrade(database)
    yield database
    await database.close()


@pytest.fixture
async def bot(db_url: str, tmp_path: Path) -> AsyncIterator[BotHarness]:
    """The whole bot on the console platform with a virtual clock, on each backend."""
    harness = await BotHarness.create(db_url, tmp_path, START)
    try:
        yield harness
    finally:
        await harness.close()
