"""The Telegram path: message texts, names, invite codes and secrets typed by people never reach
the logs, through polling, the pipeline, delivery (text and file uploads) and erasure."""

from __future__ import annotations

import io
import logging
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.logsetup import QUIET_LOGGERS, setup_logging
from tests.fakes.telegram_api import FakeTelegram
from tests.telegram.harness import TelegramBot

TOKEN = "7012345678:AAHk2vQm9xZr4TpW8yLb3NcFd6GsJe1UoIq"
ANA = 424242
NAME = "Anaïs Quillfeather"
FREE_TEXT = "the printing press is in the cellar of the bakery"
PASSWORD = "password=Marzipan-Orbit-99"


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved = (
        root.level,
        list(root.handlers),
        {n: logging.getLogger(n).level for n in QUIET_LOGGERS},
    )
    saved_filters = {h: list(h.filters) for h in root.handlers}
    out = io.StringIO()
    setup_logging("DEBUG", [TOKEN], out)
    try:
        yield out
    finally:
        level, handlers, levels = saved
        root.handlers[:] = handlers
        for h in handlers:
            h.filters[:] = saved_filters[h]
        root.setLevel(level)
        for name, value in levels.items():
            logging.getLogger(name).setLevel(value)


@pytest.fixture
async def telegram(tmp_path: Path) -> AsyncIterator[tuple[FakeTelegram, TelegramBot]]:
    async with FakeTelegram(token=TOKEN) as fake:
        bot = await TelegramBot.start(fake, tmp_path, mode="polling")
        try:
            yield fake, bot
        finally:
            await bot.close()


async def test_what_people_type_on_telegram_never_reaches_the_logs(
    stream: io.StringIO, telegram: tuple[FakeTelegram, TelegramBot]
) -> None:
    fake, bot = telegram
    fake.add_user(ANA, "Anaïs", last_name="Quillfeather", language_code="en")
    fake.add_user(ANA + 1, "Coordinator", language_code="en")
    fake.send_private(ANA + 1, '/newcohort "Harbour Exchange" UTC')
    created = await bot.message(ANA + 1, r"Invite code")
    match = re.search(r"Invite code\W+([A-Z0-9]{6,})", created.text or "")
    assert match, created.text
    code = match.group(1)
    fake.send_private(ANA, f"/join {code}")
    await bot.message(ANA, r"Harbour Exchange")
    fake.send_private(ANA, FREE_TEXT)
    fake.send_private(ANA, f"my {PASSWORD} and the bot's token {TOKEN}")
    fake.send_private(ANA, "/mydata")
    await bot.message(ANA, r"JSON")
    fake.send_private(ANA, "/forgetme")
    await bot.message(ANA, r"Erase everything")
    fake.send_private(ANA, "yes")
    await bot.message(ANA, r"has been erased")

    logged = stream.getvalue()
    assert "logger=" in logged, "nothing was logged at all"
    for secret in (FREE_TEXT, NAME, "Quillfeather", code, "Marzipan-Orbit-99", TOKEN.split(":")[1]):
        assert secret not in logged, f"{secret!r} leaked into the logs"
