"""End to end through PTB and the fake Bot API server, in polling and webhook mode: what
Telegram users see in private chats and groups."""

from __future__ import annotations

import re
from pathlib import Path

from tests.fakes.telegram_api import FakeTelegram
from tests.telegram.harness import TelegramBot, eventually

ANA = 1001
BEA = 1002
GROUP = -4001


async def test_start_shows_language_buttons_and_a_press_answers_them(
    tg: TelegramBot, fake: FakeTelegram
) -> None:
    fake.add_user(ANA, "Ana", language_code="en", last_name="Silva")
    fake.send_private(ANA, "/start")
    question = await tg.message(ANA, r"language")
    assert question.button_texts[:2] == ["English", "español"]
    data = question.callback_data[1]
    assert re.fullmatch(r"q\d+\.[A-Za-z0-9]{8}:es", data)

    before = len(fake.messages_to(ANA))
    fake.press_button(ANA, question.message_id, ANA, data)
    await tg.message(ANA, r"español", skip=before)  # the bot now speaks Spanish
    await fake.wait_until(lambda: len(fake.callback_answers) == 1 and len(fake.edits) == 1)
    shown = fake.message(ANA, question.message_id)
    assert shown is not None
    assert shown["text"] == f"{question.text}\n\n✓ español"
    assert "reply_markup" not in shown  # the keyboard is gone
    identity = await tg.identity(ANA)
    assert identity is not None
    assert identity.display_name == "Ana Silva"
    assert identity.private_chat_id == str(ANA)


async def test_typing_the_number_of_a_choice_works_like_the_button(
    tg: TelegramBot, fake: FakeTelegram
) -> None:
    fake.add_user(ANA, "Ana", language_code="en")
    fake.send_private(ANA, "/start")
    await tg.message(ANA, r"language")
    before = len(fake.messages_to(ANA))
    fake.send_private(ANA, "3")
    await tg.message(ANA, r"français", skip=before)
    assert fake.callback_answers == []


async def test_language_of_the_telegram_app_is_the_first_guess(
    tg: TelegramBot, fake: FakeTelegram
) -> None:
    fake.add_user(BEA, "Beatriz", language_code="pt-br")
    fake.send_private(BEA, "/help")
    await tg.message(BEA, r"/start")
    from bot.i18n import Catalogs

    expected = Catalogs(("en", "pt_BR")).translator("pt_BR").t("help.cmd.start")
    await tg.message(BEA, re.escape(expected))


async def test_commands_in_a_group_name_the_bot_and_are_answered_there(
    tg: TelegramBot, fake: FakeTelegram
) -> None:
    fake.send_group(GROUP, ANA, "/help@cohort_test_bot", title="Spring Exchange")
    reply = await tg.message(GROUP, r"/start")
    assert reply.chat_id == GROUP
    assert fake.messages_to(ANA) == []


async def test_in_a_group_the_bot_ignores_chatter_and_commands_for_other_bots(
    tg: TelegramBot, fake: FakeTelegram
) -> None:
    fake.send_group(GROUP, ANA, "/help", title="Spring Exchange")
    await tg.count(GROUP, 1)
    # As an administrator the bot receives every message of the group, privacy mode or not.
    fake.set_member_status(GROUP, fake.bot_id, "administrator")
    fake.send_group(GROUP, BEA, "good morning everyone")
    fake.send_group(GROUP, BEA, "/help@other_bot")
    fake.send_group(GROUP, ANA, "/help@Cohort_Test_Bot")
    replies = await tg.count(GROUP, 2)
    assert len(replies) == 2
    assert await tg.identity(BEA) is None  # nothing of Bea reached the core
    assert await tg.processed_updates() == 2


async def test_a_personal_command_in_a_group_asks_to_start_the_bot_privately(
    tg: TelegramBot, fake: FakeTelegram
) -> None:
    fake.send_group(GROUP, BEA, "/me", title="Spring Exchange")
    reply = await tg.message(GROUP, r"privately")
    assert "@cohort_test_bot" in (reply.text or "")
    assert fake.messages_to(BEA) == []


async def test_a_deep_link_start_code_joins_the_cohort(tg: TelegramBot, fake: FakeTelegram) -> None:
    fake.add_user(ANA, "Ana", language_code="en")
    fake.send_private(ANA, '/newcohort "Spring Exchange" Europe/Berlin')
    created = await tg.message(ANA, r"invite code")
    match = re.search(r"code[: ]+([A-Z0-9]{6,})", created.text or "", re.IGNORECASE)
    assert match is not None, created.text
    # The invitation carries the link that opens the bot with the code.
    assert f"https://t.me/cohort_test_bot?start={match.group(1)}" in (created.text or "")

    fake.add_user(BEA, "Bea", language_code="en")
    fake.send_private(BEA, f"/start {match.group(1)}")  # what t.me/<bot>?start=CODE sends
    await tg.message(BEA, r"Welcome to Spring Exchange")
    await tg.message(BEA, r"language")  # then onboarding goes on


async def test_a_redelivered_update_is_processed_once(tg: TelegramBot, fake: FakeTelegram) -> None:
    fake.add_user(ANA, "Ana", language_code="en")
    update = fake.send_private(ANA, "/help")
    await tg.count(ANA, 1)
    fake.resend_update(update)  # Telegram sends it again, e.g. after a crash
    fake.send_private(ANA, "/me")
    replies = await tg.count(ANA, 2)
    await tg.fake.wait_until(lambda: not fake.pending_updates)
    assert len(replies) == 2  # one answer to /help, one to /me
    assert "/start" in (replies[0].text or "")
    assert "/start" not in (replies[1].text or "")


async def test_buttons_and_blocking_on_each_database(
    db_url: str, fake: FakeTelegram, tmp_path: Path
) -> None:
    bot = await TelegramBot.start(fake, tmp_path, db_url=db_url)
    try:
        fake.add_user(ANA, "Ana", language_code="en")
        fake.send_private(ANA, "/start")
        question = await bot.message(ANA, r"language")
        before = len(fake.messages_to(ANA))
        fake.press_button(ANA, question.message_id, ANA, question.callback_data[2])
        await bot.message(ANA, r"français", skip=before)
        fake.block(ANA)

        async def unreachable() -> bool:
            identity = await bot.identity(ANA)
            return identity is not None and not identity.reachable

        await eventually(unreachable)
    finally:
        await bot.close()


async def test_the_privacy_notice_says_telegram_chats_are_not_end_to_end_encrypted(
    tg: TelegramBot, fake: FakeTelegram
) -> None:
    fake.add_user(ANA, "Ana", language_code="en")
    fake.send_private(ANA, "/start")
    await tg.message(ANA, r"language")
    fake.send_private(ANA, "1")
    await tg.message(ANA, r"time zone")
    fake.send_private(ANA, "Berlin")
    notice = await tg.message(ANA, r"About your data")
    assert "Telegram chats with bots are not end-to-end encrypted." in (notice.text or "")
    assert "Matrix" not in (notice.text or "")
