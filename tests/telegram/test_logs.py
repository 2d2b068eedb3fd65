"""The bot token never reaches the logs, whatever happens in a polling session."""

from __future__ import annotations

import io
import logging
import traceback
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from bot.logsetup import QUIET_LOGGERS, setup_logging
from tests.fakes.telegram_api import FakeTelegram
from tests.telegram.conftest import TOKEN
from tests.telegram.harness import TelegramBot, eventually

ANA = 1001
GROUP = -4001


class RawRecords(logging.Handler):
    """Every record exactly as the code logged it, before any redaction."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        parts = [record.name, record.getMessage()]
        parts += [f"{k}={v}" for k, v in record.__dict__.items() if k not in ("msg", "args")]
        if record.exc_info and record.exc_info[1] is not None:
            parts.append("".join(traceback.format_exception(*record.exc_info)))
        self.lines.append(" ".join(parts))


@pytest.fixture
def logs() -> Iterator[tuple[RawRecords, io.StringIO]]:
    """Production logging (setup_logging at DEBUG), plus a raw capture ahead of every filter."""
    root = logging.getLogger()
    saved = (
        root.level,
        list(root.handlers),
        {n: logging.getLogger(n).level for n in QUIET_LOGGERS},
    )
    stream = io.StringIO()
    setup_logging("DEBUG", [TOKEN], stream)
    raw = RawRecords()
    root.handlers.insert(0, raw)  # first: sees records before a redacting filter rewrites them
    try:
        yield raw, stream
    finally:
        level, handlers, levels = saved
        root.handlers[:] = handlers
        root.setLevel(level)
        for name, value in levels.items():
            logging.getLogger(name).setLevel(value)


async def test_a_polling_session_never_logs_the_token(
    fake: FakeTelegram, tmp_path: Path, logs: tuple[RawRecords, io.StringIO]
) -> None:
    raw, stream = logs
    bot = await TelegramBot.start(fake, tmp_path)
    try:
        fake.add_user(ANA, "Ana", language_code="en")
        fake.send_private(ANA, "/start")
        question = await bot.message(ANA, r"language")
        fake.press_button(ANA, question.message_id, ANA, question.callback_data[0])
        await fake.wait_until(lambda: len(fake.edits) == 1, 15)
        fake.send_group(GROUP, ANA, "/help@cohort_test_bot")
        await bot.count(GROUP, 1)
        # Another client polls with the same token: the bot's long poll ends in 409 Conflict.
        await fake.wait_until(lambda: fake.long_polling, 15)
        async with (
            aiohttp.ClientSession() as session,
            session.post(f"{fake.url}/bot{TOKEN}/getUpdates", json={"timeout": 0}),
        ):
            pass
        fake.block(ANA)
        fake.send_group(GROUP, ANA, "/me")  # answered privately: 403 from the blocked chat
        await fake.wait_until(lambda: any(r.error_code == 403 for r in fake.rejections), 15)

        async def recorded() -> bool:
            return any("send not done" in line for line in raw.lines)

        await eventually(recorded)
        assert bot.platform.publishing is not None
        await bot.platform.publishing
    finally:
        await bot.close()

    logged = "\n".join(raw.lines)
    assert "polling failed" in logged  # the session did go through its error paths
    assert "send not done" in logged
    secret = TOKEN.split(":", 1)[1]
    assert secret not in logged
    assert secret not in stream.getvalue()
    assert "cohort_test_bot" in stream.getvalue()  # the formatted log was written at all
