"""The server in the bot's process: `[web]` keys and COHORTBOT_WEB_* variables, listening once
started and stopping with the app, nothing at all when disabled, a busy port named in one line;
and erasure and export covering the dashboard's tables."""

from __future__ import annotations

import asyncio
import json
import socket
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import select

from bot.config import load_config
from bot.errors import ConfigError
from storage.models import Attendance, CalendarFeed, WebAudit, WebLoginToken, WebSession
from tests.web.conftest import World
from tests.web.helpers import client, login_link, sign_in, web_bot


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_the_web_keys_from_file_and_environment(tmp_path: Path) -> None:
    default = load_config(None, env={})
    assert (default.web.enabled, default.web.listen, default.web.port) == (True, "127.0.0.1", 8080)
    assert default.web.public_url == "http://127.0.0.1:8080"
    path = tmp_path / "config.toml"
    path.write_text('[web]\nport = 9000\npublic_url = "https://dash.example.org/"\n')
    config = load_config(
        path, env={"COHORTBOT_WEB_ENABLED": "false", "COHORTBOT_WEB_LISTEN": "0.0.0.0"}
    )
    assert not config.web.enabled and config.web.listen == "0.0.0.0" and config.web.port == 9000
    assert config.web.secure and config.web.link("/login/x") == "https://dash.example.org/login/x"
    with pytest.raises(ConfigError, match=r"web\.port"):
        load_config(None, env={"COHORTBOT_WEB_PORT": "70000"})
    with pytest.raises(ConfigError, match=r"web\.public_url"):
        load_config(None, env={"COHORTBOT_WEB_PUBLIC_URL": "dash.example.org"})


async def test_it_listens_once_started_and_stops_with_the_app(
    sqlite_url: str, tmp_path: Path
) -> None:
    from tests.conftest import migrated

    await migrated(sqlite_url)
    port = _free_port()
    bot = await web_bot(sqlite_url, tmp_path, port=port)
    assert bot.app.web is not None
    try:
        with pytest.raises(aiohttp.ClientConnectionError):  # built, not listening
            async with aiohttp.ClientSession() as s:
                await s.get(f"http://127.0.0.1:{port}/")
        await bot.app.web.start()
        async with aiohttp.ClientSession() as s:
            response = await s.get(f"http://127.0.0.1:{port}/")
            assert response.status == 401
        # A second server on the same port: one line naming the key.
        other = await web_bot(sqlite_url, tmp_path / "2", port=port)
        try:
            assert other.app.web is not None
            with pytest.raises(
                ConfigError, match=rf"web\.port: cannot listen on 127\.0\.0\.1:{port}"
            ):
                await other.app.web.start()
        finally:
            await other.close()
    finally:
        await bot.close()
    with pytest.raises(aiohttp.ClientConnectionError):
        async with aiohttp.ClientSession() as s:
            await s.get(f"http://127.0.0.1:{port}/")


async def test_disabled_nothing_is_built_and_the_bot_says_so(db_url: str, tmp_path: Path) -> None:
    bot = await web_bot(db_url, tmp_path, enabled=False)
    try:
        assert bot.app.web is None
        await bot.new_cohort("coord", "Bridges", "UTC")
        assert "not enabled" in await bot.ask("coord", "/dashboard")
        assert "not enabled" in await bot.ask("coord", "/calendar feed")
    finally:
        await bot.close()


async def test_export_and_erasure_cover_the_dashboard_tables(world: World) -> None:
    bot = world.bot
    await bot.send("fac", "/attendance 1 ana")
    await bot.send("ana", "/calendar feed")
    async with client(world.server) as browser:
        await sign_in(bot, browser, "fac")
        await browser.get(f"/c/{world.cohort}/consent")
    await login_link(bot, "fac")
    sent = await bot.send("fac", "/mydata")
    export = next(m for m in sent if m.file)
    data = json.loads(await asyncio.to_thread(Path(export.file or "").read_text))
    text = json.dumps(data)
    for table in ("web_session", "web_login_token", "web_audit", "attendance"):
        assert table in text, table
    assert "token_hash" not in text and "session_hash" not in text
    await bot.send("fac", "/forgetme")
    await bot.send("fac", "1")
    await bot.send("ana", "/forgetme")
    await bot.send("ana", "1")
    async with bot.db.transaction() as db:
        assert not list((await db.execute(select(WebSession))).scalars())
        assert not list((await db.execute(select(WebLoginToken))).scalars())
        assert not list((await db.execute(select(CalendarFeed))).scalars())
        marks = list((await db.execute(select(Attendance))).scalars())
        assert marks == []  # ana's mark is hers
        audit = list((await db.execute(select(WebAudit))).scalars())
        assert audit and all(a.viewer_id is None for a in audit)  # kept, unlinked
