"""An independent check of a Matrix account's cross-signing, as another user sees it through
`/keys/query`: every ed25519 signature verified with signedjson (Synapse's own library, not
the bot's code)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from signedjson.key import (
    decode_verify_key_bytes,
    encode_verify_key_base64,
    generate_signing_key,
    get_verify_key,
)
from signedjson.sign import SignatureVerifyException, sign_json, verify_signed_json
from unpaddedbase64 import decode_base64

from .synapse import RegisteredUser, SynapseServer


@dataclass(frozen=True)
class CrossSigned:
    """What an observer learned, each link checked."""

    master: str
    self_signing: str
    user_signing: str
    device_id: str
    device_ed25519: str
    master_signed_by_device: bool


def _verify(
    value: dict[str, Any], user_id: str, public_key: str, key_name: str | None = None
) -> None:
    """A device signs with key id `ed25519:<device id>`; a cross-signing key with its own
    public key as the id."""
    key_id = f"ed25519:{key_name or public_key}"
    verify_signed_json(value, user_id, decode_verify_key_bytes(key_id, decode_base64(public_key)))


def _only_key(value: dict[str, Any], usage: str, user_id: str) -> str:
    assert value["user_id"] == user_id and value["usage"] == [usage], value
    [(key_id, public)] = value["keys"].items()
    assert key_id == f"ed25519:{public}"
    return str(public)


def query(synapse: SynapseServer, observer: RegisteredUser, user_id: str) -> dict[str, Any]:
    return synapse.client_api(
        "POST", "/keys/query", {"device_keys": {user_id: []}}, access_token=observer.access_token
    )


def check_cross_signed(body: dict[str, Any], user_id: str, device_id: str) -> CrossSigned:
    """Asserts: a master key; the self-signing and user-signing keys signed by it; the device
    signed by the self-signing key (and by its own key, as every device is)."""
    master_object = body["master_keys"][user_id]
    master = _only_key(master_object, "master", user_id)
    ssk_object = body["self_signing_keys"][user_id]
    ssk = _only_key(ssk_object, "self_signing", user_id)
    _verify(ssk_object, user_id, master)
    device = body["device_keys"][user_id][device_id]
    ed25519 = str(device["keys"][f"ed25519:{device_id}"])
    _verify(device, user_id, ed25519, device_id)
    _verify(device, user_id, ssk)
    by_device = f"ed25519:{device_id}" in master_object.get("signatures", {}).get(user_id, {})
    if by_device:
        _verify(master_object, user_id, ed25519, device_id)
    usk = ""
    if "user_signing_keys" in body and user_id in body["user_signing_keys"]:  # only to the owner
        usk_object = body["user_signing_keys"][user_id]
        usk = _only_key(usk_object, "user_signing", user_id)
        _verify(usk_object, user_id, master)
    return CrossSigned(master, ssk, usk, device_id, ed25519, by_device)


def device_signed_by(body: dict[str, Any], user_id: str, device_id: str, public_key: str) -> bool:
    device = body["device_keys"][user_id][device_id]
    try:
        _verify(device, user_id, public_key)
    except (SignatureVerifyException, KeyError):
        return False
    return True


def upload_foreign_identity(synapse: SynapseServer, account: RegisteredUser) -> str:
    """Cross-signing keys made by another client (whose private keys the bot never sees), as
    Element makes them at a first login; returns the master public key."""
    user_id = account.user_id

    def key(usage: str) -> tuple[Any, dict[str, Any]]:
        signing = generate_signing_key("tmp")
        public = encode_verify_key_base64(get_verify_key(signing))
        signing.version = public  # the key id of a cross-signing key is its public key
        return signing, {
            "user_id": user_id,
            "usage": [usage],
            "keys": {f"ed25519:{public}": public},
        }

    master, master_object = key("master")
    _ssk, ssk_object = key("self_signing")
    _usk, usk_object = key("user_signing")
    synapse.client_api(
        "POST",
        "/keys/device_signing/upload",
        {
            "master_key": master_object,
            "self_signing_key": sign_json(ssk_object, user_id, master),
            "user_signing_key": sign_json(usk_object, user_id, master),
        },
        access_token=account.access_token,
    )
    return str(master.version)
