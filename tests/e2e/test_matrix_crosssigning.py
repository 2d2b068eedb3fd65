"""The bot's device cross-signed by its own account, against a real Synapse, each signature
checked independently (signedjson): a first start makes the identity; restarts keep it; a lost
key store gives a new device signed by the same identity; access-token login, the recovery
key (secret storage), and an identity the bot cannot use (one warning, the bot goes on; replaced
only when allowed)."""

from __future__ import annotations

import logging
import secrets
import shutil
from pathlib import Path

import pytest

from bot import recovery_key
from bot.adapters.matrix.crosssigning import Outcome

from .cross_signing import check_cross_signed, device_signed_by, query, upload_foreign_identity
from .matrix_bot import BotProcess
from .matrix_peer import Peer
from .synapse import RegisteredUser, SynapseServer

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def observer(synapse: SynapseServer) -> RegisteredUser:
    return synapse.register_user(f"observer-{secrets.token_hex(4)}", secrets.token_urlsafe(12))


@pytest.fixture
def bot(stopped_bot: BotProcess) -> BotProcess:
    """Registered, not started: each test starts (and restarts) it."""
    return stopped_bot


def token_bot(
    synapse: SynapseServer, workdir: Path, account: RegisteredUser, **env: str
) -> tuple[BotProcess, dict[str, str]]:
    """A bot that logs in with an access token only (no password in its config)."""
    bot = BotProcess(synapse, workdir, account.user_id, "")
    workdir.mkdir(parents=True, exist_ok=True)
    return bot, {
        "COHORTBOT_MATRIX_PASSWORD": "",
        "COHORTBOT_MATRIX_ACCESS_TOKEN": account.access_token,
        **env,
    }


async def test_first_start_makes_an_identity_and_restarts_keep_it(
    synapse: SynapseServer, bot: BotProcess, observer: RegisteredUser
) -> None:
    platform = await bot.start()
    assert platform.cross_signing is not None
    assert platform.cross_signing.outcome is Outcome.CREATED
    device = str(platform.device_id)
    seen = check_cross_signed(query(synapse, observer, bot.user_id), bot.user_id, device)
    assert seen.master == platform.cross_signing.master_key
    assert seen.device_ed25519 == platform.identity_keys["ed25519"]

    await bot.stop()
    platform = await bot.start()
    assert platform.device_id == device
    assert platform.cross_signing is not None
    assert platform.cross_signing.outcome is Outcome.ALREADY_SIGNED
    again = check_cross_signed(query(synapse, observer, bot.user_id), bot.user_id, device)
    assert again == seen  # the same master, self-signing key and device

    # The user-signing key, and the device's own signature on the master key (the device trusts
    # its identity), are shown only to the account itself.
    owner = synapse.login(bot.user_id, bot.password)
    mine = check_cross_signed(query(synapse, owner, bot.user_id), bot.user_id, device)
    assert mine.user_signing and mine.master == seen.master and mine.master_signed_by_device


async def test_a_lost_key_store_gives_a_new_device_signed_by_the_same_identity(
    synapse: SynapseServer, bot: BotProcess, observer: RegisteredUser
) -> None:
    platform = await bot.start()
    first = check_cross_signed(
        query(synapse, observer, bot.user_id), bot.user_id, str(platform.device_id)
    )
    await bot.stop()
    shutil.rmtree(bot.workdir / "matrix-store")  # the database (and its sealed keys) remain

    platform = await bot.start()
    assert platform.device_id != first.device_id
    assert platform.cross_signing is not None
    assert platform.cross_signing.outcome is Outcome.SIGNED
    now = check_cross_signed(
        query(synapse, observer, bot.user_id), bot.user_id, str(platform.device_id)
    )
    assert (now.master, now.self_signing) == (first.master, first.self_signing)


async def test_access_token_login_and_the_recovery_key_sign_new_devices(
    synapse: SynapseServer, tmp_path: Path, observer: RegisteredUser
) -> None:
    password = secrets.token_urlsafe(12)
    account = synapse.register_user(f"tokenbot-{secrets.token_hex(4)}", password)
    key = recovery_key.generate()
    bot, env = token_bot(synapse, tmp_path / "one", account, COHORTBOT_MATRIX_RECOVERY_KEY=key)
    try:
        # A first identity needs no password (MSC3967); the keys also go to secret storage.
        platform = await bot.start(bot.config(**env))
        assert platform.device_id == account.device_id
        assert platform.cross_signing is not None
        assert platform.cross_signing.outcome is Outcome.CREATED
        first = check_cross_signed(
            query(synapse, observer, account.user_id), account.user_id, account.device_id
        )
    finally:
        await bot.stop()

    # Another machine: no database, no key store, a new access token; only the recovery key.
    second_device = synapse.login(account.user_id, password)
    bot, env = token_bot(
        synapse, tmp_path / "two", second_device, COHORTBOT_MATRIX_RECOVERY_KEY=key
    )
    try:
        platform = await bot.start(bot.config(**env))
        assert platform.cross_signing is not None
        assert platform.cross_signing.outcome is Outcome.SIGNED
        now = check_cross_signed(
            query(synapse, observer, account.user_id), account.user_id, second_device.device_id
        )
        assert now.master == first.master
    finally:
        await bot.stop()


async def test_an_identity_the_bot_cannot_use_is_kept_until_a_reset_is_allowed(
    synapse: SynapseServer,
    tmp_path: Path,
    observer: RegisteredUser,
    alice: Peer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    password = secrets.token_urlsafe(12)
    account = synapse.register_user(f"elementbot-{secrets.token_hex(4)}", password)
    foreign = upload_foreign_identity(synapse, account)  # e.g. made by Element at a first login
    bot, env = token_bot(synapse, tmp_path / "bot", account)
    try:
        with caplog.at_level(logging.WARNING, logger="bot.adapters.matrix.crosssigning"):
            platform = await bot.start(bot.config(**env))
        assert platform.cross_signing is not None
        assert platform.cross_signing.outcome is Outcome.NOT_SIGNED
        [line] = [r.getMessage() for r in caplog.records if "not cross-signed" in r.getMessage()]
        assert "matrix.recovery_key" in line and "matrix.reset_cross_signing" in line
        assert "\n" not in line
        body = query(synapse, observer, account.user_id)
        assert body["master_keys"][account.user_id]["keys"] == {f"ed25519:{foreign}": foreign}
        # ...and the bot goes on.
        room = await alice.open_room([account.user_id], encrypted=True, direct=True)
        await alice.ask(room, "!help", account.user_id, expect="!start")
    finally:
        await bot.stop()

    # Allowed to replace it: the password confirms (user-interactive auth).
    env.update(COHORTBOT_MATRIX_PASSWORD=password, COHORTBOT_MATRIX_RESET_CROSS_SIGNING="true")
    try:
        platform = await bot.start(bot.config(**env))
        assert platform.cross_signing is not None
        assert platform.cross_signing.outcome is Outcome.REPLACED
        body = query(synapse, observer, account.user_id)
        now = check_cross_signed(body, account.user_id, account.device_id)
        assert now.master != foreign and now.master == platform.cross_signing.master_key
        assert device_signed_by(body, account.user_id, account.device_id, now.self_signing)
    finally:
        await bot.stop()
