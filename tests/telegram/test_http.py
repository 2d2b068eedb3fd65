"""PTB's transport on aiohttp: answers come back as they are, a network failure or a timeout
becomes PTB's own error without the URL (which holds the token), and the adapter turns both
into "try again later"."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from telegram.error import BadRequest, NetworkError, TimedOut
from telegram.request import RequestData

from bot.adapters.telegram import TelegramPlatform
from bot.adapters.telegram.http import AiohttpRequest
from bot.clock import SystemClock
from bot.config import TelegramConfig
from bot.messages import Address, Outbound, SendStatus
from tests.fakes.telegram_api import FakeTelegram
from tests.telegram.harness import free_port

SECRET = "7012345678:AAHk2vQm9xZr4TpW8yLb3NcFd6GsJe1UoIq"


@pytest.fixture
async def server() -> AsyncIterator[tuple[str, asyncio.Event, list[dict[str, str]]]]:
    """A server that answers /ok, never answers /hang, and records the forms it was sent."""
    release = asyncio.Event()
    forms: list[dict[str, str]] = []

    async def ok(request: web.Request) -> web.Response:
        forms.append({k: str(v) for k, v in (await request.post()).items()})
        return web.json_response({"ok": True, "result": {"message_id": 7}})

    async def refused(_request: web.Request) -> web.Response:
        return web.json_response(
            {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"},
            status=400,
        )

    async def hang(_request: web.Request) -> web.Response:
        await release.wait()
        return web.json_response({"ok": True, "result": True})

    app = web.Application()
    app.router.add_post("/ok", ok)
    app.router.add_post("/refused", refused)
    app.router.add_post("/hang/{token}", hang)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    try:
        yield f"http://127.0.0.1:{port}", release, forms
    finally:
        release.set()
        await runner.cleanup()


async def test_answers_and_error_answers_come_back_through_ptb(
    server: tuple[str, asyncio.Event, list[dict[str, str]]],
) -> None:
    url, _release, forms = server
    request = AiohttpRequest()
    await request.initialize()
    try:
        data = RequestData()
        result = await request.post(f"{url}/ok", data)
        assert result == {"message_id": 7}
        with pytest.raises(BadRequest, match=r"(?i)chat not found"):
            await request.post(f"{url}/refused", RequestData())
    finally:
        await request.shutdown()
    assert forms == [{}]


async def test_a_server_that_does_not_answer_in_time_is_a_timeout(
    server: tuple[str, asyncio.Event, list[dict[str, str]]],
) -> None:
    url, _release, _forms = server
    request = AiohttpRequest(read_timeout=0.2, write_timeout=0.0)
    await request.initialize()
    try:
        with pytest.raises(TimedOut):
            await request.post(f"{url}/hang/{SECRET}")
    finally:
        await request.shutdown()


async def test_a_network_failure_names_neither_the_url_nor_the_token() -> None:
    request = AiohttpRequest()
    await request.initialize()
    try:
        with pytest.raises(NetworkError) as raised:
            await request.post(f"http://127.0.0.1:{free_port()}/bot{SECRET}/sendMessage")
    finally:
        await request.shutdown()
    assert "aiohttp." in str(raised.value)
    assert SECRET not in str(raised.value) and "127.0.0.1" not in str(raised.value)


async def test_a_send_while_the_bot_api_is_unreachable_is_tried_again_later(
    fake: FakeTelegram,
) -> None:
    config = TelegramConfig(token=fake.token, base_url=fake.url)
    platform = TelegramPlatform(config, SystemClock(), _NoState())

    async def ignore(_inbound: object) -> None:
        return None

    await platform.start(ignore)
    try:
        fake.add_user(1001, "Ana")
        fake.send_private(1001, "/start")
        await fake.stop()  # the Bot API goes away
        result = await platform.send(Outbound(Address("telegram", "1001"), "Hi", key="k:1"))
        assert result.status is SendStatus.TRANSIENT
        assert result.reason == "NetworkError"
    finally:
        await platform.stop()


class _NoState:
    async def get(self, namespace: str, key: str) -> str | None:
        return None

    async def put(self, namespace: str, key: str, value: str) -> None:
        return None
