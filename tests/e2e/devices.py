"""A person's device as a client publishes it: identity keys and signed one-time keys (made
with vodozemac), so that the bot can share room keys with it -- without running a client."""

from __future__ import annotations

from typing import Any

import vodozemac

from bot.adapters.matrix.signing import canonical_json

from .synapse import RegisteredUser, SynapseServer


def publish_device(synapse: SynapseServer, person: RegisteredUser) -> None:
    """One device with identity keys and signed one-time keys, as a client publishes it."""
    account = vodozemac.Account()
    user, device = person.user_id, person.device_id

    def signed(value: dict[str, Any]) -> dict[str, Any]:
        signature = account.sign(canonical_json(value)).to_base64()
        return {**value, "signatures": {user: {f"ed25519:{device}": signature}}}

    device_keys = signed(
        {
            "user_id": user,
            "device_id": device,
            "algorithms": ["m.olm.v1.curve25519-aes-sha2", "m.megolm.v1.aes-sha2"],
            "keys": {
                f"curve25519:{device}": account.curve25519_key.to_base64(),
                f"ed25519:{device}": account.ed25519_key.to_base64(),
            },
        }
    )
    account.generate_one_time_keys(4)
    one_time = {
        f"signed_curve25519:{key_id}": signed({"key": key.to_base64()})
        for key_id, key in account.one_time_keys.items()
    }
    synapse.client_api(
        "POST",
        "/keys/upload",
        {"device_keys": device_keys, "one_time_keys": one_time},
        access_token=person.access_token,
    )
