"""When the storage fails (a full disk, a PostgreSQL server that went away), the bot neither
drops the update in hand nor stays deaf: the unit is rolled back, the writer connection reset,
and the same update is handled again, once, as soon as the storage works. The log says what is
wrong once, and once that it works again, however many tries it took."""

from __future__ import annotations

import logging
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import make_url

from storage.errors import StorageUnavailable
from tests.conftest import PG_ENV, START, _create_pg_database, _drop_pg_database
from tests.fakes.tcp_proxy import TcpProxy
from tests.harness import BotHarness


class Outage:
    """Stands in for the pauses between tries: counts them, and ends the outage (by `fix`)
    at the `after`-th."""

    def __init__(self, fix: Any, after: int = 3) -> None:
        self.fix = fix
        self.after = after
        self.pauses: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.pauses.append(seconds)
        if len(self.pauses) == self.after:
            await self.fix()


def health_lines(caplog: pytest.LogCaptureFixture) -> tuple[list[str], list[str]]:
    messages = [r.getMessage() for r in caplog.records if r.name == "bot.health"]
    down = [m for m in messages if m.startswith("storage unavailable")]
    up = [m for m in messages if m.startswith("storage works again")]
    return down, up


async def test_a_full_disk_keeps_the_update_and_recovers_by_itself(
    tmp_path: Path, sqlite_template: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "bot.db"
    shutil.copyfile(sqlite_template, path)
    bot = await BotHarness.create(f"sqlite+aiosqlite:///{path}", tmp_path, START)
    runtime = bot.app.runtime
    full = {"on": True}

    def no_room_left(dbapi_connection: Any, _record: Any) -> None:
        # The database may not grow by a page: what SQLite reports on a full disk.
        if full["on"]:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA page_count")
            pages = cursor.fetchone()[0]
            cursor.execute(f"PRAGMA max_page_count={pages}")
            cursor.close()

    async def free_space() -> None:
        full["on"] = False

    try:
        await bot.ask("ana", "/timezone Nairobi")
        event.listen(bot.db.engine.sync_engine, "connect", no_room_left)
        async with bot.db.core() as conn:  # the writer held open gets the limit too
            pages = (await conn.exec_driver_sql("PRAGMA page_count")).scalar_one()
            await conn.exec_driver_sql(f"PRAGMA max_page_count={pages}")
        outage = Outage(free_space)
        runtime.pause = outage
        runtime.keep_through_outages = True
        with caplog.at_level(logging.WARNING):
            for n in range(300):  # new people until one update needs a page the disk lacks
                await runtime.handle(bot.console.inbound(f"p{n}", "/timezone Asia/Tokyo"))
                if outage.pauses:
                    break
        assert outage.pauses, "the database never filled up"
        assert outage.pauses[:3] == [0.5, 1.0, 2.0]  # growing pauses between tries
        await runtime.settle()

        held = f"p{n}"  # the update that met the full disk was kept and handled once
        assert len(bot.to(held)) == 1 and "Asia/Tokyo" in bot.last_text(held)
        down, up = health_lines(caplog)
        assert down == ["storage unavailable: the disk is full; retrying until it works"]
        assert len(up) == 1
        # No connection was left inside a transaction: everyone goes on.
        assert "Africa/Lagos" in await bot.ask("bo", "/timezone Africa/Lagos")
        assert "Nairobi" in await bot.ask("ana", "/me")
    finally:
        await bot.close()


async def test_outside_serving_a_storage_failure_is_reported_not_retried(
    tmp_path: Path, sqlite_template: Path
) -> None:
    """The console and scenarios (virtual time) stop with the cause instead of waiting."""
    path = tmp_path / "bot.db"
    shutil.copyfile(sqlite_template, path)
    bot = await BotHarness.create(f"sqlite+aiosqlite:///{path}", tmp_path, START)
    try:
        await bot.ask("ana", "/help")
        path.chmod(0o444)
        event.listen(
            bot.db.engine.sync_engine,
            "connect",
            lambda conn, _r: conn.cursor().execute("PRAGMA query_only=1"),
        )
        async with bot.db.core() as conn:
            await conn.exec_driver_sql("PRAGMA query_only=1")
        with pytest.raises(StorageUnavailable, match="read-only"):
            await bot.app.runtime.handle(bot.console.inbound("bo", "/timezone Asia/Tokyo"))
    finally:
        path.chmod(0o644)
        await bot.close()


@pytest.fixture
async def proxied_postgres(
    postgres_server: str | None, postgres_template: str | None
) -> AsyncIterator[tuple[str, TcpProxy]]:
    """A fresh PostgreSQL database reached through a proxy that a test can cut."""
    if postgres_server is None or postgres_template is None:
        pytest.skip(f"PostgreSQL tests need {PG_ENV} (e.g. postgresql://postgres@127.0.0.1/test)")
    server = postgres_server
    url = await _create_pg_database(server, postgres_template)
    parsed = make_url(url)
    proxy = TcpProxy(parsed.host or "127.0.0.1", parsed.port or 5432)
    port = await proxy.start()
    try:
        yield parsed.set(port=port).render_as_string(hide_password=False), proxy
    finally:
        await proxy.close()
        await _drop_pg_database(server, url)


async def test_a_lost_postgresql_keeps_the_update_and_recovers_by_itself(
    proxied_postgres: tuple[str, TcpProxy], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url, proxy = proxied_postgres
    bot = await BotHarness.create(url, tmp_path, START)
    runtime = bot.app.runtime
    try:
        await bot.ask("ana", "/timezone Nairobi")
        await proxy.cut()
        outage = Outage(proxy.restore)
        runtime.pause = outage
        runtime.keep_through_outages = True
        with caplog.at_level(logging.WARNING):
            await runtime.handle(bot.console.inbound("bo", "/timezone Asia/Tokyo"))
        await runtime.settle()

        assert len(outage.pauses) == 3  # refused until the server was back
        assert len(bot.to("bo")) == 1 and "Asia/Tokyo" in bot.last_text("bo")
        down, up = health_lines(caplog)
        assert len(down) == 1 and ("cannot be reached" in down[0] or "lost" in down[0])
        assert len(up) == 1
        assert "Nairobi" in await bot.ask("ana", "/me")
    finally:
        await bot.close()
