"""matrix-nio 0.26 (E2EE through vodozemac) against a real Synapse.

Proves what the Matrix adapter relies on: login, DMs, encrypted rooms both ways,
undecryptable events surfacing as MegolmEvent, idempotent sends by transaction id,
no 429 with the harness's relaxed limits, a real 429 surfacing at once (nio not
sleeping on it), and an encrypted device restored from its pickle-key-protected store.
"""

from __future__ import annotations

import io
import secrets
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pytest
from nio import (
    AsyncClient,
    AsyncClientConfig,
    EnableEncryptionBuilder,
    EncryptionError,
    Event,
    JoinResponse,
    KeysClaimResponse,
    KeysQueryResponse,
    KeysUploadResponse,
    LoginResponse,
    MatrixRoom,
    MegolmEvent,
    MemoryDownloadResponse,
    OlmUnverifiedDeviceError,
    RoomCreateResponse,
    RoomEncryptedFile,
    RoomMessagesResponse,
    RoomMessageText,
    RoomPreset,
    RoomSendError,
    RoomSendResponse,
    SyncResponse,
    UploadResponse,
)
from nio.crypto import decrypt_attachment

from .synapse import SynapseServer

pytestmark = pytest.mark.timeout(120)

# Each sync long-polls for at most this long; MAX_SYNCS bounds every wait below.
SYNC_TIMEOUT_MS = 1000
MAX_SYNCS = 40


@dataclass(frozen=True)
class Account:
    user_id: str
    password: str


@dataclass
class Inbox:
    """Records the room events nio hands to callbacks (decrypted ones already replaced)."""

    events: list[tuple[str, Event]] = field(default_factory=list)

    async def record(self, room: MatrixRoom, event: Event) -> None:
        self.events.append((room.room_id, event))

    def texts(self, room_id: str) -> list[RoomMessageText]:
        return [e for r, e in self.events if r == room_id and isinstance(e, RoomMessageText)]

    def bodies(self, room_id: str) -> list[str]:
        return [e.body for e in self.texts(room_id)]

    def undecryptable(self, room_id: str) -> list[MegolmEvent]:
        return [e for r, e in self.events if r == room_id and isinstance(e, MegolmEvent)]

    def files(self, room_id: str) -> list[RoomEncryptedFile]:
        return [e for r, e in self.events if r == room_id and isinstance(e, RoomEncryptedFile)]


@dataclass
class Peer:
    client: AsyncClient
    account: Account
    inbox: Inbox
    store_path: Path

    @property
    def user_id(self) -> str:
        return self.account.user_id


class PeerFactory(Protocol):
    async def __call__(
        self,
        name: str,
        *,
        account: Account | None = None,
        pickle_key: str | None = None,
        store_path: Path | None = None,
        restore: tuple[str, str] | None = None,
    ) -> Peer: ...


def client_config(pickle_key: str) -> AsyncClientConfig:
    return AsyncClientConfig(
        encryption_enabled=True,
        store_sync_tokens=True,
        # The key store is encrypted with this, never nio's default "DEFAULT_KEY".
        pickle_key=pickle_key,
        # A 429 comes back as RoomSendError at once instead of nio sleeping and retrying.
        max_limit_exceeded=0,
        max_timeouts=2,
        request_timeout=30,
    )


@pytest.fixture
async def make_peer(synapse: SynapseServer, tmp_path: Path) -> AsyncIterator[PeerFactory]:
    peers: list[Peer] = []

    async def make(
        name: str,
        *,
        account: Account | None = None,
        pickle_key: str | None = None,
        store_path: Path | None = None,
        restore: tuple[str, str] | None = None,
    ) -> Peer:
        if account is None:
            password = secrets.token_urlsafe(12)
            user_id = synapse.register(f"{name}-{secrets.token_hex(4)}", password)
            account = Account(user_id, password)
        if store_path is None:
            store_path = tmp_path / f"{name}-{secrets.token_hex(4)}"
            store_path.mkdir()
        client = AsyncClient(
            synapse.base_url,
            account.user_id,
            store_path=str(store_path),
            config=client_config(pickle_key or f"pickle-{name}-{secrets.token_hex(8)}"),
        )
        inbox = Inbox()
        client.add_event_callback(inbox.record, (RoomMessageText, MegolmEvent, RoomEncryptedFile))
        peer = Peer(client, account, inbox, store_path)
        peers.append(peer)
        if restore is None:
            login = await client.login(account.password, device_name=f"{name} test device")
            assert isinstance(login, LoginResponse), login
        else:
            device_id, access_token = restore
            client.restore_login(account.user_id, device_id, access_token)
        return peer

    try:
        yield make
    finally:
        for peer in peers:
            await peer.client.close()
            if peer.client.store is not None:
                peer.client.store.database.close()


