"""The storage's health as the log tells it: one line when it fails (naming the cause), one when
it works again, nothing in between however often the loops try; and the growing pauses
between tries."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from storage.errors import StorageUnavailable

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]


class StorageHealth:
    """Shared by everything that uses the storage in one process."""

    def __init__(self) -> None:
        self.cause: str | None = None  # what is wrong now; None while the storage works
        self._since = 0.0

    def failed(self, error: StorageUnavailable) -> None:
        if self.cause is None:
            self._since = time.monotonic()
            log.error("storage unavailable: %s; retrying until it works", error.cause)
        elif error.cause != self.cause:
            log.error("storage unavailable: %s", error.cause)
        self.cause = error.cause

    def ok(self) -> None:
        if self.cause is None:
            return
        log.warning("storage works again after %.0f s", time.monotonic() - self._since)
        self.cause = None


class Backoff:
    """Pauses between tries of one loop: half a second at first, doubling up to half a minute;
    back to the start after a success."""

    def __init__(self, sleep: Sleep = asyncio.sleep, first: float = 0.5, longest: float = 30.0):
        self.sleep = sleep
        self.first = first
        self.longest = longest
        self._next = first

    async def wait(self) -> None:
        pause, self._next = self._next, min(self._next * 2, self.longest)
        await self.sleep(pause)

    def reset(self) -> None:
        self._next = self.first
