"""Room upgrades: a room replaced by a successor (`m.room.tombstone`, sent by someone whose
power level allows it). The bot joins the successor, and everything that points at the old
room -- a cohort's binding, messages on their way, open questions -- moves there once
(ChatMoves, the mechanism of Telegram's group-to-supergroup upgrade); a DM stays the DM with
the same person.

nio sets `MatrixRoom.replacement_room` from the tombstone whether it came in a timeline or in
the full state after a restart; the sender and the power levels are read from the room's state
on the server. Followed upgrades are remembered (old room -> successor) through the
StateStore, so a restart neither joins nor moves twice, and a message still addressed to the
old room is answered MOVED (the delivery re-addresses it)."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from nio import AsyncClient, JoinResponse, MatrixRoom, RoomGetStateResponse

from bot.adapters.matrix.direct import DirectAccountData
from bot.adapters.matrix.rooms import DirectRooms
from bot.messages import SendResult, SendStatus
from bot.platform import ChatMoves, StateStore

log = logging.getLogger(__name__)

UPGRADED_NS = "matrix.upgraded"  # old room id -> successor room id
PLATFORM = "matrix"
# Room versions in which the room's creators outrank every power level (MSC4289).
_CREATORS_PRIVILEGED = frozenset({"12", "org.matrix.hydra.11"})


@dataclass(frozen=True)
class Tombstone:
    sender: str
    replacement: str


def _state(events: Iterable[Mapping[str, Any]], kind: str) -> Mapping[str, Any] | None:
    for event in events:
        if event.get("type") == kind and event.get("state_key") == "":
            return event
    return None


def honoured_tombstone(state: Sequence[Mapping[str, Any]]) -> Tombstone | None:
    """The room's tombstone, if there is one naming a successor and its sender's power level
    allows `m.room.tombstone` under the room's current power levels."""
    event = _state(state, "m.room.tombstone")
    if event is None:
        return None
    content = event.get("content", {})
    replacement, sender = content.get("replacement_room"), event.get("sender")
    if not isinstance(replacement, str) or not replacement.startswith("!"):
        return None
    if not isinstance(sender, str):
        return None
    create = _state(state, "m.room.create") or {}
    create_content = create.get("content", {})
    creators = {create.get("sender"), *create_content.get("additional_creators", ())}
    if create_content.get("room_version", "1") in _CREATORS_PRIVILEGED and sender in creators:
        return Tombstone(sender, replacement)
    levels_event = _state(state, "m.room.power_levels")
    if levels_event is None:  # no power levels: the creator has 100, everyone else 0
        return Tombstone(sender, replacement) if sender == create.get("sender") else None
    levels = levels_event.get("content", {})
    try:
        level = int(levels.get("users", {}).get(sender, levels.get("users_default", 0)))
        needed = int(
            levels.get("events", {}).get("m.room.tombstone", levels.get("state_default", 50))
        )
    except (TypeError, ValueError):
        return None
    return Tombstone(sender, replacement) if level >= needed else None


class RoomUpgrades:
    def __init__(
        self,
        state: StateStore,
        rooms: DirectRooms,
        chat_moves: ChatMoves | None,
        direct: DirectAccountData,
    ) -> None:
        self._state = state
        self._direct = direct
        self._rooms = rooms
        self._chat_moves = chat_moves
        self._successors: dict[str, str] = {}  # followed (cache of UPGRADED_NS)
        self._checked: set[str] = set()  # looked at in this run: not fetched again
        self._waiting: dict[str, str] = {}  # successor the bot could not join yet -> old room
        self._ignored: set[str] = set()  # rooms whose tombstone is not honoured

    async def successor(self, room: MatrixRoom | None) -> str | None:
        """The room that replaced `room`, once the bot followed the upgrade."""
        if room is None or not room.replacement_room:
            return None
        room_id = room.room_id
        if room_id not in self._successors:
            self._successors[room_id] = await self._state.get(UPGRADED_NS, room_id) or ""
        return self._successors[room_id] or None

    async def redirect(self, room: MatrixRoom | None) -> SendResult | None:
        """For a message to an upgraded room: MOVED to the successor (the delivery re-addresses
        it and everything else that waits for the old room), or TRANSIENT while the successor
        is not joined yet. None for a room that was not upgraded (or whose tombstone is not
        honoured)."""
        if room is None or not room.replacement_room or room.room_id in self._ignored:
            return None
        successor = await self.successor(room)
        if successor is None:
            return SendResult(SendStatus.TRANSIENT, reason="matrix room upgrade not followed yet")
        return SendResult(SendStatus.MOVED, moved_to=successor, reason="matrix room upgraded")

    async def follow(self, client: AsyncClient) -> list[str]:
        """Follow every upgrade of a room the bot is in that it has not followed yet; returns
        the successors it joined just now (not yet back through sync)."""
        joined: list[str] = []
        for new, old in list(self._waiting.items()):
            if new in client.rooms:  # invited and joined meanwhile
                del self._waiting[new]
                await self._moved(client, old, new)
        for room in list(client.rooms.values()):
            if not room.replacement_room or room.room_id in self._checked:
                continue
            self._checked.add(room.room_id)
            if await self.successor(room) is None:
                now_joined = await self._follow(client, room.room_id)
                if now_joined is not None:
                    joined.append(now_joined)
        return joined

    async def _follow(self, client: AsyncClient, old: str) -> str | None:
        state = await client.room_get_state(old)
        if not isinstance(state, RoomGetStateResponse):
            self._checked.discard(old)  # asked again at the next round
            return None
        tombstone = honoured_tombstone(state.events)
        if tombstone is None:
            log.warning("matrix tombstone ignored (sender lacks the power)", extra={"room_id": old})
            self._ignored.add(old)
            return None
        new = tombstone.replacement
        joined = None
        if new not in client.rooms:
            response = await client.join(new)
            if not isinstance(response, JoinResponse):
                # e.g. an invite-only successor: followed once the bot is invited and joins
                log.warning(
                    "matrix could not join the upgraded room yet",
                    extra={
                        "room_id": old,
                        "successor": new,
                        "code": getattr(response, "status_code", None),
                    },
                )
                self._waiting[new] = old
                return None
            joined = new
        await self._moved(client, old, new)
        return joined

    async def _moved(self, client: AsyncClient, old: str, new: str) -> None:
        if self._chat_moves is not None:
            await self._chat_moves.chat_moved(PLATFORM, old, new)
        partner = await self._rooms.partner(old)
        if partner is not None:
            await self._rooms.forget(old)
            await self._rooms.remember(partner, new)
            await self._direct.record(client, partner, new)
        await self._state.put(UPGRADED_NS, old, new)
        self._successors[old] = new
        log.info("matrix room upgrade followed", extra={"room_id": old, "successor": new})