async def sync_once(client: AsyncClient, *, full_state: bool | None = None) -> SyncResponse:
    response = await client.sync(timeout=SYNC_TIMEOUT_MS, full_state=full_state)
    assert isinstance(response, SyncResponse), response
    # What sync_forever does between two syncs: key upkeep and queued to-device messages.
    if client.should_upload_keys:
        assert isinstance(await client.keys_upload(), KeysUploadResponse)
    if client.should_query_keys:
        assert isinstance(await client.keys_query(), KeysQueryResponse)
    if client.should_claim_keys:
        claimed = await client.keys_claim(client.get_users_for_key_claiming())
        assert isinstance(claimed, KeysClaimResponse)
    await client.send_to_device_messages()
    return response


async def sync_until(client: AsyncClient, done: Callable[[], bool], what: str) -> None:
    for _ in range(MAX_SYNCS):
        if done():
            return
        await sync_once(client)
    assert done(), f"{client.user_id}: no {what} after {MAX_SYNCS} syncs"


def joined(client: AsyncClient, room_id: str, user_id: str) -> bool:
    room = client.rooms.get(room_id)
    return room is not None and user_id in room.users and user_id not in room.invited_users


def text(body: str) -> dict[str, Any]:
    return {"msgtype": "m.text", "body": body}


async def send(
    peer: Peer, room_id: str, body: str, *, tx_id: str | None = None
) -> RoomSendResponse:
    response = await peer.client.room_send(
        room_id, "m.room.message", text(body), tx_id=tx_id, ignore_unverified_devices=True
    )
    assert isinstance(response, RoomSendResponse), response
    return response


async def open_room(inviter: Peer, invitee: Peer, *, encrypted: bool) -> str:
    """inviter creates a room (a DM, or an encrypted private room) and invitee joins it."""
    if encrypted:
        created = await inviter.client.room_create(
            invite=[invitee.user_id],
            preset=RoomPreset.private_chat,
            initial_state=[EnableEncryptionBuilder().as_dict()],
        )
    else:
        created = await inviter.client.room_create(
            invite=[invitee.user_id], is_direct=True, preset=RoomPreset.trusted_private_chat
        )
    assert isinstance(created, RoomCreateResponse), created
    room_id: str = created.room_id

    await sync_until(invitee.client, lambda: room_id in invitee.client.invited_rooms, "invite")
    assert isinstance(await invitee.client.join(room_id), JoinResponse)
    await sync_until(invitee.client, lambda: room_id in invitee.client.rooms, "joined room")
    await sync_until(
        inviter.client, lambda: joined(inviter.client, room_id, invitee.user_id), "join"
    )
    for peer in (inviter, invitee):
        assert peer.client.rooms[room_id].encrypted is encrypted
    return room_id


async def count_bodies(peer: Peer, room_id: str, body: str) -> int:
    """How many events with this body the server holds (newest 100, via /messages)."""
    history = await peer.client.room_messages(room_id, limit=100)
    assert isinstance(history, RoomMessagesResponse), history
    return sum(1 for e in history.chunk if isinstance(e, RoomMessageText) and e.body == body)


# -- plain rooms ---------------------------------------------------------------------------


async def test_dm_plain_message_roundtrip(make_peer: PeerFactory) -> None:
    alice = await make_peer("alice")
    bob = await make_peer("bob")
    room_id = await open_room(alice, bob, encrypted=False)

    sent = await send(alice, room_id, "hello bob, plain")

    await sync_until(bob.client, lambda: bool(bob.inbox.texts(room_id)), "message")
    [received] = bob.inbox.texts(room_id)
    assert received.body == "hello bob, plain"
    assert received.sender == alice.user_id
    assert received.event_id == sent.event_id
    assert received.decrypted is False


