"""A person on Matrix for the bot's end-to-end tests: a nio client (with E2EE) that opens rooms
with the bot, writes to it and reads what the bot answers, through a real Synapse."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nio import (
    AsyncClient,
    AsyncClientConfig,
    EnableEncryptionBuilder,
    Event,
    InviteMemberEvent,
    JoinResponse,
    KeysClaimResponse,
    KeysQueryResponse,
    KeysUploadResponse,
    LoginResponse,
    MatrixRoom,
    MegolmEvent,
    RoomCreateResponse,
    RoomEncryptedFile,
    RoomMessageFile,
    RoomMessageNotice,
    RoomMessagesResponse,
    RoomMessageText,
    RoomPreset,
    RoomSendResponse,
    SyncResponse,
)

from .synapse import SynapseServer

SYNC_TIMEOUT_MS = 500
MAX_SYNCS = 80  # every wait below is bounded by this many syncs (about 40 s)


@dataclass
class Peer:
    """One person (one device) on the test homeserver."""

    client: AsyncClient
    password: str
    store: Path
    events: list[tuple[str, Event]] = field(default_factory=list)
    invites: list[str] = field(default_factory=list)

    @property
    def user_id(self) -> str:
        return str(self.client.user_id)

    async def record(self, room: MatrixRoom, event: Event) -> None:
        self.events.append((room.room_id, event))

    async def record_invite(self, room: MatrixRoom, event: InviteMemberEvent) -> None:
        if event.state_key == self.user_id and event.membership == "invite":
            self.invites.append(room.room_id)

    # Reading -------------------------------------------------------------------------------
    def from_user(self, room_id: str, sender: str) -> list[Event]:
        return [e for r, e in self.events if r == room_id and e.sender == sender]

    def notices(self, room_id: str, sender: str) -> list[RoomMessageNotice]:
        return [e for e in self.from_user(room_id, sender) if isinstance(e, RoomMessageNotice)]

    def bodies(self, room_id: str, sender: str) -> list[str]:
        return [e.body for e in self.notices(room_id, sender)]

    def files(self, room_id: str, sender: str) -> list[Event]:
        return [
            e
            for e in self.from_user(room_id, sender)
            if isinstance(e, RoomMessageFile | RoomEncryptedFile)
        ]

    # Syncing -------------------------------------------------------------------------------
    async def sync(self) -> None:
        response = await self.client.sync(timeout=SYNC_TIMEOUT_MS)
        assert isinstance(response, SyncResponse), response
        client = self.client
        if client.should_upload_keys:
            assert isinstance(await client.keys_upload(), KeysUploadResponse)
        if client.should_query_keys:
            assert isinstance(await client.keys_query(), KeysQueryResponse)
        if client.should_claim_keys:
            claimed = await client.keys_claim(client.get_users_for_key_claiming())
            assert isinstance(claimed, KeysClaimResponse)
        await client.send_to_device_messages()

    async def wait_for(self, done: Callable[[], bool], what: str, syncs: int = MAX_SYNCS) -> None:
        for _ in range(syncs):
            if done():
                return
            await self.sync()
        assert done(), f"{self.user_id}: no {what} after {syncs} syncs"

    async def wait_for_notices(self, room_id: str, sender: str, count: int) -> list[str]:
        await self.wait_for(
            lambda: len(self.bodies(room_id, sender)) >= count, f"{count} notices from the bot"
        )
        return self.bodies(room_id, sender)

    async def ask(self, room_id: str, text: str, bot: str, expect: str) -> list[str]:
        """Say `text` and wait until a new notice from `bot` matches the regex `expect`
        (case-insensitive); returns the notices that came after `text`."""
        before = len(self.bodies(room_id, bot))
        await self.say(room_id, text)
        pattern = re.compile(expect, re.IGNORECASE | re.DOTALL)

        def matched() -> bool:
            return any(pattern.search(b) for b in self.bodies(room_id, bot)[before:])

        await self.wait_for(matched, f"a notice matching {expect!r} after {text!r}")
        return self.bodies(room_id, bot)[before:]

    async def quiet_for(self, syncs: int) -> None:
        """Sync a few times (a bounded stretch in which nothing more should arrive)."""
        for _ in range(syncs):
            await self.sync()

    # Writing -------------------------------------------------------------------------------
    async def say(self, room_id: str, body: str, *, tx_id: str | None = None) -> str:
        response = await self.client.room_send(
            room_id,
            "m.room.message",
            {"msgtype": "m.text", "body": body},
            tx_id=tx_id,
            ignore_unverified_devices=True,
        )
        assert isinstance(response, RoomSendResponse), response
        return str(response.event_id)

    async def open_room(
        self,
        invite: list[str],
        *,
        encrypted: bool,
        direct: bool,
        name: str | None = None,
        wait: list[str] | None = None,
    ) -> str:
        """Create a room, invite people, and wait until `wait` (default: all of them) joined."""
        created = await self.client.room_create(
            invite=invite,
            is_direct=direct,
            name=name,
            preset=RoomPreset.trusted_private_chat if direct else RoomPreset.private_chat,
            initial_state=[EnableEncryptionBuilder().as_dict()] if encrypted else [],
        )
        assert isinstance(created, RoomCreateResponse), created
        room_id = str(created.room_id)
        await self.wait_for(lambda: self.joined(room_id, wait or invite), "members joining")
        assert self.client.rooms[room_id].encrypted is encrypted
        return room_id

    async def accept(self, room_id: str) -> None:
        await self.wait_for(lambda: room_id in self.client.invited_rooms, "invite")
        assert isinstance(await self.client.join(room_id), JoinResponse)
        await self.wait_for(lambda: room_id in self.client.rooms, "joined room")

    def joined(self, room_id: str, users: list[str]) -> bool:
        room = self.client.rooms.get(room_id)
        return room is not None and all(
            u in room.users and u not in room.invited_users for u in users
        )

    async def history(self, room_id: str) -> list[Any]:
        response = await self.client.room_messages(room_id, limit=100)
        assert isinstance(response, RoomMessagesResponse), response
        return list(response.chunk)

    async def close(self) -> None:
        await self.client.close()
        if self.client.store is not None:
            self.client.store.database.close()


async def make_peer(synapse: SynapseServer, tmp_path: Path, name: str) -> Peer:
    password = secrets.token_urlsafe(12)
    user_id = synapse.register(f"{name}-{secrets.token_hex(4)}", password)
    store = tmp_path / f"peer-{name}-{secrets.token_hex(4)}"
    store.mkdir()
    client = AsyncClient(
        synapse.base_url,
        user_id,
        store_path=str(store),
        config=AsyncClientConfig(
            encryption_enabled=True,
            pickle_key=f"peer-{secrets.token_hex(8)}",
            max_limit_exceeded=0,
            max_timeouts=2,
        ),
    )
    peer = Peer(client, password, store)
    client.add_event_callback(
        peer.record,
        (RoomMessageText, RoomMessageNotice, MegolmEvent, RoomEncryptedFile, RoomMessageFile),
    )
    client.add_event_callback(peer.record_invite, (InviteMemberEvent,))
    login = await client.login(password, device_name=f"{name} phone")
    assert isinstance(login, LoginResponse), login
    await peer.sync()  # publishes its device keys
    return peer
