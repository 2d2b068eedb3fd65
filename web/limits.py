"""A sliding-window counter in memory: at most `limit` events per `window` per key, timed by the
bot's clock (a test advances it). Used for failed logins and feed lookups per client address and
in total. Memory only: a restart forgets, which errs on the side of letting people in again."""

from __future__ import annotations

from collections import deque
from datetime import datetime, timedelta

from bot.clock import Clock


class SlidingWindow:
    def __init__(self, clock: Clock, limit: int, window: timedelta, *, max_keys: int = 10_000):
        self.clock = clock
        self.limit = limit
        self.window = window
        self.max_keys = max_keys
        self._events: dict[str, deque[datetime]] = {}

    def _recent(self, key: str) -> deque[datetime]:
        now = self.clock.now()
        events = self._events.get(key)
        if events is None:
            if len(self._events) >= self.max_keys:
                self._prune(now)
            events = self._events[key] = deque()
        while events and events[0] <= now - self.window:
            events.popleft()
        return events

    def _prune(self, now: datetime) -> None:
        for key in [k for k, e in self._events.items() if not e or e[-1] <= now - self.window]:
            del self._events[key]
        if len(self._events) >= self.max_keys:  # still full: the oldest keys go
            for key in list(self._events)[: len(self._events) // 2]:
                del self._events[key]

    def blocked(self, key: str) -> bool:
        return len(self._recent(key)) >= self.limit

    def hit(self, key: str) -> None:
        self._recent(key).append(self.clock.now())
