"""Shared helpers for the dashboard tests: the bot on the console with its web application
served by aiohttp's test server (a real HTTP server on a free port of 127.0.0.1), one client
(with its own cookie jar) per person, and signing in the way people do: `/dashboard` in chat,
then the link."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from aiohttp import ClientResponse, ClientSession, CookieJar
from aiohttp.test_utils import TestServer
from sqlalchemy import select

from bot.config import load_config
from storage.models import Cohort
from tests.conftest import START
from tests.debrief.helpers import answer_all, cohort, session, until_ended
from tests.harness import BotHarness

LINK = re.compile(r"https?://\S+/login/(?P<token>[A-Za-z0-9_-]+)")
LANGS = ("en", "es", "fr", "pt_BR", "ar")
TOKEN_FIELD = re.compile(r'name="token" value="([^"]+)"')
CSRF_FIELD = re.compile(r'name="csrf" value="([0-9a-f]+)"')


async def web_bot(db_url: str, tmp_path: Path, **web: Any) -> BotHarness:
    base = load_config(None, env={})
    config = replace(
        base,
        bot=replace(base.bot, commands_per_minute=100_000),
        web=replace(base.web, **web),
    )
    return await BotHarness.create(db_url, tmp_path, START, config)


@asynccontextmanager
async def served(bot: BotHarness) -> AsyncIterator[TestServer]:
    assert bot.app.web is not None
    server = TestServer(bot.app.web.app)
    await server.start_server()
    try:
        yield server
    finally:
        await server.close()


@asynccontextmanager
async def client(server: TestServer) -> AsyncIterator[ClientSession]:
    """A browser of its own (cookies included) against the shared server."""
    jar = CookieJar(unsafe=True)  # cookies of 127.0.0.1 (aiohttp refuses IP hosts by default)
    async with ClientSession(base_url=f"http://127.0.0.1:{server.port}", cookie_jar=jar) as c:
        yield c


async def login_link(bot: BotHarness, name: str) -> str:
    await bot.send(name, "/dashboard")
    match = LINK.search(bot.last_text(name))
    assert match, bot.last_text(name)
    return urlsplit(match.group(0)).path


async def sign_in(bot: BotHarness, browser: ClientSession, name: str) -> ClientResponse:
    """`/dashboard` in chat, open the link, press the button: the browser is signed in."""
    path = await login_link(bot, name)
    page = await browser.get(path)
    assert page.status == 200, await page.text()
    token = TOKEN_FIELD.search(await page.text())
    assert token, await page.text()
    response = await browser.post("/login", data={"token": token.group(1)}, allow_redirects=False)
    assert response.status == 303, await response.text()
    return response


def csrf_of(html: str) -> str:
    found = CSRF_FIELD.search(html)
    assert found, html
    return found.group(1)


async def program(bot: BotHarness) -> dict[str, int]:
    """A cohort with history: coord (coordinator), fac (facilitator), five participants; a
    session that has ended with a debrief four people answered; a second cohort run by other.
    Returns the two cohorts' ids."""
    await cohort(bot, "ana", "ben", "chen", "dia", "eli", facilitator="fac")
    await bot.send("ana", "/timezone Africa/Lagos")
    await bot.send("ben", "/timezone America/Sao_Paulo")
    await bot.send("chen", "/timezone Asia/Manila")
    await bot.send("dia", "/language ar")
    await session(bot)
    await until_ended(bot)
    for name, rating in (("ana", "5"), ("ben", "4"), ("chen", "4"), ("eli", "3")):
        await answer_all(bot, name, worked="the role play", rating=rating, wellbeing="1")
    reply = await bot.ask("coord", '/addsession "Open space" 2026-12-03 13:00 for 2h recorded')
    if "Scheduled #" not in reply and bot.last("coord").choices:
        await bot.ask("coord", "1")
    await bot.new_cohort("other", "Elsewhere", "Asia/Tokyo")
    async with bot.db.transaction() as db:
        found = await db.execute(select(Cohort.name, Cohort.id))
        return {name: cid for name, cid in found.all()}
