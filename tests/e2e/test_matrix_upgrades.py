"""A bound room upgraded with Synapse's room upgrade API (`m.room.tombstone`): the bot joins the
successor, and the cohort's binding and the messages waiting for the old room move there,
once. (Open questions about the room move with them: storage/repositories/chats.py move_chat,
tested in tests/core/test_chat_moves.py.)"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from urllib.parse import quote

import pytest
from sqlalchemy import select

from bot.app import open_database
from bot.messages import Address
from bot.outbox import enqueue_message
from storage.models import BoundChat

from .matrix_bot import BotProcess
from .matrix_peer import Peer
from .synapse import SynapseServer

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def bot(stopped_bot: BotProcess) -> BotProcess:
    """Registered, not started: each test starts (and restarts) it."""
    return stopped_bot


async def bound_rooms(bot: BotProcess) -> list[str]:
    db = await open_database(bot.config())
    try:
        async with db.transaction() as session:
            found = await session.execute(select(BoundChat.chat_id))
            return [str(chat) for chat in found.scalars()]
    finally:
        await db.close()


async def queue_for(bot: BotProcess, room_id: str, text: str) -> None:
    """A message already on its way to the room (queued before the bot learns of the upgrade)."""
    db = await open_database(bot.config())
    try:
        async with db.transaction() as session:
            await enqueue_message(
                session,
                key="test:upgrade:waiting",
                to=Address("matrix", room_id, is_group=True),
                text=text,
                now=datetime.now(UTC),
            )
    finally:
        await db.close()


async def test_an_upgraded_bound_room_moves_with_its_waiting_messages_once(
    synapse: SynapseServer, bot: BotProcess, alice: Peer, caplog: pytest.LogCaptureFixture
) -> None:
    await bot.start()
    dm = await alice.open_room([bot.user_id], encrypted=True, direct=True)
    await alice.ask(dm, '!newcohort "Upgrade Exchange" UTC', bot.user_id, expect="Upgrade")
    old = await alice.open_room(
        [bot.user_id], encrypted=True, direct=False, name="Upgrade cohort", wait=[bot.user_id]
    )
    await alice.ask(old, "!bindchat", bot.user_id, expect="Upgrade Exchange")
    await bot.stop()

    # Upgraded while the bot is away; a message for the room was already queued.
    upgraded = synapse.client_api(
        "POST",
        f"/rooms/{quote(old)}/upgrade",
        {"new_version": "11"},
        access_token=str(alice.client.access_token),
    )
    new = str(upgraded["replacement_room"])
    # The successor of an invite-only room is invite-only: Element invites the old room's
    # members (its "automatically invite members" choice); a public successor needs no invite.
    synapse.client_api(
        "POST",
        f"/rooms/{quote(new)}/invite",
        {"user_id": bot.user_id},
        access_token=str(alice.client.access_token),
    )
    await queue_for(bot, old, "Queued before the upgrade was known")

    with caplog.at_level(logging.INFO, logger="bot.adapters.matrix.upgrades"):
        await bot.start()
        await alice.wait_for(lambda: alice.joined(new, [bot.user_id]), "the bot in the new room")
        await alice.wait_for_notices(new, bot.user_id, 1)
        assert alice.bodies(new, bot.user_id) == ["Queued before the upgrade was known"]
        assert await bound_rooms(bot) == [new]

        await bot.stop()  # the tombstone comes back in the full state: followed already
        await bot.start()
        await alice.ask(new, "!help", bot.user_id, expect="!start")
    followed = [r for r in caplog.records if r.getMessage() == "matrix room upgrade followed"]
    assert len(followed) == 1
    assert alice.bodies(new, bot.user_id)[0] == "Queued before the upgrade was known"
    assert await bound_rooms(bot) == [new]
