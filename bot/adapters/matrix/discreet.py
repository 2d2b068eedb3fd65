"""Discreet mode on Matrix: a protected message (`Outbound.protect`, a cohort in discreet mode)
never goes into a room that is not end-to-end encrypted.

- A private chat that is not encrypted: the message goes to an encrypted DM with the same
  person instead (made when there is none, with m.room.encryption in its initial state), and
  the unencrypted room gets only a neutral invitation to it -- once per encrypted DM.
- A group room that is not encrypted: only a neutral line saying that messages for this group
  go to members privately, in encrypted chats; nothing of the message itself. (What the bot
  sends to a cohort's group it also sends to the members privately -- announcements -- or it is
  an answer to a command, which the sender can ask again in private.)

The registries here are kept through the StateStore, like DirectRooms (rooms.py).
"""

from __future__ import annotations

from typing import Any

from bot.platform import StateStore

SECURE_NS = "matrix.secure_dm"  # user id -> the encrypted DM made for protected messages
INVITED_NS = "matrix.discreet_invited"  # unencrypted room id -> the encrypted DM it pointed to


def is_encrypted(room: Any) -> bool:
    """The room (a nio MatrixRoom, or None when unknown) has m.room.encryption in its state."""
    return room is not None and bool(room.encrypted)


class SecureRooms:
    """Which encrypted DM a person's protected messages go to when the DM they use is not
    encrypted, and which unencrypted rooms already carry the invitation to it."""

    def __init__(self, state: StateStore) -> None:
        self._state = state

    async def room_for(self, user_id: str) -> str | None:
        return await self._state.get(SECURE_NS, user_id) or None

    async def remember(self, user_id: str, room_id: str) -> None:
        await self._state.put(SECURE_NS, user_id, room_id)

    async def invited(self, plain_room: str, secure_room: str) -> bool:
        """The unencrypted room already points to this encrypted DM."""
        return await self._state.get(INVITED_NS, plain_room) == secure_room

    async def mark_invited(self, plain_room: str, secure_room: str) -> None:
        await self._state.put(INVITED_NS, plain_room, secure_room)
