"""Through PTB and the fake Bot API: an announcement that names "@someone", posted by the bot in
a cohort's group, pings nobody (Telegram finds no mention in it); the bot's own @name in a hint
stays a mention people can tap."""

from __future__ import annotations

from tests.fakes.telegram_api import FakeTelegram
from tests.telegram.harness import TelegramBot

ANA = 1201
BEA = 1202
GROUP = -4201


async def test_an_announcement_in_a_group_pings_nobody(tg: TelegramBot, fake: FakeTelegram) -> None:
    fake.add_user(ANA, "Ana", language_code="en")
    fake.send_private(ANA, '/newcohort "Harbour Exchange" Europe/Lisbon')
    await tg.message(ANA, r"invite code")
    fake.send_group(GROUP, ANA, "/bindchat", title="Harbour")
    await tg.message(GROUP, r"now linked to Harbour Exchange")
    fake.send_private(ANA, '/announce "Meet @mallory_spy at noon"')
    question = await tg.message(ANA, r"Send it\?")
    fake.press_button(ANA, question.message_id, ANA, question.callback_data[0])
    posted = await tg.message(GROUP, r"Meet .*mallory_spy at noon")
    assert "@\u2060mallory_spy" in (posted.text or "")
    assert [e for e in posted.entities if e.get("type") == "mention"] == []

    fake.send_group(GROUP, BEA, "/me")  # Bea never opened a private chat with the bot
    hint = await tg.message(GROUP, r"Open a private chat with me")
    mentions = [e for e in hint.entities if e.get("type") == "mention"]
    assert len(mentions) == 1  # @cohort_test_bot, a link to the bot
