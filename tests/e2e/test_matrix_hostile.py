"""Hostile input through a real Synapse, with the bot on PostgreSQL (when the tests have one;
else SQLite): a person whose room display name has Synapse's full 256 characters (one more than
any column), and a message body carrying U+0000, neither stalls the sync loop: they are
answered, and so is everyone after them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from nio import ProfileSetDisplayNameResponse

from tests.conftest import _create_pg_database, _drop_pg_database

from .matrix_bot import BotProcess
from .matrix_peer import Peer, make_peer
from .synapse import SynapseServer

pytestmark = pytest.mark.timeout(180)


@pytest.fixture
async def database(
    tmp_path: Path, postgres_server: str | None, postgres_template: str | None
) -> AsyncIterator[str]:
    if postgres_server is None or postgres_template is None:
        yield f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
        return
    url = await _create_pg_database(postgres_server, postgres_template)
    try:
        yield url
    finally:
        await _drop_pg_database(postgres_server, url)


async def test_an_overlong_name_and_a_nul_byte_stall_nobody(
    synapse: SynapseServer, tmp_path: Path, database: str
) -> None:
    bot = BotProcess.register(synapse, tmp_path / "bot")
    peers: list[Peer] = []
    try:
        await bot.start(bot.config(COHORTBOT_STORAGE_URL=database))
        mallory = await make_peer(synapse, tmp_path, "mallory")
        alice = await make_peer(synapse, tmp_path, "alice")
        peers += [mallory, alice]
        renamed = await mallory.client.set_displayname("M" * 255 + "\u202e")
        assert isinstance(renamed, ProfileSetDisplayNameResponse), renamed
        hers = await mallory.open_room([bot.user_id], encrypted=False, direct=True)
        theirs = await alice.open_room([bot.user_id], encrypted=True, direct=True)

        await mallory.ask(hers, "!timezone Nai\x00robi", bot.user_id, expect="Nairobi")
        await mallory.ask(hers, "!me", bot.user_id, expect="Africa/Nairobi")
        await alice.ask(theirs, "!help", bot.user_id, expect="!timezone")
    finally:
        for peer in peers:
            await peer.close()
        await bot.stop()
