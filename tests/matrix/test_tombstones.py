"""Which tombstones the bot follows: only one whose sender's power level allows
`m.room.tombstone` under the room's power levels (room versions 12+: the creators always)."""

from __future__ import annotations

from typing import Any

from bot.adapters.matrix.upgrades import Tombstone, honoured_tombstone

NEW = "!successor:example.org"


def state(
    sender: str,
    *,
    levels: dict[str, Any] | None,
    version: str = "10",
    creator: str = "@creator:x",
    replacement: object = NEW,
) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = [
        {
            "type": "m.room.create",
            "state_key": "",
            "sender": creator,
            "content": {"room_version": version},
        },
        {
            "type": "m.room.tombstone",
            "state_key": "",
            "sender": sender,
            "content": {"body": "upgraded", "replacement_room": replacement},
        },
    ]
    if levels is not None:
        events.append({"type": "m.room.power_levels", "state_key": "", "content": levels})
    return events


def test_a_tombstone_by_someone_with_the_power_is_followed() -> None:
    levels = {"users": {"@admin:x": 100, "@mod:x": 50}, "events": {"m.room.tombstone": 100}}
    assert honoured_tombstone(state("@admin:x", levels=levels)) == Tombstone("@admin:x", NEW)
    assert honoured_tombstone(state("@mod:x", levels=levels)) is None
    assert honoured_tombstone(state("@nobody:x", levels=levels)) is None


def test_state_default_and_users_default_apply() -> None:
    levels = {"users_default": 50, "state_default": 50}
    assert honoured_tombstone(state("@anyone:x", levels=levels)) is not None
    assert honoured_tombstone(state("@anyone:x", levels={"users_default": 0})) is None


def test_without_power_levels_only_the_creator() -> None:
    assert honoured_tombstone(state("@creator:x", levels=None)) is not None
    assert honoured_tombstone(state("@other:x", levels=None)) is None


def test_creators_outrank_power_levels_from_room_version_12() -> None:
    levels = {"users": {"@admin:x": 100}, "events": {"m.room.tombstone": 150}}
    assert honoured_tombstone(state("@creator:x", levels=levels, version="12")) is not None
    assert honoured_tombstone(state("@creator:x", levels=levels, version="10")) is None
    assert honoured_tombstone(state("@admin:x", levels=levels, version="12")) is None


def test_no_tombstone_or_no_successor() -> None:
    assert honoured_tombstone([]) is None
    levels = {"users": {"@admin:x": 100}}
    assert honoured_tombstone(state("@admin:x", levels=levels, replacement="")) is None
    assert honoured_tombstone(state("@admin:x", levels=levels, replacement=5)) is None
