"""Flood control: the documented limits, on the injected clock."""

from __future__ import annotations

import math
from collections import deque

from tests.fakes.telegram_api.config import Limits

# --------------------------------------------------------------------------- flood control


class _SlidingWindow:
    def __init__(self, limit: int, window_seconds: float) -> None:
        self._limit = limit
        self._window = window_seconds
        self._events: deque[float] = deque()

    def wait(self, now: float) -> float:
        while self._events and self._events[0] <= now - self._window:
            self._events.popleft()
        if len(self._events) < self._limit:
            return 0.0
        return self._events[0] + self._window - now

    def take(self, now: float) -> None:
        self._events.append(now)


class _TokenBucket:
    def __init__(self, capacity: float, rate: float) -> None:
        self._capacity = capacity
        self._rate = rate
        self._tokens = capacity
        self._last: float | None = None

    def _refill(self, now: float) -> None:
        if self._last is not None and now > self._last:
            self._tokens = min(self._capacity, self._tokens + (now - self._last) * self._rate)
        if self._last is None or now > self._last:
            self._last = now

    def wait(self, now: float) -> float:
        self._refill(now)
        return 0.0 if self._tokens >= 1 else (1 - self._tokens) / self._rate

    def take(self, now: float) -> None:
        self._refill(now)
        self._tokens -= 1


class _FloodControl:
    def __init__(self, limits: Limits) -> None:
        self._limits = limits
        self._global = _SlidingWindow(limits.global_per_second, 1.0)
        self._private: dict[int, _TokenBucket] = {}
        self._groups: dict[int, _SlidingWindow] = {}

    def retry_after(self, chat_id: int, chat_type: str, now: float) -> int | None:
        """None when the send may go ahead (and is counted), else seconds to wait."""
        if not self._limits.enabled:
            return None
        per_chat: _SlidingWindow | _TokenBucket
        if chat_type == "private":
            per_chat = self._private.setdefault(
                chat_id,
                _TokenBucket(self._limits.private_burst, self._limits.private_per_second),
            )
        else:
            per_chat = self._groups.setdefault(
                chat_id, _SlidingWindow(self._limits.group_per_minute, 60.0)
            )
        wait = max(self._global.wait(now), per_chat.wait(now))
        if wait > 0:
            return max(1, math.ceil(round(wait, 6)))
        self._global.take(now)
        per_chat.take(now)
        return None
