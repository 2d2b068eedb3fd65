"""The bot's device as Element's crypto stack sees it: matrix-js-sdk with its Rust crypto
(installed by scripts/setup-js.sh from the npm registry), run by Node as a person who shares an
encrypted room with the bot, must report the device as cross-signed by its owner -- and, as a
control, not so a device whose account has an identity that never signed it."""

from __future__ import annotations

import asyncio
import json
import secrets
import shutil
import subprocess
from pathlib import Path
from urllib.parse import quote

import pytest

from .cross_signing import upload_foreign_identity
from .devices import publish_device
from .matrix_bot import BotProcess
from .synapse import RegisteredUser, SynapseServer

pytestmark = pytest.mark.timeout(120)

JS_DIR = Path(__file__).resolve().parent / "js"
NODE = shutil.which("node")


def _missing() -> str | None:
    if NODE is None:
        return "no Node.js here (the matrix-js-sdk check needs Node >= 20)"
    if not (JS_DIR / "node_modules" / "matrix-js-sdk").is_dir():
        return "matrix-js-sdk not installed: run scripts/setup-js.sh"
    return None


@pytest.fixture
def bot(stopped_bot: BotProcess) -> BotProcess:
    """Registered, not started: each test starts (and restarts) it."""
    return stopped_bot


def device_trust(
    synapse: SynapseServer, viewer: RegisteredUser, devices: list[tuple[str, str]]
) -> dict[str, dict[str, bool]]:
    answer = subprocess.run(
        [
            str(NODE),
            str(JS_DIR / "device_trust.mjs"),
            synapse.base_url,
            viewer.user_id,
            viewer.access_token,
            viewer.device_id,
            *(f"{user}:{device}" for user, device in devices),
        ],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert answer.returncode == 0, answer.stderr[-2000:]
    [line] = [x for x in answer.stdout.splitlines() if x.startswith("device-trust: ")]
    seen: dict[str, dict[str, bool]] = json.loads(line.removeprefix("device-trust: "))
    return seen


async def test_element_crypto_sees_the_bot_device_cross_signed_by_its_owner(
    synapse: SynapseServer, bot: BotProcess
) -> None:
    if (reason := _missing()) is not None:
        pytest.skip(reason)
    platform = await bot.start()
    device = str(platform.device_id)
    # The control: an account whose identity (made elsewhere) never signed its device.
    other = synapse.register_user(f"unsigned-{secrets.token_hex(4)}", secrets.token_urlsafe(12))
    publish_device(synapse, other)
    upload_foreign_identity(synapse, other)

    viewer = synapse.register_user(f"viewer-{secrets.token_hex(4)}", secrets.token_urlsafe(12))
    room = synapse.client_api(
        "POST",
        "/createRoom",
        {
            "preset": "private_chat",
            "invite": [bot.user_id, other.user_id],
            "initial_state": [
                {
                    "type": "m.room.encryption",
                    "state_key": "",
                    "content": {"algorithm": "m.megolm.v1.aes-sha2"},
                }
            ],
        },
        access_token=viewer.access_token,
    )["room_id"]
    join = f"/rooms/{quote(room)}/join"
    synapse.client_api("POST", join, {}, access_token=other.access_token)
    for _ in range(100):  # bounded: the bot joins at its next sync
        if platform.knows_room(room):
            break
        await asyncio.sleep(0.1)  # polling the running bot
    assert platform.knows_room(room)

    seen = await asyncio.to_thread(
        device_trust, synapse, viewer, [(bot.user_id, device), (other.user_id, other.device_id)]
    )
    assert seen[f"{bot.user_id} {device}"] == {"known": True, "signed_by_owner": True}
    assert seen[f"{other.user_id} {other.device_id}"] == {"known": True, "signed_by_owner": False}
