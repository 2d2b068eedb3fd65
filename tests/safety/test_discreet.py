"""Discreet mode: through PTB and the fake Bot API, messages of a discreet cohort go out with
protect_content; on the console (both backends), notifications name neither the program nor
the session, and the flag is the coordinators' to set."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from storage.models import OutboxMessage
from tests.fakes.telegram_api import FakeTelegram
from tests.harness import BotHarness
from tests.safety.helpers import cohort_with
from tests.telegram.harness import TelegramBot

TOKEN = "7012345678:AAHk2vQm9xZr4TpW8yLb3NcFd6GsJe1UoIq"
COORD, ANA = 2001, 2002


@pytest.fixture
async def fake(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeTelegram]:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    async with FakeTelegram(token=TOKEN) as server:
        yield server


@pytest.fixture
async def tg(fake: FakeTelegram, tmp_path: Path) -> AsyncIterator[TelegramBot]:
    bot = await TelegramBot.start(fake, tmp_path, mode="polling")
    try:
        yield bot
    finally:
        await bot.close()


async def test_telegram_gets_protect_content_only_in_discreet_mode(
    tg: TelegramBot, fake: FakeTelegram
) -> None:
    fake.add_user(COORD, "Coord", language_code="en")
    fake.add_user(ANA, "Ana", language_code="en")
    fake.send_private(COORD, '/newcohort "Exchange" UTC')
    created = await tg.message(COORD, r"code")
    assert created.protect_content is False
    code = re.search(r"/join ([A-Z0-9]{6,})", created.text or "")
    assert code, created.text
    fake.send_private(ANA, f"/join {code.group(1)}")
    joined = await tg.message(ANA, r"Exchange")
    assert joined.protect_content is False
    fake.send_private(COORD, "/discreet on")
    on = await tg.message(COORD, r"Discreet mode is on")
    assert on.protect_content is True
    fake.send_private(COORD, "/safetycheck")
    asked = await tg.message(ANA, r"are you safe\?")
    assert asked.protect_content is True
    assert "Exchange" not in (asked.text or "")  # "Safety check from your group"


async def test_notifications_name_neither_program_nor_session(bot: BotHarness) -> None:
    await cohort_with(bot, "ana")
    reply = await bot.ask("ana", "/discreet on")
    assert "You can't use /discreet as participant" in reply
    assert "Discreet mode is off for Exchange" in await bot.ask("coord", "/discreet")
    assert "Discreet mode is on for Exchange" in await bot.ask("coord", "/discreet on")
    assert "Write /discreet on or /discreet off" in await bot.ask("coord", "/discreet maybe")
    await bot.send("coord", '/addsession "Protest safety training" 2026-12-03 15:00 UTC')
    await bot.send("coord", '/announce "Bring water"')
    await bot.send("coord", "Send")
    announced = [m.text for m in bot.to("ana") if "Bring water" in m.text]
    assert announced and "Exchange" not in announced[0] and "your group" in announced[0]
    await bot.advance(timedelta(days=2, hours=5))  # past the 24 h reminder
    reminders = [m.text for m in bot.to("ana") if "your next meeting" in m.text]
    assert reminders and all("Protest" not in text for text in reminders)
    seen = len(bot.to("ana"))
    await bot.advance(timedelta(hours=4))  # the session has ended: the debrief asks
    debrief = [m.text for m in bot.to("ana")[seen:] if "debrief" in m.text.lower()]
    assert debrief and all("Protest" not in text for text in debrief)
    async with bot.db.transaction() as session:
        rows = (await session.execute(select(OutboxMessage))).scalars().all()
        to_ana = [r for r in rows if r.chat_id == "ana" and r.created_at > rows[0].created_at]
        assert to_ana and any(r.protect for r in to_ana)
    assert "Discreet mode is off for Exchange" in await bot.ask("coord", "/discreet off")
