"""Webhook mode: PTB's webhook server behind the secret token."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from tests.fakes.telegram_api import FakeTelegram
from tests.telegram.harness import WEBHOOK_SECRET, TelegramBot

ANA = 1001
MALLORY = 6666


def _forged_update(update_id: int) -> dict[str, object]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": 1,
            "date": 1_800_000_000,
            "chat": {"id": MALLORY, "type": "private", "first_name": "Mallory"},
            "from": {"id": MALLORY, "is_bot": False, "first_name": "Mallory"},
            "text": "/newcohort Forged",
            "entities": [{"type": "bot_command", "offset": 0, "length": 10}],
        },
    }


@pytest.fixture
async def webhook(fake: FakeTelegram, tmp_path: Path) -> AsyncIterator[TelegramBot]:
    bot = await TelegramBot.start(fake, tmp_path, mode="webhook")
    try:
        yield bot
    finally:
        await bot.close()


async def test_the_webhook_is_registered_with_the_secret(
    webhook: TelegramBot, fake: FakeTelegram
) -> None:
    assert fake.webhook_url == webhook.platform.config.url
    assert webhook.platform.webhook_secret == WEBHOOK_SECRET
    fake.send_private(ANA, "/help")  # delivered by the fake with the secret header
    await webhook.count(ANA, 1)
    assert fake.webhook_failures == 0


@pytest.mark.parametrize("header", [None, "wrong-secret", WEBHOOK_SECRET + "x"])
async def test_without_the_right_secret_token_nothing_happens(
    webhook: TelegramBot, fake: FakeTelegram, header: str | None
) -> None:
    status, _body = await _post(webhook, _forged_update(900_001), header)
    assert status == 403
    # A real update afterwards is answered; the forged one before it never was.
    fake.add_user(ANA, "Ana", language_code="en")
    fake.send_private(ANA, "/help")
    await webhook.count(ANA, 1)
    assert await webhook.processed_updates() == 1
    assert await webhook.identity(MALLORY) is None
    assert fake.messages_to(MALLORY) == []


async def test_a_generated_secret_protects_the_webhook_when_none_is_configured(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    bot = await TelegramBot.start(fake, tmp_path, mode="webhook", secret_token="")
    try:
        secret = bot.platform.webhook_secret
        assert secret and len(secret) >= 32
        status, _body = await _post(bot, _forged_update(900_002), None)
        assert status == 403
        fake.send_private(ANA, "/help")
        await bot.count(ANA, 1)
    finally:
        await bot.close()


async def test_an_unreadable_update_is_one_warning_without_its_content(
    webhook: TelegramBot, fake: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    """JSON that is not an Update (here a message without id, date or chat): PTB answers 400;
    the log has one WARNING line with the error's type, not the update's text or sender."""
    update = {
        "update_id": 900_003,
        "message": {"text": "meet at the safehouse", "from": {"first_name": "Amira Haddad"}},
    }
    with caplog.at_level(logging.INFO):
        status, _body = await _post(webhook, update, WEBHOOK_SECRET)
    assert status == 400
    unreadable = [r for r in caplog.records if "could not be read" in r.getMessage()]
    assert [r.levelno for r in unreadable] == [logging.WARNING]
    assert getattr(unreadable[0], "error", None) == "TypeError"
    assert all(r.levelno < logging.CRITICAL for r in caplog.records)
    assert "safehouse" not in caplog.text and "Amira" not in caplog.text
    assert "Traceback" not in caplog.text
    fake.add_user(ANA, "Ana", language_code="en")  # and the bot goes on
    fake.send_private(ANA, "/help")
    await webhook.count(ANA, 1)


async def _post(bot: TelegramBot, update: object, secret: str | None) -> tuple[int, str]:
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
    async with (
        aiohttp.ClientSession() as session,
        session.post(bot.platform.config.url, json=update, headers=headers) as response,
    ):
        return response.status, await response.text()
