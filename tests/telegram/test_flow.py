"""End to end through PTB and the fake Bot API server: what a Telegram user sees."""

from __future__ import annotations

from tests.fakes.telegram_api import FakeTelegram
from tests.telegram.harness import TelegramBot

ANA = 1001


async def test_start_shows_language_buttons_and_a_press_answers_them(
    tg: TelegramBot, fake: FakeTelegram
) -> None:
    fake.add_user(ANA, "Ana", language_code="en", last_name="Silva")
    fake.send_private(ANA, "/start")
    question = await tg.message(ANA, r"language")
    assert "español" in question.button_texts
    data = question.callback_data[question.button_texts.index("español")]
    assert data.startswith("q")

    fake.press_button(ANA, question.message_id, ANA, data)
    await tg.message(ANA, r"español", skip=len(fake.messages_to(ANA)))
    await fake.wait_until(lambda: len(fake.callback_answers) == 1 and len(fake.edits) == 1)
    shown = fake.message(ANA, question.message_id)
    assert shown is not None
    assert shown["text"].endswith("\n\n✓ español")
    assert "reply_markup" not in shown
