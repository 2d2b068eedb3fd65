"""Matrix recovery keys: the text form of a secret-storage key (Matrix spec, "Key
representation"), e.g. `EsTc LW2K PGiF wKEA 3As5 g5c4 BXwk qeeJ ZJV8 Q9fu gUMN UE4d`.

The text is base58 (Bitcoin's alphabet) of: the bytes 0x8B 0x01, the 32-byte key, and one
parity byte (the XOR of all bytes before it); spaces are ignored. Platform-free (no network,
no Matrix library) so that the configuration can check `[matrix] recovery_key` when it loads.

    python -m bot.recovery_key      # prints a new random recovery key
"""

from __future__ import annotations

import secrets

PREFIX = b"\x8b\x01"
KEY_BYTES = 32
_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_INDEX = {char: index for index, char in enumerate(_ALPHABET)}


class RecoveryKeyError(ValueError):
    """The text is not a recovery key; the message says why (never repeating the text)."""


def _parity(data: bytes) -> int:
    parity = 0
    for byte in data:
        parity ^= byte
    return parity


def _b58encode(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    chars = []
    while number:
        number, rest = divmod(number, 58)
        chars.append(_ALPHABET[rest])
    zeros = len(data) - len(data.lstrip(b"\x00"))
    return "1" * zeros + "".join(reversed(chars))


def _b58decode(text: str) -> bytes:
    number = 0
    for char in text:
        if char not in _INDEX:
            raise RecoveryKeyError("contains a character that is not base58")
        number = number * 58 + _INDEX[char]
    zeros = len(text) - len(text.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\x00" * zeros + body


def decode(text: str) -> bytes:
    """The 32-byte key of a recovery key."""
    compact = "".join(text.split())
    if not compact:
        raise RecoveryKeyError("is empty")
    raw = _b58decode(compact)
    if len(raw) != len(PREFIX) + KEY_BYTES + 1 or not raw.startswith(PREFIX):
        raise RecoveryKeyError("is not a Matrix recovery key (48 base58 characters)")
    if _parity(raw[:-1]) != raw[-1]:
        raise RecoveryKeyError("has a typo (its check digit does not match)")
    return raw[len(PREFIX) : -1]


def encode(key: bytes) -> str:
    """The recovery key of a 32-byte key, in groups of four characters."""
    if len(key) != KEY_BYTES:
        raise ValueError("a recovery key holds 32 bytes")
    raw = PREFIX + key
    text = _b58encode(raw + bytes([_parity(raw)]))
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def generate() -> str:
    return encode(secrets.token_bytes(KEY_BYTES))


if __name__ == "__main__":
    print(generate())
