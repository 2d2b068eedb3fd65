"""The old-button attack through python-telegram-bot and the fake Bot API, on each database: a
coordinator asks to close the cohort, then to erase their data, then presses the old "Yes, close
it". The press is answered as expired; nobody is erased and nothing is closed."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import select

from storage.models import Cohort
from tests.fakes.telegram_api import FakeTelegram
from tests.telegram.harness import TelegramBot

ANA = 1101
BEA = 1102


async def test_an_old_close_button_does_not_answer_the_erasure_question(
    db_url: str, fake: FakeTelegram, tmp_path: Path
) -> None:
    bot = await TelegramBot.start(fake, tmp_path, db_url=db_url)
    try:
        fake.add_user(ANA, "Ana", language_code="en")
        fake.add_user(BEA, "Bea", language_code="en")
        fake.send_private(ANA, '/newcohort "Harbour Exchange" Europe/Lisbon')
        created = await bot.message(ANA, r"invite code")
        code = re.search(r"code[: ]+([A-Z0-9]{6,})", created.text or "", re.IGNORECASE)
        assert code is not None
        fake.send_private(BEA, f"/join {code.group(1)}")
        await bot.message(BEA, r"Welcome to Harbour Exchange")
        fake.send_private(ANA, "/role Bea coordinator")
        await bot.message(ANA, r"Bea now has the role coordinator")

        fake.send_private(ANA, "/closecohort")
        close = await bot.message(ANA, r"Close Harbour Exchange\?")
        fake.send_private(ANA, "/forgetme")
        forget = await bot.message(ANA, r"Erase everything now\?")
        old_yes = close.callback_data[0]
        assert old_yes.endswith(":yes") and forget.callback_data[0].endswith(":yes")
        assert old_yes.split(":")[0] != forget.callback_data[0].split(":")[0]
        assert all(len(data.encode()) <= 64 for data in close.callback_data)

        before = len(fake.messages_to(ANA))
        fake.press_button(ANA, close.message_id, ANA, old_yes)
        await bot.message(ANA, r"That question has expired", skip=before)
        assert await bot.identity(ANA) is not None  # not erased
        async with bot.app.db.transaction() as session:
            assert await session.scalar(select(Cohort.status)) == "active"

        # The erasure question is still open; its own "No" button answers it.
        before = len(fake.messages_to(ANA))
        fake.press_button(ANA, forget.message_id, ANA, forget.callback_data[1])
        await bot.message(ANA, r"Nothing was erased", skip=before)
        assert await bot.identity(ANA) is not None
    finally:
        await bot.close()
