"""Secret storage (SSSS, Matrix spec "Secrets"): secrets kept encrypted in the account's own
account data, under a key the operator holds as a recovery key.

Only the algorithm every client uses, `m.secret_storage.v1.aes-hmac-sha2`:
- per secret, HKDF-SHA256 of the key (salt: 32 zero bytes, info: the secret's name) gives a
  32-byte AES key and a 32-byte HMAC key;
- the secret (UTF-8 text; for a private key, its unpadded base64) is encrypted with AES-256-CTR
  under a random 16-byte IV whose bit 63 is cleared, and MACed with HMAC-SHA256 over the
  ciphertext;
- a key's description (account data `m.secret_storage.key.<id>`) holds the IV and MAC of 32
  zero bytes encrypted under the name "", which tells whether a recovery key is the right one.
Account data types and shapes: `m.secret_storage.default_key` = {"key": id}; a secret named N
lives in account data N as {"encrypted": {id: {"iv", "ciphertext", "mac"}}}.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from Crypto.Cipher import AES
from Crypto.Hash import HMAC, SHA256
from Crypto.Protocol.KDF import HKDF

from bot.adapters.matrix.signing import b64decode, b64encode

ALGORITHM = "m.secret_storage.v1.aes-hmac-sha2"
DEFAULT_KEY = "m.secret_storage.default_key"
KEY_PREFIX = "m.secret_storage.key."
_ZERO_SALT = b"\x00" * 32


class SecretError(Exception):
    """A secret that cannot be decrypted with this key (wrong key, or tampered with)."""


@dataclass(frozen=True)
class Encrypted:
    iv: str
    ciphertext: str
    mac: str

    def as_dict(self) -> dict[str, str]:
        return {"iv": self.iv, "ciphertext": self.ciphertext, "mac": self.mac}

    @classmethod
    def from_dict(cls, value: Mapping[str, Any]) -> Encrypted:
        parts = [value.get(name) for name in ("iv", "ciphertext", "mac")]
        if not all(isinstance(part, str) for part in parts):
            raise SecretError("not an encrypted secret")
        iv, ciphertext, mac = (str(part) for part in parts)
        return cls(iv, ciphertext, mac)


def _keys(key: bytes, name: str) -> tuple[bytes, bytes]:
    derived = HKDF(key, 64, _ZERO_SALT, SHA256, context=name.encode("utf-8"))
    assert isinstance(derived, bytes)
    return derived[:32], derived[32:]


def _mac(mac_key: bytes, ciphertext: bytes) -> bytes:
    return HMAC.new(mac_key, ciphertext, digestmod=SHA256).digest()


def encrypt(key: bytes, name: str, plaintext: bytes, *, iv: bytes | None = None) -> Encrypted:
    aes_key, mac_key = _keys(key, name)
    if iv is None:
        raw = bytearray(secrets.token_bytes(16))
        raw[8] &= 0x7F  # bit 63 cleared: the counter never wraps (as the spec asks)
        iv = bytes(raw)
    ciphertext = AES.new(aes_key, AES.MODE_CTR, nonce=b"", initial_value=iv).encrypt(plaintext)
    return Encrypted(b64encode(iv), b64encode(ciphertext), b64encode(_mac(mac_key, ciphertext)))


def decrypt(key: bytes, name: str, encrypted: Encrypted) -> bytes:
    aes_key, mac_key = _keys(key, name)
    try:
        iv, ciphertext, mac = (
            b64decode(encrypted.iv),
            b64decode(encrypted.ciphertext),
            b64decode(encrypted.mac),
        )
    except ValueError:
        raise SecretError("not base64") from None
    if len(iv) != 16 or not hmac.compare_digest(_mac(mac_key, ciphertext), mac):
        raise SecretError("the MAC does not match: another key, or changed")
    plaintext: bytes = AES.new(aes_key, AES.MODE_CTR, nonce=b"", initial_value=iv).decrypt(
        ciphertext
    )
    return plaintext


def key_description(key: bytes, name: str = "") -> dict[str, Any]:
    """Account data `m.secret_storage.key.<id>` for a key made from a recovery key."""
    check = encrypt(key, "", b"\x00" * 32)
    description: dict[str, Any] = {"algorithm": ALGORITHM, "iv": check.iv, "mac": check.mac}
    if name:
        description["name"] = name
    return description


def key_matches(key: bytes, description: Mapping[str, Any]) -> bool:
    """Is `key` the key this description was made for? (False for another algorithm, or a
    description without the check values.)"""
    iv, mac = description.get("iv"), description.get("mac")
    if description.get("algorithm") != ALGORITHM or not isinstance(iv, str):
        return False
    if not isinstance(mac, str):
        return False
    try:
        check = encrypt(key, "", b"\x00" * 32, iv=b64decode(iv))
        return hmac.compare_digest(b64decode(check.mac), b64decode(mac))
    except ValueError:
        return False


def new_key_id() -> str:
    return b64encode(secrets.token_bytes(24))[:32].replace("/", "A").replace("+", "B")
