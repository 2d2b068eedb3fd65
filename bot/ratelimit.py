"""Token buckets on an injected clock: the delivery layer and per-person command limits."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.clock import Clock


@dataclass
class _Bucket:
    tokens: float
    updated: datetime


class Buckets:
    """Many token buckets with one rate and burst, keyed by anything hashable."""

    def __init__(self, clock: Clock, rate_per_second: float, burst: float, max_keys: int = 100_000):
        self.clock = clock
        self.rate = rate_per_second
        self.burst = burst
        self.max_keys = max_keys
        self._buckets: dict[object, _Bucket] = {}

    def _refill(self, key: object) -> _Bucket:
        now = self.clock.now()
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self.max_keys:
                self._evict(now)
            bucket = _Bucket(self.burst, now)
            self._buckets[key] = bucket
            return bucket
        elapsed = max(0.0, (now - bucket.updated).total_seconds())
        bucket.tokens = min(self.burst, bucket.tokens + elapsed * self.rate)
        bucket.updated = now
        return bucket

    def _evict(self, now: datetime) -> None:
        full_after = timedelta(seconds=self.burst / self.rate if self.rate else 0)
        stale = [k for k, b in self._buckets.items() if now - b.updated >= full_after]
        for key in stale or list(self._buckets)[: len(self._buckets) // 2]:
            del self._buckets[key]

    def available(self, key: object) -> float:
        """Tokens `key` has now. Takes nothing."""
        return self._refill(key).tokens

    def wait_time(self, key: object, cost: float = 1.0) -> float:
        """Seconds until `cost` tokens are available (0 when available now). Takes nothing."""
        bucket = self._refill(key)
        if bucket.tokens >= cost:
            return 0.0
        return (cost - bucket.tokens) / self.rate

    def take(self, key: object, cost: float = 1.0) -> None:
        bucket = self._refill(key)
        bucket.tokens -= cost

    def try_take(self, key: object, cost: float = 1.0) -> bool:
        if self.wait_time(key, cost) > 0:
            return False
        self.take(key, cost)
        return True


class Windows:
    """At most `limit` events per `window` for each key, as a sliding window: the strict reading
    of a platform's "N per minute" (a token bucket with burst N can exceed it)."""

    def __init__(self, clock: Clock, limit: int, window: timedelta, max_keys: int = 100_000):
        self.clock = clock
        self.limit = limit
        self.window = window
        self.max_keys = max_keys
        self._events: dict[object, deque[datetime]] = {}

    def _recent(self, key: object) -> deque[datetime]:
        now = self.clock.now()
        events = self._events.get(key)
        if events is None:
            if len(self._events) >= self.max_keys:
                self._events = {
                    k: v for k, v in self._events.items() if v and now - v[-1] < self.window
                }
            events = self._events[key] = deque()
        while events and now - events[0] >= self.window:
            events.popleft()
        return events

    def wait_time(self, key: object) -> float:
        events = self._recent(key)
        if len(events) < self.limit:
            return 0.0
        return (events[0] + self.window - self.clock.now()).total_seconds()

    def take(self, key: object) -> None:
        self._recent(key).append(self.clock.now())