async def test_resend_with_same_txn_id_yields_one_event(make_peer: PeerFactory) -> None:
    alice = await make_peer("alice")
    bob = await make_peer("bob")
    room_id = await open_room(alice, bob, encrypted=False)
    tx_id = f"outbox-{secrets.token_hex(8)}"

    first = await send(alice, room_id, "sent once", tx_id=tx_id)
    again = await send(alice, room_id, "sent once", tx_id=tx_id)
    other = await send(alice, room_id, "sent once", tx_id=f"{tx_id}-other")

    assert again.event_id == first.event_id
    assert other.event_id != first.event_id  # a new txn id is a new event
    assert await count_bodies(alice, room_id, "sent once") == 2
    await sync_until(bob.client, lambda: len(bob.inbox.texts(room_id)) >= 2, "messages")
    assert sorted(e.event_id for e in bob.inbox.texts(room_id)) == sorted(
        [first.event_id, other.event_id]
    )


async def test_fifty_quick_messages_get_no_429(make_peer: PeerFactory) -> None:
    alice = await make_peer("alice")
    bob = await make_peer("bob")
    room_id = await open_room(alice, bob, encrypted=False)

    replies = [
        await alice.client.room_send(room_id, "m.room.message", text(f"burst {n}"))
        for n in range(50)
    ]

    errors = [r for r in replies if not isinstance(r, RoomSendResponse)]
    assert errors == []
    history = await alice.client.room_messages(room_id, limit=100)
    assert isinstance(history, RoomMessagesResponse)
    bodies = {e.body for e in history.chunk if isinstance(e, RoomMessageText)}
    assert bodies == {f"burst {n}" for n in range(50)}


async def test_rate_limit_surfaces_at_once_as_room_send_error(
    synapse: SynapseServer, make_peer: PeerFactory
) -> None:
    alice = await make_peer("alice")
    bob = await make_peer("bob")
    room_id = await open_room(alice, bob, encrypted=False)
    synapse.override_ratelimit(alice.user_id, messages_per_second=1, burst_count=1)

    limited: RoomSendError | None = None
    for n in range(10):
        reply = await alice.client.room_send(room_id, "m.room.message", text(f"flood {n}"))
        if isinstance(reply, RoomSendError):
            limited = reply
            break

    # Had nio slept and retried (its default), every send would have succeeded in the end.
    assert limited is not None, "no 429 although the user is limited to 1 message/s"
    assert limited.status_code == "M_LIMIT_EXCEEDED"
    assert limited.retry_after_ms is not None
    assert limited.retry_after_ms > 0


# -- encrypted rooms -----------------------------------------------------------------------


async def encrypted_pair(make_peer: PeerFactory) -> tuple[Peer, Peer, str]:
    alice = await make_peer("alice")
    bob = await make_peer("bob")
    for peer in (alice, bob):
        await sync_once(peer.client)  # uploads device and one-time keys
        assert peer.client.olm is not None
        assert peer.client.olm_account_shared
    room_id = await open_room(alice, bob, encrypted=True)
    return alice, bob, room_id


async def test_encrypted_room_roundtrip_both_ways(make_peer: PeerFactory) -> None:
    alice, bob, room_id = await encrypted_pair(make_peer)

    # Nobody verified Bob's device: nio refuses to share the room key unless told to.
    with pytest.raises(OlmUnverifiedDeviceError):
        await alice.client.room_send(room_id, "m.room.message", text("not sent"))

    tx_id = f"outbox-{secrets.token_hex(8)}"
    sent = await send(alice, room_id, "secret for bob", tx_id=tx_id)
    resent = await send(alice, room_id, "secret for bob", tx_id=tx_id)  # re-encrypted
    assert resent.event_id == sent.event_id

    await sync_until(bob.client, lambda: bool(bob.inbox.texts(room_id)), "decrypted message")
    [received] = bob.inbox.texts(room_id)
    assert received.body == "secret for bob"
    assert received.sender == alice.user_id
    assert received.event_id == sent.event_id
    assert received.decrypted is True
    assert bob.inbox.undecryptable(room_id) == []

    reply = await send(bob, room_id, "secret for alice")
    await sync_until(alice.client, lambda: bool(alice.inbox.texts(room_id)), "decrypted reply")
    from_bob = [e for e in alice.inbox.texts(room_id) if e.sender == bob.user_id]
    assert [(e.body, e.event_id, e.decrypted) for e in from_bob] == [
        ("secret for alice", reply.event_id, True)
    ]


