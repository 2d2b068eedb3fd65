"""Which Matrix rooms are private chats (DMs) with one person, kept through the StateStore.

Matrix has no "private chat" type: a DM is a room with two members that someone *meant* as
direct. nio keeps no list of DMs across restarts, so the adapter records each one here
(person -> room and room -> person) when it creates a DM, accepts a direct invite, or first
reads a message in a small unnamed room. A recorded DM that grows beyond two members is no
longer private: it is forgotten, and private messages for that person go to a fresh DM.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.platform import StateStore

USER_NS = "matrix.dm"  # user id -> DM room id
ROOM_NS = "matrix.dm_room"  # room id -> the other member's user id
NONE = ""  # the StateStore cannot delete: an empty value means "no DM"


@dataclass(frozen=True)
class RoomFacts:
    """What the adapter knows about a room when a message arrives in it."""

    member_count: int  # joined + invited, the bot included
    named: bool  # has a name or a canonical alias: created as a room, not as a chat
    direct_invite: bool  # the invite that brought the bot here had is_direct set
    encrypted: bool = False  # has m.room.encryption in its state


def is_group(facts: RoomFacts, sender: str, dm_partner: str | None) -> bool:
    """A room is a group unless it has at most two members and is, or looks like, the DM with
    `sender`. More than two members is always a group, whatever was recorded before."""
    if facts.member_count > 2:
        return True
    if dm_partner is not None:
        return dm_partner != sender
    if facts.direct_invite:
        return False
    return facts.named


class DirectRooms:
    """The DM registry, cached in memory and persisted through the StateStore."""

    def __init__(self, state: StateStore) -> None:
        self._state = state
        self._by_user: dict[str, str] = {}
        self._by_room: dict[str, str] = {}

    async def room_for(self, user_id: str) -> str | None:
        if user_id not in self._by_user:
            self._by_user[user_id] = await self._state.get(USER_NS, user_id) or NONE
        return self._by_user[user_id] or None

    async def partner(self, room_id: str) -> str | None:
        if room_id not in self._by_room:
            self._by_room[room_id] = await self._state.get(ROOM_NS, room_id) or NONE
        return self._by_room[room_id] or None

    async def remember(self, user_id: str, room_id: str) -> None:
        if await self.room_for(user_id) != room_id:
            await self._state.put(USER_NS, user_id, room_id)
            self._by_user[user_id] = room_id
        if await self.partner(room_id) != user_id:
            await self._state.put(ROOM_NS, room_id, user_id)
            self._by_room[room_id] = user_id

    async def forget(self, room_id: str) -> None:
        """The room is no longer anyone's DM."""
        user_id = await self.partner(room_id)
        if user_id is None:
            return
        await self._state.put(ROOM_NS, room_id, NONE)
        self._by_room[room_id] = NONE
        if await self.room_for(user_id) == room_id:
            await self._state.put(USER_NS, user_id, NONE)
            self._by_user[user_id] = NONE
