"""Signing in by the bot: `/dashboard` in chat, the link, the button, the cookie; used, expired
and unknown links; idle expiry; signing out; rate limits; nothing secret stored or logged."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from storage.models import WebLoginToken, WebSession
from tests.web.conftest import World
from tests.web.helpers import (
    TOKEN_FIELD,
    client,
    csrf_of,
    login_link,
    served,
    sign_in,
    web_bot,
)


async def test_the_whole_sign_in_through_the_console(world: World) -> None:
    bot = world.bot
    await bot.send("coord", "/dashboard")
    message = bot.last_text("coord")
    assert "works once, for 15 minutes" in message
    assert "http://127.0.0.1:8080/login/" in message  # [web] public_url
    async with client(world.server) as browser:
        response = await sign_in(bot, browser, "coord")
        assert response.headers["Location"] == "/"
        cookie = response.headers["Set-Cookie"]
        assert cookie.startswith("cohortbot_session=")
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
        assert "Secure" not in cookie  # http: a Secure cookie would never come back
        home = await browser.get("/")
        text = await home.text()
        assert home.status == 200
        assert "Signed in as coord" in text and "Bridges" in text
        assert "Elsewhere" not in text  # only cohorts where coord is staff


async def test_https_makes_the_cookie_secure_and_host_only(db_url: str, tmp_path: Path) -> None:
    bot = await web_bot(db_url, tmp_path, public_url="https://dash.example.org")
    try:
        await bot.new_cohort("coord", "Bridges", "UTC")
        path = await login_link(bot, "coord")
        assert "https://dash.example.org/login/" in bot.last_text("coord")
        async with served(bot) as server, client(server) as browser:
            page = await browser.get(path)
            token = TOKEN_FIELD.search(await page.text())
            assert token
            response = await browser.post(
                "/login", data={"token": token.group(1)}, allow_redirects=False
            )
            cookie = response.headers["Set-Cookie"]
            assert cookie.startswith("__Host-cohortbot_session=")
            assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    finally:
        await bot.close()


async def test_a_link_works_once_and_looking_does_not_spend_it(world: World) -> None:
    path = await login_link(world.bot, "coord")
    async with client(world.server) as first, client(world.server) as second:
        # A chat app's link preview fetches the page: the token survives that.
        for _ in range(2):
            assert (await first.get(path)).status == 200
        token = path.rsplit("/", 1)[1]
        ok = await first.post("/login", data={"token": token}, allow_redirects=False)
        assert ok.status == 303
        again = await second.post("/login", data={"token": token}, allow_redirects=False)
        assert again.status == 410
        assert "Set-Cookie" not in again.headers
        assert "already been used, has expired" in await again.text()
        assert (await second.get("/")).status == 401  # nothing granted
        looked = await second.get(path)
        assert looked.status == 410


async def test_expired_and_unknown_links_grant_nothing_in_the_browsers_language(
    world: World,
) -> None:
    path = await login_link(world.bot, "coord")
    await world.bot.advance(timedelta(minutes=15, seconds=1))
    async with client(world.server) as browser:
        token = path.rsplit("/", 1)[1]
        late = await browser.post(
            "/login", data={"token": token}, headers={"Accept-Language": "es-MX,es;q=0.9"}
        )
        assert late.status == 410
        text = await late.text()
        assert 'lang="es"' in text and "ya se usó, caducó" in text
        unknown = await browser.get("/login/nope", headers={"Accept-Language": "ar"})
        text = await unknown.text()
        assert unknown.status == 410 and 'dir="rtl"' in text and 'lang="ar"' in text
        assert (await browser.get("/")).status == 401


async def test_a_new_link_replaces_the_earlier_one(world: World) -> None:
    first = await login_link(world.bot, "coord")
    second = await login_link(world.bot, "coord")
    async with client(world.server) as browser:
        assert (await browser.get(first)).status == 410
        assert (await browser.get(second)).status == 200


async def test_twelve_idle_hours_end_a_session_and_activity_keeps_it(world: World) -> None:
    bot = world.bot
    async with client(world.server) as browser:
        await sign_in(bot, browser, "coord")
        for _ in range(3):  # 33 hours in all, never 12 idle
            await bot.advance(timedelta(hours=11))
            assert (await browser.get("/")).status == 200
        await bot.advance(timedelta(hours=12, minutes=1))
        response = await browser.get("/")
        assert response.status == 401
        assert "send /dashboard" in await response.text()


async def test_signing_out_needs_the_form_token_and_ends_the_session(world: World) -> None:
    async with client(world.server) as browser:
        await sign_in(world.bot, browser, "coord")
        home = await (await browser.get("/")).text()
        csrf = csrf_of(home)
        refused = await browser.post("/logout", data={"csrf": "0" * 64})
        assert refused.status == 403
        assert (await browser.get("/")).status == 200
        done = await browser.post("/logout", data={"csrf": csrf})
        assert done.status == 200 and "You are signed out" in await done.text()
        assert (await browser.get("/")).status == 401
    async with world.bot.db.transaction() as db:
        rows = list((await db.execute(select(WebSession))).scalars())
        assert rows and all(r.ended_at is not None for r in rows)


async def test_a_stolen_cookie_is_dead_after_sign_out(world: World) -> None:
    async with client(world.server) as browser:
        response = await sign_in(world.bot, browser, "coord")
        value = response.cookies["cohortbot_session"].value
        csrf = csrf_of(await (await browser.get("/")).text())
        await browser.post("/logout", data={"csrf": csrf})
    async with client(world.server) as thief:
        replay = await thief.get("/", cookies={"cohortbot_session": value})
        assert replay.status == 401


async def test_failed_attempts_are_limited_per_client(world: World) -> None:
    path = await login_link(world.bot, "coord")
    async with client(world.server) as browser:
        for attempt in range(10):
            bad = await browser.post("/login", data={"token": f"wrong{attempt}"})
            assert bad.status == 410
        good = await browser.get(path)
        assert good.status == 429
        assert "Too many sign-in attempts" in await good.text()
        await world.bot.advance(timedelta(minutes=10, seconds=1))
        assert (await browser.get(path)).status == 200


async def test_only_staff_get_links_and_in_a_group_the_link_goes_privately(
    world: World,
) -> None:
    bot = world.bot
    reply = await bot.ask("ana", "/dashboard")
    assert "/login/" not in reply
    await bot.send("coord", "/bindchat", chat="room")
    sent = await bot.send("coord", "/dashboard", chat="room")
    assert not any("/login/" in m.text for m in sent if m.to is None)
    assert any("/login/" in m.text for m in sent if m.to == "coord")
    # A facilitator of one cohort gets a link while another cohort is their current one.
    await bot.send("fac", f"/use {world.cohort}")
    assert "/login/" in await bot.ask("fac", "/dashboard")


async def test_links_per_hour_are_limited(world: World) -> None:
    for _ in range(10):
        await login_link(world.bot, "coord")
    reply = await world.bot.ask("coord", "/dashboard")
    assert "/login/" not in reply and "many dashboard links" in reply


async def test_only_hashes_are_stored_and_nothing_secret_is_logged(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    path = await login_link(world.bot, "coord")
    token = path.rsplit("/", 1)[1]
    async with client(world.server) as browser:
        response = await sign_in(world.bot, browser, "coord")
        cookie = response.cookies["cohortbot_session"].value
        await browser.get(f"/c/{world.cohort}/")
    async with world.bot.db.transaction() as db:
        hashes = [t.token_hash for t in (await db.execute(select(WebLoginToken))).scalars()]
        sessions = [s.session_hash for s in (await db.execute(select(WebSession))).scalars()]
    for secret, stored in ((token, hashes), (cookie, sessions)):
        assert secret not in stored and all(len(h) == 64 for h in stored)
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert token not in logged and cookie not in logged