async def test_encrypted_file_upload_and_download(make_peer: PeerFactory) -> None:
    alice, bob, room_id = await encrypted_pair(make_peer)
    calendar = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"

    # In an encrypted room the file itself is encrypted; its key travels in the event.
    uploaded, keys = await alice.client.upload(
        io.BytesIO(calendar),
        content_type="text/calendar",
        filename="session.ics",
        encrypt=True,
        filesize=len(calendar),
    )
    assert isinstance(uploaded, UploadResponse), uploaded
    assert keys is not None
    content = {
        "msgtype": "m.file",
        "body": "session.ics",
        "filename": "session.ics",
        "info": {"mimetype": "text/calendar", "size": len(calendar)},
        "file": {**keys, "url": uploaded.content_uri},
    }
    sent = await alice.client.room_send(
        room_id, "m.room.message", content, ignore_unverified_devices=True
    )
    assert isinstance(sent, RoomSendResponse), sent

    await sync_until(bob.client, lambda: bool(bob.inbox.files(room_id)), "encrypted file")
    [received] = bob.inbox.files(room_id)
    assert (received.body, received.mimetype) == ("session.ics", "text/calendar")
    downloaded = await bob.client.download(mxc=received.url)
    assert isinstance(downloaded, MemoryDownloadResponse), downloaded
    assert downloaded.body != calendar  # the server only ever holds ciphertext
    plain = decrypt_attachment(
        downloaded.body, received.key["k"], received.hashes["sha256"], received.iv
    )
    assert plain == calendar


async def test_device_without_room_key_gets_megolm_event(make_peer: PeerFactory) -> None:
    alice, bob, room_id = await encrypted_pair(make_peer)
    sent = await send(alice, room_id, "before the new device existed")

    # Bob logs in a second device afterwards: it sees the event but never got its key.
    late = await make_peer("bob-late", account=bob.account)
    await sync_until(
        late.client, lambda: bool(late.inbox.undecryptable(room_id)), "undecryptable event"
    )

    [undecryptable] = late.inbox.undecryptable(room_id)
    assert undecryptable.event_id == sent.event_id
    assert undecryptable.sender == alice.user_id
    assert late.inbox.texts(room_id) == []
    with pytest.raises(EncryptionError):
        late.client.decrypt_event(undecryptable)


async def test_encrypted_device_restores_from_its_pickle_key_store(
    make_peer: PeerFactory,
) -> None:
    alice, bob, room_id = await encrypted_pair(make_peer)
    first = await send(bob, room_id, "before restart")
    await sync_until(alice.client, lambda: bool(alice.inbox.texts(room_id)), "message")
    pickle_key = alice.client.config.pickle_key
    olm = alice.client.olm
    assert olm is not None
    identity = dict(olm.account.identity_keys)
    device_id, token, next_batch = (
        alice.client.device_id,
        alice.client.access_token,
        alice.client.next_batch,
    )
    assert device_id is not None
    await alice.client.close()

    # The same device comes back: same store directory and pickle key, no new login.
    again = await make_peer(
        "alice-again",
        account=alice.account,
        pickle_key=pickle_key,
        store_path=alice.store_path,
        restore=(device_id, token),
    )
    again_olm = again.client.olm
    assert again_olm is not None
    assert dict(again_olm.account.identity_keys) == identity
    assert again.client.loaded_sync_token == next_batch
    # nio keeps no room list across restarts: the first sync must carry full state.
    await sync_once(again.client, full_state=True)
    assert again.client.rooms[room_id].encrypted
    assert again.inbox.texts(room_id) == []  # the stored token skips what was seen

    second = await send(again, room_id, "after restart")
    await sync_until(bob.client, lambda: "after restart" in bob.inbox.bodies(room_id), "msg")
    assert second.event_id != first.event_id
    [received] = [e for e in bob.inbox.texts(room_id) if e.sender == alice.user_id]
    assert (received.body, received.event_id, received.decrypted) == (
        "after restart",
        second.event_id,
        True,
    )
