"""The pieces of the bot's Matrix cross-signing, each against an independent implementation
where one exists (canonicaljson and signedjson are Synapse's libraries)."""

from __future__ import annotations

import canonicaljson
import pytest
from hypothesis import given
from hypothesis import strategies as st
from signedjson.key import decode_verify_key_bytes, generate_signing_key, get_verify_key
from signedjson.sign import sign_json, verify_signed_json
from unpaddedbase64 import decode_base64, encode_base64

from bot import recovery_key
from bot.adapters.matrix import ssss
from bot.adapters.matrix.crosssigning import PublishedIdentity, key_object, upload_body
from bot.adapters.matrix.keyvault import CrossSigningKeys, SealError, seal, unseal
from bot.adapters.matrix.signing import SigningKey, b64decode, canonical_json, verify_json

USER = "@bot:example.org"
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@given(json_values)
def test_canonical_json_is_canonicaljson(value: object) -> None:
    assert canonical_json(value) == canonicaljson.encode_canonical_json(value)


def test_canonical_json_examples_of_the_spec() -> None:
    assert canonical_json({"b": "2", "a": "1"}) == b'{"a":"1","b":"2"}'
    assert canonical_json({"a": "日本語"}) == '{"a":"日本語"}'.encode()
    assert canonical_json({"a": "\u0000"}) == b'{"a":"\\u0000"}'


def test_our_signatures_verify_with_signedjson_and_theirs_with_ours() -> None:
    key = SigningKey.generate()
    value = {"user_id": USER, "usage": ["self_signing"], "keys": {key.key_id: key.public_key}}
    signed = key.sign_json(value, USER)
    verify_key = decode_verify_key_bytes(key.key_id, decode_base64(key.public_key))
    verify_signed_json(signed, USER, verify_key)
    assert verify_json(signed, USER, key.public_key)
    assert not verify_json({**signed, "usage": ["master"]}, USER, key.public_key)
    assert not verify_json(signed, "@someone:else", key.public_key)

    theirs = generate_signing_key("x")
    public = encode_base64(get_verify_key(theirs).encode())
    theirs.version = public
    assert verify_json(sign_json({"a": 1}, USER, theirs), USER, public)


def test_a_signature_keeps_the_others() -> None:
    first, second = SigningKey.generate(), SigningKey.generate()
    both = second.sign_json(first.sign_json({"a": 1}, USER), USER)
    assert verify_json(both, USER, first.public_key) and verify_json(both, USER, second.public_key)


def test_recovery_keys_round_trip_and_catch_typos() -> None:
    raw = bytes(range(32))
    text = recovery_key.encode(raw)
    assert len(text.replace(" ", "")) == 48 and text.startswith("Es")
    assert recovery_key.decode(text) == raw
    assert recovery_key.decode(text.replace(" ", "")) == raw
    assert recovery_key.decode(f"  {text}\n") == raw
    for broken in (text[:-1] + ("a" if text[-1] != "a" else "b"), text[:-4], "Zz" + text[2:]):
        with pytest.raises(recovery_key.RecoveryKeyError):
            recovery_key.decode(broken)
    with pytest.raises(recovery_key.RecoveryKeyError, match="base58"):
        recovery_key.decode("0" * 48)


def test_secret_storage_encryption() -> None:
    key, other = bytes(32), bytes([1]) * 32
    encrypted = ssss.encrypt(key, "m.cross_signing.master", b"secret text")
    assert b64decode(encrypted.iv)[8] & 0x80 == 0  # bit 63 of the IV is cleared
    assert ssss.decrypt(key, "m.cross_signing.master", encrypted) == b"secret text"
    with pytest.raises(ssss.SecretError):
        ssss.decrypt(other, "m.cross_signing.master", encrypted)
    with pytest.raises(ssss.SecretError):  # the name is part of the key derivation
        ssss.decrypt(key, "m.cross_signing.self_signing", encrypted)
    description = ssss.key_description(key)
    assert ssss.key_matches(key, description) and not ssss.key_matches(other, description)
    assert not ssss.key_matches(key, {**description, "algorithm": "m.other"})


def test_sealed_keys_open_only_with_their_pickle_key() -> None:
    keys = CrossSigningKeys.generate()
    sealed = seal("pickle", b"the keys")
    assert b"the keys" not in sealed.encode()
    assert unseal("pickle", sealed) == b"the keys"
    with pytest.raises(SealError):
        unseal("another pickle key", sealed)
    assert CrossSigningKeys.from_secrets(keys.secrets()) == keys


def test_the_published_identity_is_judged_by_its_signatures() -> None:
    keys = CrossSigningKeys.generate()
    body = upload_body(USER, keys)
    device_key = SigningKey.generate()
    device = device_key.sign_json(
        {"user_id": USER, "device_id": "DEV", "keys": {"ed25519:DEV": device_key.public_key}},
        USER,
    )
    query = {
        "master_keys": {USER: body["master_key"]},
        "self_signing_keys": {USER: body["self_signing_key"]},
        "device_keys": {USER: {"DEV": device}},
    }
    unsigned = PublishedIdentity.from_query(query, USER, "DEV")
    assert unsigned.made_by(keys) and not unsigned.device_signed
    query["device_keys"][USER]["DEV"] = keys.self_signing.sign_json(device, USER)
    assert PublishedIdentity.from_query(query, USER, "DEV").device_signed
    # A self-signing key without the master's signature signs nothing.
    query["self_signing_keys"][USER] = key_object(USER, "self_signing", keys.self_signing)
    forged = PublishedIdentity.from_query(query, USER, "DEV")
    assert not forged.device_signed and not forged.made_by(keys)
    assert PublishedIdentity.from_query({}, USER, "DEV").master is None


class MemoryState:
    def __init__(self) -> None:
        self.values: dict[tuple[str, str], str] = {}

    async def get(self, namespace: str, key: str) -> str | None:
        return self.values.get((namespace, key))

    async def put(self, namespace: str, key: str, value: str) -> None:
        self.values[(namespace, key)] = value


async def test_the_database_copy_is_sealed_with_the_pickle_key() -> None:
    from nio import AsyncClient

    from bot.adapters.matrix.keyvault import KeyVault

    client = AsyncClient("http://127.0.0.1:9", USER)
    state = MemoryState()
    try:
        vault = KeyVault(client, state, "pickle", None)
        assert await vault.load_local() is None
        keys = CrossSigningKeys.generate()
        await vault.save_local(keys)
        [stored] = state.values.values()
        assert all(seed not in stored for seed in keys.secrets().values())
        assert await KeyVault(client, state, "pickle", None).load_local() == keys
        with pytest.raises(SealError):
            await KeyVault(client, state, "another pickle key", None).load_local()
    finally:
        await client.close()


def test_the_platform_refuses_a_malformed_recovery_key() -> None:
    from dataclasses import replace

    from bot.adapters.matrix import MatrixPlatform
    from bot.clock import SystemClock
    from bot.config import MatrixConfig
    from bot.errors import ConfigError

    config = MatrixConfig(
        homeserver="http://127.0.0.1:9", user_id=USER, password="pw", pickle_key="pickle"
    )
    MatrixPlatform(
        replace(config, recovery_key=recovery_key.generate()), SystemClock(), MemoryState()
    )
    with pytest.raises(ConfigError, match=r"^config error: matrix\.recovery_key: "):
        MatrixPlatform(replace(config, recovery_key="EsTc nope"), SystemClock(), MemoryState())
