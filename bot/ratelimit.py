"""Token buckets on an injected clock: the delivery layer and per-person command limits."""

from __future__ import annotations

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
