"""The privacy notice says what the chat itself protects only on the platform it is true of."""

from __future__ import annotations

import pytest

from bot.i18n import Catalogs
from handlers.onboarding.flow import privacy_notice
from tests.harness import BotHarness

LANGUAGES = ("en", "es", "fr", "pt_BR", "ar")
TELEGRAM = {
    "en": "Telegram chats with bots are not end-to-end encrypted",
    "es": "Los chats de Telegram con bots no tienen cifrado",
    "fr": "Sur Telegram, les conversations avec les bots",
    "pt_BR": "No Telegram, as conversas com bots",
    "ar": "محادثات تيليغرام مع البوتات",
}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_each_platform_reads_its_own_line(lang: str) -> None:
    tr = Catalogs(LANGUAGES).translator(lang)
    on_telegram = privacy_notice(tr, "telegram")
    on_matrix = privacy_notice(tr, "matrix")
    on_console = privacy_notice(tr, "console")
    assert TELEGRAM[lang] in on_telegram
    assert TELEGRAM[lang] not in on_matrix and TELEGRAM[lang] not in on_console
    assert on_matrix.startswith(on_console) and len(on_matrix) > len(on_console)
    assert on_telegram.startswith(on_console)
    assert "/mydata" in on_console and "/forgetme" in on_console


async def test_the_console_notice_names_no_chat_platform(bot: BotHarness) -> None:
    code = await bot.new_cohort("coord", "Bridges", "Europe/Berlin")
    await bot.send("ana", f"/start {code}")
    await bot.send("ana", "1")
    notice = await bot.ask("ana", "Berlin")
    assert "I never store the text of your messages" in notice
    assert "Telegram" not in notice and "Matrix" not in notice
