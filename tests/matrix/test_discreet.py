"""Discreet mode's bookkeeping on Matrix: which rooms count as encrypted, which encrypted DM a
person's protected messages go to, and that an unencrypted room carries the invitation to a
given encrypted DM once (a new encrypted DM is pointed to again)."""

from __future__ import annotations

from nio import MatrixRoom

from bot.adapters.matrix.discreet import SecureRooms, is_encrypted

USER = "@bob:cohort.test"


class MemoryState:
    def __init__(self) -> None:
        self.values: dict[tuple[str, str], str] = {}

    async def get(self, namespace: str, key: str) -> str | None:
        return self.values.get((namespace, key))

    async def put(self, namespace: str, key: str, value: str) -> None:
        self.values[(namespace, key)] = value


def test_only_a_room_with_encryption_state_is_encrypted() -> None:
    room = MatrixRoom("!plain:cohort.test", "@bot:cohort.test")
    assert not is_encrypted(room)
    assert not is_encrypted(None)  # a room the bot has no state of
    room.encrypted = True
    assert is_encrypted(room)


async def test_secure_rooms_are_kept_through_the_state_store() -> None:
    state = MemoryState()
    rooms = SecureRooms(state)
    assert await rooms.room_for(USER) is None
    await rooms.remember(USER, "!secure:cohort.test")
    assert await SecureRooms(state).room_for(USER) == "!secure:cohort.test"  # after a restart


async def test_the_invitation_is_recorded_per_encrypted_dm() -> None:
    rooms = SecureRooms(MemoryState())
    assert not await rooms.invited("!plain:cohort.test", "!secure:cohort.test")
    await rooms.mark_invited("!plain:cohort.test", "!secure:cohort.test")
    assert await rooms.invited("!plain:cohort.test", "!secure:cohort.test")
    assert not await rooms.invited("!plain:cohort.test", "!newer:cohort.test")
    assert not await rooms.invited("!other:cohort.test", "!secure:cohort.test")
