"""Cross-signing for the bot's own account (Matrix spec "Cross-signing"; MSC4153: Element now
refuses to exchange encrypted messages with devices their owner has not cross-signed).

At every start, once the device has published its keys:
1. `/keys/query` for the bot itself: its master and self-signing keys, and its device's keys.
2. No identity on the account yet: make master, self-signing and user-signing keys, upload them
   (`/keys/device_signing/upload`; a first upload needs no password, MSC3967) and keep them
   (database, sealed with the pickle key; secret storage with a recovery key).
3. An identity whose private keys the bot holds (database, else secret storage): sign this
   device with the self-signing key if it is not signed yet (`/keys/signatures/upload`), and
   the master key with this device's key (so the device trusts its identity too).
4. An identity whose keys the bot does not hold: never replaced, unless
   `[matrix] reset_cross_signing` allows it (then a password confirms the replacement). If the
   bot cannot sign, one warning names what to set, and the bot goes on unsigned.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
from nio import AsyncClient

from bot import recovery_key
from bot.adapters.matrix.api import ApiProblem, ApiReply, call
from bot.adapters.matrix.keyvault import CrossSigningKeys, KeyVault, SealError
from bot.adapters.matrix.signing import SigningKey, signable, verify_json
from bot.config import MatrixConfig
from bot.errors import ConfigError
from bot.platform import StateStore

log = logging.getLogger(__name__)


class Outcome(enum.Enum):
    ALREADY_SIGNED = "already signed"
    SIGNED = "signed"  # this device, by the identity the bot already had
    CREATED = "created"  # a first identity for the account, and this device signed by it
    REPLACED = "replaced"  # a new identity in place of one the bot could not use
    NOT_SIGNED = "not signed"


@dataclass(frozen=True)
class CrossSigningResult:
    outcome: Outcome
    master_key: str | None = None  # the account's master public key afterwards
    problem: str | None = None  # with NOT_SIGNED: one line that says what to set

    @property
    def signed(self) -> bool:
        return self.outcome is not Outcome.NOT_SIGNED


class CannotSign(Exception):
    """Why this device stays unsigned, said as what the operator can set."""


def _key_of(value: object, usage: str) -> str | None:
    """The one ed25519 public key of a cross-signing key object with this usage."""
    if not isinstance(value, Mapping) or usage not in value.get("usage", ()):
        return None
    keys = value.get("keys")
    if not isinstance(keys, Mapping) or len(keys) != 1:
        return None
    [(key_id, public)] = keys.items()
    if not str(key_id).startswith("ed25519:") or not isinstance(public, str):
        return None
    return public


@dataclass(frozen=True)
class PublishedIdentity:
    """What the homeserver publishes about the bot's own account and this device."""

    master: str | None
    self_signing: str | None
    self_signing_valid: bool  # the self-signing key carries the master key's signature
    device_keys: Mapping[str, Any] | None
    device_signed: bool  # this device carries the self-signing key's valid signature

    @classmethod
    def from_query(cls, body: Mapping[str, Any], user_id: str, device_id: str) -> PublishedIdentity:
        master = _key_of(body.get("master_keys", {}).get(user_id), "master")
        ssk_object = body.get("self_signing_keys", {}).get(user_id)
        ssk = _key_of(ssk_object, "self_signing")
        ssk_valid = bool(master and ssk and verify_json(ssk_object, user_id, master))
        device = body.get("device_keys", {}).get(user_id, {}).get(device_id)
        device_keys = device if isinstance(device, Mapping) else None
        signed = bool(ssk_valid and device_keys and ssk and verify_json(device_keys, user_id, ssk))
        return cls(master, ssk, ssk_valid, device_keys, signed)

    def made_by(self, keys: CrossSigningKeys) -> bool:
        return (
            self.master == keys.master.public_key
            and self.self_signing == keys.self_signing.public_key
            and self.self_signing_valid
        )


