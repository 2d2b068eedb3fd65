"""The Matrix platform across restarts, against a real Synapse: same device and keys, the sync
token saved only once a batch is handled (no replay, nothing missed), the key store refusing a
wrong pickle key, and login by access token."""

from __future__ import annotations

import secrets
from dataclasses import replace
from pathlib import Path

import pytest

from bot.adapters.matrix import MatrixPlatform
from bot.app import open_database
from bot.clock import SystemClock
from bot.errors import ConfigError
from bot.messages import Inbound
from storage.repositories.kv import DbStateStore

from .matrix_bot import TEST_TUNING, BotProcess
from .matrix_peer import Peer
from .synapse import SynapseServer

pytestmark = pytest.mark.timeout(180)


@pytest.fixture
def bot(stopped_bot: BotProcess) -> BotProcess:
    """Registered, not started: each test starts (and restarts) it."""
    return stopped_bot


async def test_restart_keeps_device_keys_and_sync_position(bot: BotProcess, alice: Peer) -> None:
    platform = await bot.start()
    device, keys = platform.device_id, platform.identity_keys
    assert device and keys
    room = await alice.open_room([bot.user_id], encrypted=True, direct=True)
    await alice.ask(room, "!start", bot.user_id, expect="English")
    await alice.ask(room, "1", bot.user_id, expect="time zone")  # English, then the next step
    answered = alice.bodies(room, bot.user_id)

    await bot.stop()
    await alice.say(room, "!help")  # while the bot is down

    platform = await bot.start()
    assert platform.device_id == device  # no new login device...
    assert platform.identity_keys == keys  # ...and the same E2EE identity from the key store
    await alice.wait_for(
        lambda: len(alice.bodies(room, bot.user_id)) > len(answered), "the missed command"
    )
    await alice.quiet_for(6)
    after = alice.bodies(room, bot.user_id)
    assert after[: len(answered)] == answered
    [help_text] = after[len(answered) :]  # answered once; nothing older answered again
    assert "!start" in help_text
    assert all(e.decrypted for e in alice.notices(room, bot.user_id))

    # And once more, with a message arriving while it is running again.
    await alice.ask(room, "!me", bot.user_id, expect=".")
    assert len(alice.bodies(room, bot.user_id)) >= len(after) + 1


async def test_sync_token_is_saved_only_after_the_batch_was_handled(
    bot: BotProcess, alice: Peer
) -> None:
    config = bot.config()
    clock = SystemClock()
    db = await open_database(config)
    attempts: list[str] = []

    async def failing_once(inbound: Inbound) -> None:
        attempts.append(inbound.update_id)
        if len(attempts) == 1:
            raise RuntimeError("the database went away")

    platform = MatrixPlatform(config.matrix, clock, DbStateStore(db, clock), tuning=TEST_TUNING)
    try:
        await platform.start(failing_once)
        room = await alice.open_room([bot.user_id], encrypted=False, direct=True)
        await alice.wait_for(lambda: platform.knows_room(room), "the bot syncing the room")
        first = await alice.say(room, "!help")
        # The failed batch is synced again from the saved token and handled.
        await alice.wait_for(lambda: attempts.count(first) >= 2, "a second attempt")
        second = await alice.say(room, "!me")
        await alice.wait_for(lambda: second in attempts, "the next message")
    finally:
        await platform.stop()

    replayed: list[str] = []

    async def record(inbound: Inbound) -> None:
        replayed.append(inbound.update_id)

    again = MatrixPlatform(config.matrix, clock, DbStateStore(db, clock), tuning=TEST_TUNING)
    try:
        await again.start(record)
        third = await alice.say(room, "!help")
        await alice.wait_for(lambda: third in replayed, "the message after the restart")
        assert replayed == [third]  # nothing handled before the stop came back
    finally:
        await again.stop()
        await db.close()
    assert attempts == [first, first, second]


async def test_wrong_pickle_key_is_refused_with_the_key_named(bot: BotProcess) -> None:
    await bot.start()
    await bot.stop()

    with pytest.raises(ConfigError, match=r"matrix\.pickle_key.*does not match"):
        await bot.start(bot.config(COHORTBOT_MATRIX_PICKLE_KEY="not-the-key"))

    platform = await bot.start()  # the right key still opens the same store
    assert platform.identity_keys


def test_encryption_needs_a_pickle_key_and_a_store(bot: BotProcess) -> None:
    with pytest.raises(ConfigError, match=r"^config error: matrix\.pickle_key: needed"):
        bot.config(COHORTBOT_MATRIX_PICKLE_KEY="")
    config = bot.config()
    for broken, key in (
        (replace(config.matrix, pickle_key=""), "matrix.pickle_key"),
        (replace(config.matrix, store_path=""), "matrix.store_path"),
    ):
        with pytest.raises(ConfigError, match=key):
            MatrixPlatform(broken, SystemClock(), DbStateStore(None, SystemClock()))  # type: ignore[arg-type]


async def test_access_token_login_uses_that_tokens_device(
    synapse: SynapseServer, tmp_path: Path, alice: Peer
) -> None:
    password = secrets.token_urlsafe(12)
    account = synapse.register_user(f"tokenbot-{secrets.token_hex(4)}", password)
    bot = BotProcess(synapse, tmp_path / "tokenbot", account.user_id, password)
    config = bot.config(
        COHORTBOT_MATRIX_PASSWORD="", COHORTBOT_MATRIX_ACCESS_TOKEN=account.access_token
    )
    try:
        platform = await bot.start(config)
        assert platform.device_id == account.device_id
        room = await alice.open_room([bot.user_id], encrypted=True, direct=True)
        await alice.ask(room, "!help", bot.user_id, expect="!start")
        await bot.stop()
        platform = await bot.start(config)
        assert platform.device_id == account.device_id
        # Nothing happened meanwhile, yet the first (full-state) sync brought the rooms back.
        assert platform.knows_room(room)
        await alice.ask(room, "!help", bot.user_id, expect="!start")
    finally:
        await bot.stop()
