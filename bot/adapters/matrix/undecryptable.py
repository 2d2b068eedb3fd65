"""Encrypted events the bot could not decrypt yet, kept (bounded) until their key arrives.

Room keys often arrive a moment after the message (in the same or the next sync), and nio does
not retry old events by itself. So an undecryptable event waits here: after each sync the
adapter tries it again; once it has waited `grace` without a key, the sender is told (once per
sender and Megolm session, see `report_key`); after `keep` it is dropped. Nothing here holds
message content: an undecryptable event has none to read.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

REPORTED_NS = "matrix.undecryptable"


@dataclass
class Waiting:
    room_id: str
    event_id: str
    sender: str
    session_id: str
    event: Any  # nio.MegolmEvent
    facts: Any  # bot.adapters.matrix.rooms.RoomFacts when it arrived
    display_name: str | None
    first_seen: datetime
    reported: bool = field(default=False)

    @property
    def report_key(self) -> str:
        """One report per room, sender and Megolm session: a sender whose key did not reach the
        bot hears it once, not once per message."""
        raw = f"{self.room_id}\n{self.sender}\n{self.session_id}".encode()
        return hashlib.sha256(raw).hexdigest()[:40]


class WaitingRoom:
    def __init__(self, *, grace: timedelta, keep: timedelta, limit: int) -> None:
        self.grace = grace
        self.keep = keep
        self.limit = limit
        self._items: OrderedDict[str, Waiting] = OrderedDict()

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[Waiting]:
        return iter(list(self._items.values()))

    def add(self, item: Waiting) -> bool:
        """False when the event is already waiting (a replayed sync)."""
        if item.event_id in self._items:
            return False
        self._items[item.event_id] = item
        while len(self._items) > self.limit:
            self._items.popitem(last=False)
        return True

    def remove(self, event_id: str) -> None:
        self._items.pop(event_id, None)

    def due_for_report(self, now: datetime) -> list[Waiting]:
        return [
            w for w in self._items.values() if not w.reported and now - w.first_seen >= self.grace
        ]

    def has_unreported(self) -> bool:
        return any(not w.reported for w in self._items.values())

    def expire(self, now: datetime) -> None:
        for event_id in [e for e, w in self._items.items() if now - w.first_seen >= self.keep]:
            del self._items[event_id]