def key_object(user_id: str, usage: str, key: SigningKey) -> dict[str, Any]:
    return {"user_id": user_id, "usage": [usage], "keys": {key.key_id: key.public_key}}


def upload_body(user_id: str, keys: CrossSigningKeys) -> dict[str, Any]:
    """The three public keys, the self-signing and user-signing ones signed by the master."""
    master = keys.master
    return {
        "master_key": key_object(user_id, "master", master),
        "self_signing_key": master.sign_json(
            key_object(user_id, "self_signing", keys.self_signing), user_id
        ),
        "user_signing_key": master.sign_json(
            key_object(user_id, "user_signing", keys.user_signing), user_id
        ),
    }


class CrossSigning:
    """Makes this device cross-signed (see the module's text). One instance per start."""

    def __init__(
        self, client: AsyncClient, vault: KeyVault, *, password: str, allow_reset: bool
    ) -> None:
        self.client = client
        self.vault = vault
        self.password = password
        self.allow_reset = allow_reset

    @property
    def user_id(self) -> str:
        return str(self.client.user_id)

    @property
    def device_id(self) -> str:
        return str(self.client.device_id)

    async def ensure(self) -> CrossSigningResult:
        """Raises ApiProblem (the homeserver refused something unexpected), SealError (the
        pickle key does not open the stored keys) and network errors; CannotSign becomes
        NOT_SIGNED with its line."""
        try:
            return await self._ensure()
        except CannotSign as why:
            return CrossSigningResult(
                Outcome.NOT_SIGNED,
                problem=f"matrix device {self.device_id} is not cross-signed, so Element users "
                f"cannot exchange encrypted messages with the bot: {why}",
            )

    async def _ensure(self) -> CrossSigningResult:
        published = await self.published()
        if published.device_keys is None:
            raise CannotSign(
                "the homeserver does not list this device's keys; retried at the next start"
            )
        local = await self.vault.load_local()
        if published.master is None:
            return await self._adopt(local or CrossSigningKeys.generate(), Outcome.CREATED)
        keys: CrossSigningKeys | None = (
            local if local is not None and published.made_by(local) else None
        )
        if keys is None:
            stored = await self.vault.load_from_secret_storage()
            if stored is not None and published.made_by(stored):
                keys = stored
                await self.vault.save_local(keys)
        if keys is None:
            if self.allow_reset:
                return await self._adopt(CrossSigningKeys.generate(), Outcome.REPLACED)
            raise CannotSign(
                "the account already has a cross-signing identity whose private keys the bot "
                "does not hold: set matrix.recovery_key (the account's recovery key), or "
                "matrix.reset_cross_signing = true to replace that identity"
            )
        if self.vault.recovery_key is not None and not await self.vault.holds(keys):
            await self.vault.save_to_secret_storage(keys)
        if published.device_signed:
            return CrossSigningResult(Outcome.ALREADY_SIGNED, keys.master.public_key)
        await self._sign_device(keys, published.device_keys)
        return CrossSigningResult(Outcome.SIGNED, keys.master.public_key)

    async def published(self) -> PublishedIdentity:
        reply = await call(
            self.client, "POST", "/keys/query", {"device_keys": {self.user_id: [self.device_id]}}
        )
        if not reply.ok:
            raise ApiProblem("keys/query", reply)
        return PublishedIdentity.from_query(reply.body, self.user_id, self.device_id)

    async def _adopt(self, keys: CrossSigningKeys, outcome: Outcome) -> CrossSigningResult:
        """Publish `keys` as the account's identity, keep them, and sign this device."""
        await self.vault.save_local(keys)  # first: never an identity on the server we lost
        await self._upload_keys(keys)
        await self.vault.save_to_secret_storage(keys)
        published = await self.published()
        if published.device_keys is None or not published.made_by(keys):
            raise ApiProblem("keys/device_signing/upload (not applied)", ApiReply(200))
        await self._sign_device(keys, published.device_keys)
        log.info("matrix cross-signing identity %s", outcome.value)
        return CrossSigningResult(outcome, keys.master.public_key)

    async def _upload_keys(self, keys: CrossSigningKeys) -> None:
        body = upload_body(self.user_id, keys)
        path = "/keys/device_signing/upload"
        reply = await call(self.client, "POST", path, body)
        if reply.status == 401 and "flows" in reply.body:
            reply = await call(self.client, "POST", path, {**body, "auth": self._auth(reply)})
            if reply.status in (401, 403):
                raise CannotSign(
                    "the homeserver refused matrix.password for replacing the identity"
                )
        if not reply.ok:
            raise ApiProblem("keys/device_signing/upload", reply)

    def _auth(self, challenge: ApiReply) -> dict[str, Any]:
        """User-interactive auth for replacing an identity: the account's password."""
        flows = challenge.body.get("flows", [])
        stages = [list(flow.get("stages", [])) for flow in flows if isinstance(flow, Mapping)]
        if ["m.login.password"] not in stages:
            url = next(
                (
                    p.get("url")
                    for p in challenge.body.get("params", {}).values()
                    if isinstance(p, Mapping) and p.get("url")
                ),
                None,
            )
            where = f" (approve it at {url}, then restart)" if url else ""
            raise CannotSign(
                f"the homeserver does not accept a password to replace the identity{where}"
            )
        if not self.password:
            raise CannotSign(
                "replacing the identity needs the account's password: set matrix.password "
                "(for one start is enough)"
            )
        return {
            "type": "m.login.password",
            "identifier": {"type": "m.id.user", "user": self.user_id},
            "password": self.password,
            "session": challenge.body.get("session"),
        }

    async def _sign_device(self, keys: CrossSigningKeys, device_keys: Mapping[str, Any]) -> None:
        """This device signed by the self-signing key; the master key signed by this device."""
        assert self.client.olm is not None
        device = keys.self_signing.sign_json(signable(device_keys), self.user_id)
        master = key_object(self.user_id, "master", keys.master)
        master["signatures"] = {
            self.user_id: {f"ed25519:{self.device_id}": self.client.olm.sign_json(master)}
        }
        body = {self.user_id: {self.device_id: device, keys.master.public_key: master}}
        reply = await call(self.client, "POST", "/keys/signatures/upload", body)
        if not reply.ok:
            raise ApiProblem("keys/signatures/upload", reply)
        if reply.body.get("failures"):
            log.warning(
                "matrix signature upload partly refused",
                extra={"failed": ",".join(sorted(reply.body["failures"].get(self.user_id, {})))},
            )
            raise ApiProblem("keys/signatures/upload (failures)", reply)


