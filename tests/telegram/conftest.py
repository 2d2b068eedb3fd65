"""Fixtures: a FakeTelegram server and the whole bot on PTB against it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.fakes.telegram_api import FakeTelegram, WebhookRetry
from tests.telegram.harness import TelegramBot

# A token of the real shape, so that a leak in the logs would be found by its pattern too.
TOKEN = "7012345678:AAHk2vQm9xZr4TpW8yLb3NcFd6GsJe1UoIq"


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    # What TelegramPlatform.start opts into, set here so that it is undone after each test.
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(
        token=TOKEN, webhook_retry=WebhookRetry(first_delay_seconds=0.01, max_attempts=3)
    ) as server:
        yield server


@pytest.fixture(params=["polling", "webhook"])
async def tg(
    request: pytest.FixtureRequest, fake: FakeTelegram, tmp_path: Path
) -> AsyncIterator[TelegramBot]:
    """The whole bot in polling and in webhook mode."""
    bot = await TelegramBot.start(fake, tmp_path, mode=request.param)
    try:
        yield bot
    finally:
        await bot.close()


@pytest.fixture
async def polling(fake: FakeTelegram, tmp_path: Path) -> AsyncIterator[TelegramBot]:
    bot = await TelegramBot.start(fake, tmp_path, mode="polling")
    try:
        yield bot
    finally:
        await bot.close()
