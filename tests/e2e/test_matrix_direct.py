"""DM rooms in the bot's `m.direct` account data, so that clients show them as direct chats:
the DM the bot opens itself, and a direct invite it accepts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import quote

import pytest

from .matrix_bot import BotProcess
from .matrix_peer import Peer, make_peer
from .synapse import SynapseServer

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
async def carol(synapse: SynapseServer, tmp_path: Path) -> AsyncIterator[Peer]:
    peer = await make_peer(synapse, tmp_path, "carol")
    try:
        yield peer
    finally:
        await peer.close()


def m_direct(synapse: SynapseServer, bot: BotProcess) -> dict[str, list[str]]:
    owner = synapse.login(bot.user_id, bot.password)  # the bot's account, another device
    path = f"/user/{quote(bot.user_id)}/account_data/m.direct"
    return synapse.client_api("GET", path, access_token=owner.access_token)


async def test_dms_the_bot_opens_or_accepts_are_listed_in_m_direct(
    synapse: SynapseServer, bot: BotProcess, carol: Peer
) -> None:
    # Carol writes in a named room: the bot answers a personal command in a DM it opens.
    room = await carol.open_room([bot.user_id], encrypted=False, direct=False, name="Planning")
    await carol.say(room, "!me")
    await carol.wait_for(lambda: bool(carol.invites), "an invite to a DM")
    [opened] = carol.invites
    await carol.accept(opened)
    await carol.wait_for(lambda: bool(carol.bodies(opened, bot.user_id)), "her profile")

    # Then she opens a DM herself (a direct invite), which the bot accepts.
    accepted = await carol.open_room([bot.user_id], encrypted=True, direct=True)
    await carol.ask(accepted, "!help", bot.user_id, expect="!start")

    assert m_direct(synapse, bot) == {carol.user_id: [opened, accepted]}
