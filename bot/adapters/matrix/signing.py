"""Signed JSON as Matrix defines it (spec, "Signing JSON"): canonical JSON, unpadded base64,
ed25519 keys and signatures.

matrix-nio signs only with the device's own Olm account; cross-signing needs keys of our own
(master, self-signing, user-signing), so they are plain ed25519 keys here (pycryptodome,
RFC 8032). A key is kept as its 32-byte seed; its public key and key id follow from it.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from Crypto.Signature import eddsa

SEED_BYTES = 32


def canonical_json(value: object) -> bytes:
    """Keys sorted, no insignificant whitespace, UTF-8 (not \\u escapes)."""
    return json.dumps(
        value, ensure_ascii=False, separators=(",", ":"), sort_keys=True, allow_nan=False
    ).encode("utf-8")


def b64encode(data: bytes) -> str:
    """Unpadded standard base64, as Matrix writes keys and signatures."""
    return base64.b64encode(data).decode("ascii").rstrip("=")


def b64decode(text: str) -> bytes:
    """Standard or URL-safe base64, padded or not."""
    text = text.strip().replace("-", "+").replace("_", "/")
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError) as error:
        raise ValueError("not base64") from error


def signable(value: Mapping[str, Any]) -> dict[str, Any]:
    """What a signature covers: the object without `signatures` and `unsigned`."""
    return {k: v for k, v in value.items() if k not in ("signatures", "unsigned")}


@dataclass(frozen=True)
class SigningKey:
    """An ed25519 key pair from its 32-byte seed."""

    seed: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if len(self.seed) != SEED_BYTES:
            raise ValueError("an ed25519 seed has 32 bytes")

    @classmethod
    def generate(cls) -> SigningKey:
        return cls(secrets.token_bytes(SEED_BYTES))

    @property
    def public_key(self) -> str:
        """Unpadded base64 of the 32-byte public key: also the key's id (`ed25519:<this>`)."""
        key = eddsa.import_private_key(self.seed)
        return b64encode(key.public_key().export_key(format="raw"))

    @property
    def key_id(self) -> str:
        return f"ed25519:{self.public_key}"

    def sign(self, message: bytes) -> str:
        signer = eddsa.new(eddsa.import_private_key(self.seed), "rfc8032")
        return b64encode(signer.sign(message))

    def sign_json(self, value: Mapping[str, Any], user_id: str) -> dict[str, Any]:
        """`value` with this key's signature added under `user_id` (others are kept)."""
        signature = self.sign(canonical_json(signable(value)))
        signed = dict(value)
        signatures = {k: dict(v) for k, v in dict(value.get("signatures", {})).items()}
        signatures.setdefault(user_id, {})[self.key_id] = signature
        signed["signatures"] = signatures
        return signed


def verify_json(value: Mapping[str, Any], user_id: str, public_key: str) -> bool:
    """Does `value` carry a valid signature by the ed25519 key `public_key` under `user_id`?"""
    signature = value.get("signatures", {}).get(user_id, {}).get(f"ed25519:{public_key}")
    if not isinstance(signature, str):
        return False
    try:
        key = eddsa.import_public_key(b64decode(public_key))
        eddsa.new(key, "rfc8032").verify(canonical_json(signable(value)), b64decode(signature))
    except ValueError:
        return False
    return True