_NETWORK_ERRORS = (aiohttp.ClientError, asyncio.TimeoutError, TimeoutError, OSError)


async def cross_sign(
    client: AsyncClient, state: StateStore, config: MatrixConfig
) -> CrossSigningResult | None:
    """At start, before the first sync: this device's keys published, then cross-signed.
    None when the homeserver could not be asked (tried again at the next start); a line for
    the operator is logged when the device stays unsigned."""
    try:
        if client.should_upload_keys:
            await client.keys_upload()
        vault = KeyVault(
            client,
            state,
            config.pickle_key,
            recovery_key.decode(config.recovery_key) if config.recovery_key else None,
        )
        signing = CrossSigning(
            client, vault, password=config.password, allow_reset=config.reset_cross_signing
        )
        result = await signing.ensure()
    except SealError:
        raise ConfigError(
            "matrix.pickle_key", "does not open the cross-signing keys kept in the database"
        ) from None
    except (ApiProblem, *_NETWORK_ERRORS) as error:
        log.warning(
            "matrix cross-signing not checked (tried again at the next start)",
            extra={"error": str(error) or type(error).__name__},
        )
        return None
    if result.problem is not None:
        log.warning(result.problem)
    else:
        log.info(
            "matrix device cross-signed",
            extra={"outcome": result.outcome.value, "master_key": result.master_key},
        )
    return result
