"""A bound group upgraded to a supergroup (its chat id changes): the cohort follows it, whether
the bot learns it from the service messages or from a send to the old id that Telegram refuses
with 400 and the new id."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from storage.models import BoundChat, OutboxMessage
from tests.fakes.telegram_api import FakeTelegram
from tests.telegram.harness import TelegramBot, eventually

ANA = 1001  # the coordinator
GROUP = -4001
UPGRADED = "Bad Request: group chat was upgraded to a supergroup chat"


async def bound_group(bot: TelegramBot, fake: FakeTelegram) -> None:
    fake.add_user(ANA, "Ana", language_code="en")
    fake.send_private(ANA, '/newcohort "Spring Exchange" Europe/Berlin')
    await bot.message(ANA, r"invite code")
    fake.bot_added_to_group(GROUP, ANA, title="Spring Exchange")
    fake.send_group(GROUP, ANA, "/bindchat")
    await bot.message(GROUP, r"now linked to Spring Exchange")


async def announce(bot: TelegramBot, fake: FakeTelegram, text: str) -> None:
    before = len(fake.messages_to(ANA))
    fake.send_private(ANA, f'/announce "{text}"')
    await bot.message(ANA, r"Send it\?", skip=before)
    fake.send_private(ANA, "1")


async def bound_chats(bot: TelegramBot) -> list[str]:
    async with bot.app.db.transaction() as session:
        return list((await session.execute(select(BoundChat.chat_id))).scalars())


async def outbox(bot: TelegramBot) -> list[OutboxMessage]:
    async with bot.app.db.transaction() as session:
        found = await session.execute(select(OutboxMessage).order_by(OutboxMessage.id))
        return list(found.scalars())


async def test_an_announcement_to_an_upgraded_group_arrives_in_the_supergroup(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    # Without the service messages (the adapter is given nothing to report them to), the bot
    # learns the new id from Telegram's refusal of the first send to the old one.
    bot = await TelegramBot.start(fake, tmp_path, chat_moves=False)
    try:
        await bound_group(bot, fake)
        supergroup = fake.upgrade_group(GROUP, ANA)
        await announce(bot, fake, "Field trip on Friday")

        await bot.message(supergroup, r"Field trip on Friday")
        await bot.message(ANA, r"Announcement #1 is done")
        refused = [r for r in fake.rejections if r.error_code == 400]
        assert [r.description for r in refused] == [UPGRADED]  # once, then the new id
        assert await bound_chats(bot) == [str(supergroup)]

        async def all_recorded() -> bool:
            # the report itself reached the fake before its row was marked sent
            return {r.status for r in await outbox(bot)} == {"sent"}

        await eventually(all_recorded)
        rows = await outbox(bot)
        (chat_row,) = [r for r in rows if r.is_group and r.broadcast_id is not None]
        assert chat_row.idempotency_key == f"b:1:chat:telegram:{GROUP}"  # the key stays
        assert chat_row.chat_id == str(supergroup) and chat_row.attempts == 1
        trip = [m for m in fake.messages_to(supergroup) if "Field trip" in (m.text or "")]
        assert len(trip) == 1

        # The cohort knows the supergroup: the next notice goes straight there.
        fake.send_group(supergroup, ANA, "/bindchat")
        await bot.message(supergroup, r"already linked to Spring Exchange")
        await announce(bot, fake, "Bring boots")
        await bot.message(supergroup, r"Bring boots")
        assert len([r for r in fake.rejections if r.error_code == 400]) == 1
    finally:
        await bot.close()


async def test_the_upgrade_service_messages_move_the_binding(
    db_url: str, fake: FakeTelegram, tmp_path: Path
) -> None:
    bot = await TelegramBot.start(fake, tmp_path, db_url=db_url)
    try:
        await bound_group(bot, fake)
        supergroup = fake.upgrade_group(GROUP, ANA)

        async def moved() -> bool:
            return await bound_chats(bot) == [str(supergroup)]

        await eventually(moved)
        await fake.wait_until(lambda: not fake.pending_updates)  # the second message too
        assert await bound_chats(bot) == [str(supergroup)]

        await announce(bot, fake, "Field trip on Friday")
        await bot.message(supergroup, r"Field trip on Friday")
        await bot.message(ANA, r"Announcement #1 is done")
        assert [r for r in fake.rejections if r.error_code == 400] == []  # never the old id
    finally:
        await bot.close()
