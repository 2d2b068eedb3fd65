"""Shared fixtures: a database on each backend (SQLite always; PostgreSQL when
COHORTBOT_TEST_POSTGRES_URL is set, else skipped with the reason shown), and a bot harness."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import settings
from sqlalchemy.engine import make_url

from bot.config import load_config
from storage.engine import Database
from storage.migrate import upgrade
from tests.harness import BotHarness

PG_ENV = "COHORTBOT_TEST_POSTGRES_URL"

# Tests never assert wall-clock time: Hypothesis' per-example deadline (200 ms) would fail a
# property test on a loaded machine, so it is off for every test.
settings.register_profile("cohortbot", deadline=None)
settings.load_profile("cohortbot")
START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _asyncpg_url(url: str) -> str:
    parsed = make_url(url)
    return parsed.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def postgres_server() -> str | None:
    url = os.environ.get(PG_ENV)
    return _asyncpg_url(url) if url else None


async def _create_pg_database(server: str, template: str | None = None) -> str:
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
        copy = f' TEMPLATE "{make_url(template).database}"' if template else ""
        await conn.execute(f'CREATE DATABASE "{name}"{copy}')
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


async def migrated(url: str) -> None:
    """Run the migrations on `url` (then close the connections)."""
    database = Database(url)
    try:
        await upgrade(database)
    finally:
        await database.close()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, made once per test process: each test gets a copy (running the
    migration for every test took a tenth of the suite's time)."""
    path = tmp_path_factory.mktemp("template") / "bot.db"
    asyncio.run(migrated(f"sqlite+aiosqlite:///{path}"))
    return path


@pytest.fixture(scope="session")
def postgres_template(postgres_server: str | None) -> Iterator[str | None]:
    """A migrated PostgreSQL database, made once per test process, that each test's database
    is created from (CREATE DATABASE ... TEMPLATE)."""
    if postgres_server is None:
        yield None
        return
    url = asyncio.run(_create_pg_database(postgres_server))
    try:
        asyncio.run(migrated(url))
        yield url
    finally:
        asyncio.run(_drop_pg_database(postgres_server, url))


@pytest.fixture(params=["sqlite", "postgresql"])
async def empty_db_url(
    request: pytest.FixtureRequest, tmp_path: Path, postgres_server: str | None
) -> AsyncIterator[str]:
    """A fresh, empty database URL on each backend (not even migrated)."""
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


@pytest.fixture(params=["sqlite", "postgresql"])
async def db_url(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    postgres_server: str | None,
    sqlite_template: Path,
    postgres_template: str | None,
) -> AsyncIterator[str]:
    """A fresh database URL on each backend: migrated (a copy of the template), no rows."""
    if request.param == "sqlite":
        shutil.copyfile(sqlite_template, tmp_path / "bot.db")
        yield f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
        return
    if postgres_server is None:
        pytest.skip(f"PostgreSQL tests need {PG_ENV} (e.g. postgresql://postgres@127.0.0.1/test)")
    url = await _create_pg_database(postgres_server, postgres_template)
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


@pytest.fixture
async def unhurried_bot(db_url: str, tmp_path: Path) -> AsyncIterator[BotHarness]:
    """`bot` without the per-person command rate limit in the way, for tests that send many
    commands in a row (tests/scheduling and tests/debrief make it their `bot`)."""
    base = load_config(None, env={})
    config = replace(base, bot=replace(base.bot, commands_per_minute=100_000))
    harness = await BotHarness.create(db_url, tmp_path, START, config)
    try:
        yield harness
    finally:
        await harness.close()
