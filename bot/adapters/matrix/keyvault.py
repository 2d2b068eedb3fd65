"""Where the bot keeps its cross-signing private keys (master, self-signing, user-signing).

- In the database (the adapter's StateStore), sealed with `[matrix] pickle_key`: scrypt turns
  the pickle key into an AES-256-GCM key. The database, not the key store folder, so that a
  lost key store (a new device) can still be signed by the same identity.
- In the account's secret storage (SSSS) when `[matrix] recovery_key` is set: the same place and
  format Element uses (`m.cross_signing.master` etc., each the unpadded base64 of the key's
  seed), so keys made by Element can be used by the bot and the other way round.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from dataclasses import dataclass
from typing import Any

from Crypto.Cipher import AES
from Crypto.Protocol.KDF import scrypt
from nio import AsyncClient

from bot.adapters.matrix import ssss
from bot.adapters.matrix.api import get_account_data, put_account_data
from bot.adapters.matrix.signing import SigningKey, b64decode, b64encode
from bot.platform import StateStore

log = logging.getLogger(__name__)

STATE_NS = "matrix.cross_signing"
MASTER = "m.cross_signing.master"
SELF_SIGNING = "m.cross_signing.self_signing"
USER_SIGNING = "m.cross_signing.user_signing"
_SCRYPT_N = 2**15  # about 0.1 s, once per start


class SealError(Exception):
    """The sealed keys cannot be opened with this pickle key."""


@dataclass(frozen=True)
class CrossSigningKeys:
    master: SigningKey
    self_signing: SigningKey
    user_signing: SigningKey

    @classmethod
    def generate(cls) -> CrossSigningKeys:
        return cls(SigningKey.generate(), SigningKey.generate(), SigningKey.generate())

    def secrets(self) -> dict[str, str]:
        """The secret-storage form: name -> unpadded base64 of the seed."""
        return {
            MASTER: b64encode(self.master.seed),
            SELF_SIGNING: b64encode(self.self_signing.seed),
            USER_SIGNING: b64encode(self.user_signing.seed),
        }

    @classmethod
    def from_secrets(cls, values: dict[str, str]) -> CrossSigningKeys:
        try:
            return cls(
                *(SigningKey(b64decode(values[n])) for n in (MASTER, SELF_SIGNING, USER_SIGNING))
            )
        except (KeyError, ValueError) as error:
            raise SealError("not a set of cross-signing keys") from error


def _aes_key(pickle_key: str, salt: bytes) -> bytes:
    key = scrypt(pickle_key, salt, 32, N=_SCRYPT_N, r=8, p=1)
    assert isinstance(key, bytes)
    return key


def seal(pickle_key: str, plaintext: bytes) -> str:
    salt, nonce = secrets.token_bytes(16), secrets.token_bytes(12)
    cipher = AES.new(_aes_key(pickle_key, salt), AES.MODE_GCM, nonce=nonce)
    ciphertext, tag = cipher.encrypt_and_digest(plaintext)
    parts = {"salt": salt, "nonce": nonce, "ciphertext": ciphertext, "tag": tag}
    return json.dumps({"v": 1, "kdf": "scrypt", **{k: b64encode(v) for k, v in parts.items()}})


def unseal(pickle_key: str, sealed: str) -> bytes:
    try:
        value = json.loads(sealed)
        salt, nonce, ciphertext, tag = (
            b64decode(value[k]) for k in ("salt", "nonce", "ciphertext", "tag")
        )
        cipher = AES.new(_aes_key(pickle_key, salt), AES.MODE_GCM, nonce=nonce)
        plaintext: bytes = cipher.decrypt_and_verify(ciphertext, tag)
    except (ValueError, KeyError, TypeError) as error:
        raise SealError("the sealed keys do not open with this pickle key") from error
    return plaintext


class KeyVault:
    """The bot's own copy (database) and, with a recovery key, the account's secret storage."""

    def __init__(
        self, client: AsyncClient, state: StateStore, pickle_key: str, recovery_key: bytes | None
    ) -> None:
        self.client = client
        self.state = state
        self.pickle_key = pickle_key
        self.recovery_key = recovery_key

    @property
    def _state_key(self) -> str:
        return str(self.client.user_id)

    # The database copy ------------------------------------------------------------------------
    async def load_local(self) -> CrossSigningKeys | None:
        """Raises SealError when the stored keys do not open with the pickle key."""
        sealed = await self.state.get(STATE_NS, self._state_key)
        if not sealed:
            return None
        plaintext = await asyncio.to_thread(unseal, self.pickle_key, sealed)
        return CrossSigningKeys.from_secrets(json.loads(plaintext))

    async def save_local(self, keys: CrossSigningKeys) -> None:
        plaintext = json.dumps(keys.secrets()).encode("utf-8")
        sealed = await asyncio.to_thread(seal, self.pickle_key, plaintext)
        await self.state.put(STATE_NS, self._state_key, sealed)

    # Secret storage ---------------------------------------------------------------------------
    async def _default_key_id(self) -> str | None:
        default = await get_account_data(self.client, ssss.DEFAULT_KEY)
        key_id = default.get("key") if default else None
        return key_id if isinstance(key_id, str) and key_id else None

    async def _matching_key_id(self) -> str | None:
        """The default secret-storage key's id when the recovery key is that key."""
        assert self.recovery_key is not None
        key_id = await self._default_key_id()
        if key_id is None:
            return None
        description = await get_account_data(self.client, ssss.KEY_PREFIX + key_id)
        if description is None or not ssss.key_matches(self.recovery_key, description):
            return None
        return key_id

    async def load_from_secret_storage(self) -> CrossSigningKeys | None:
        """None without a recovery key, or when secret storage has no keys for it."""
        if self.recovery_key is None:
            return None
        key_id = await self._matching_key_id()
        if key_id is None:
            log.warning("matrix.recovery_key does not open this account's secret storage")
            return None
        values: dict[str, str] = {}
        for name in (MASTER, SELF_SIGNING, USER_SIGNING):
            stored = await get_account_data(self.client, name)
            encrypted = (stored or {}).get("encrypted", {}).get(key_id)
            if not isinstance(encrypted, dict):
                return None
            try:
                plaintext = ssss.decrypt(
                    self.recovery_key, name, ssss.Encrypted.from_dict(encrypted)
                )
                values[name] = plaintext.decode("utf-8")
            except (ssss.SecretError, UnicodeDecodeError):
                log.warning("matrix secret storage holds a secret that does not decrypt")
                return None
        return CrossSigningKeys.from_secrets(values)

    async def holds(self, keys: CrossSigningKeys) -> bool:
        """Secret storage already has these keys under the recovery key."""
        if self.recovery_key is None:
            return False
        found = await self.load_from_secret_storage()
        return found is not None and found.secrets() == keys.secrets()

    async def save_to_secret_storage(self, keys: CrossSigningKeys) -> None:
        """Store the keys under the recovery key. An account without secret storage gets it,
        with the recovery key as its default key; one whose default key is another is left
        alone."""
        if self.recovery_key is None:
            return
        key_id = await self._matching_key_id()
        if key_id is None and await self._default_key_id() is not None:
            # Another key guards this account's secrets (e.g. Element's): never replaced.
            log.warning(
                "matrix.recovery_key does not open this account's secret storage: the "
                "cross-signing keys are kept in the database only"
            )
            return
        if key_id is None:
            key_id = ssss.new_key_id()
            description = ssss.key_description(self.recovery_key, "cohortbot")
            await put_account_data(self.client, ssss.KEY_PREFIX + key_id, description)
            await put_account_data(self.client, ssss.DEFAULT_KEY, {"key": key_id})
        for name, value in keys.secrets().items():
            encrypted = ssss.encrypt(self.recovery_key, name, value.encode("utf-8"))
            content: dict[str, Any] = {"encrypted": {key_id: encrypted.as_dict()}}
            await put_account_data(self.client, name, content)
        log.info("matrix cross-signing keys stored in secret storage")
