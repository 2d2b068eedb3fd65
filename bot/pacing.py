"""How fast one platform may be sent to: its documented rate limits (overall, per private chat,
per group chat, and a flood wait it asked for) and the cap on sends out and not yet recorded
(what a crash can repeat)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import math
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.messages import Address
from bot.platform import Platform
from bot.ratelimit import Windows

OVERDUE_SECONDS = 1.0  # a send out this long no longer holds others back (see InFlight)
GLOBAL_MARGIN = 1.03  # the overall limit is kept over a window 3 % longer than a second
BULK_AHEAD = 3  # bulk sends may run this many spacings ahead of their schedule


class InFlight:
    """How many sends may be out and not yet recorded at once. A crash repeats exactly those
    (the platform got them, the database does not know), so: as few as keep the platform's
    pace -- its rate times the time a send and its record take (a moving average) -- and at
    least one. A send out for much longer than that (a slow or hung request) leaves room for
    one more beside it, so it does not hold up the others, but never beyond `most`: the hard
    bound on what a crash can repeat. Without an overall rate: `most`."""

    def __init__(self, per_second: float | None, most: int) -> None:
        self.per_second = per_second
        self.most = most
        self.latency = 0.0  # seconds, moving average of send + record
        self._out: dict[int, float] = {}  # ticket -> loop time its send began
        self._tickets = itertools.count()
        self._changed = asyncio.Event()
        self.waiting = 0  # sends waiting for a slot
        self.on_wait: Callable[[], None] = lambda: None  # told when a send starts waiting

    def _overdue_after(self) -> float:
        return max(OVERDUE_SECONDS, 4 * self.latency)

    def capacity(self, now: float) -> int:
        if not self.per_second:
            return self.most
        late = now - self._overdue_after()
        overdue = sum(1 for began in self._out.values() if began < late)
        usual = max(1, math.ceil(self.per_second * self.latency * 1.25))
        return min(self.most, usual + overdue)

    async def enter(self) -> int:
        loop = asyncio.get_running_loop()
        while len(self._out) >= self.capacity(loop.time()):
            self._changed.clear()
            oldest = min(self._out.values())
            overdue_in = oldest + self._overdue_after() - loop.time()
            self.waiting += 1
            self.on_wait()
            try:
                if not self.per_second:
                    await self._changed.wait()  # the cap is fixed: only a send back makes room
                else:
                    with contextlib.suppress(TimeoutError):  # a send back, or the oldest overdue
                        await asyncio.wait_for(self._changed.wait(), max(overdue_in, 0.001))
            finally:
                self.waiting -= 1
        ticket = next(self._tickets)
        self._out[ticket] = loop.time()
        return ticket

    def leave(self, ticket: int, *, measured: bool = True) -> None:
        began = self._out.pop(ticket)
        if measured:
            took = asyncio.get_running_loop().time() - began
            self.latency = took if self.latency == 0 else 0.8 * self.latency + 0.2 * took
        self._changed.set()


class Limiter:
    """A platform's documented limits: overall per second, per private chat, per group chat."""

    def __init__(self, platform: Platform, clock: Clock) -> None:
        limits = platform.capabilities.limits
        second, minute = timedelta(seconds=1), timedelta(minutes=1)
        # The overall limit leaves a margin: one message fewer, over a window a little longer
        # than a second. Sends counted here as they leave can arrive bunched (network, a slow
        # first request), and the platform's own window would then count one too many.
        overall = limits.per_second_global
        if overall and overall >= 2:
            overall -= 1
        self.global_ = _windows(clock, overall, second * GLOBAL_MARGIN)
        self.private = _windows(clock, limits.per_second_private_chat, second)
        self.group = _windows(clock, limits.per_minute_group, minute)
        self.paused_until: datetime | None = None
        # Bulk messages (broadcasts, reminders) go evenly spaced within the overall limit
        # instead of in bursts that fill the window: a reply that comes meanwhile then waits
        # about one spacing for its turn, not the rest of the window. The spacing is kept on a
        # schedule (each send moves it on by one spacing) that may run a few sends ahead, so a
        # timer's lateness is made up instead of lowering the rate.
        self.spacing = timedelta(seconds=GLOBAL_MARGIN / overall) if overall else timedelta(0)
        self._schedule: datetime | None = None  # when the next bulk message is due

    def wait_time(self, to: Address, now: datetime, *, bulk: bool = False) -> float:
        waits = [0.0]
        if self.paused_until is not None and self.paused_until > now:
            waits.append((self.paused_until - now).total_seconds())
        if self.global_ is not None:
            waits.append(self.global_.wait_time("all"))
            if bulk and self._schedule is not None:
                ahead = self._schedule - BULK_AHEAD * self.spacing
                waits.append((ahead - now).total_seconds())
        chat = self.group if to.is_group else self.private
        if chat is not None:
            waits.append(chat.wait_time(to.chat_id))
        return max(waits)

    def took(self, to: Address, at: datetime) -> None:
        """A send recorded before this process started counting (see Delivery.remember)."""
        if self.global_ is not None:
            self.global_.took("all", at)
        chat = self.group if to.is_group else self.private
        if chat is not None:
            chat.took(to.chat_id, at)

    def take(self, to: Address) -> None:
        if self.global_ is not None:
            self.global_.take("all")
            now = self.global_.clock.now()
            self._schedule = max(self._schedule or now, now) + self.spacing
        chat = self.group if to.is_group else self.private
        if chat is not None:
            chat.take(to.chat_id)


class _Windows(Windows):
    def took(self, key: object, at: datetime) -> None:
        """A send that happened at `at` (before this process started), in time order."""
        events = self._recent(key)
        if at > self.clock.now() - self.window:
            events.append(at)


def _windows(clock: Clock, per_window: float | None, window: timedelta) -> _Windows | None:
    if not per_window:
        return None
    if per_window >= 1:
        return _Windows(clock, int(per_window), window)
    return _Windows(clock, 1, window / per_window)  # e.g. 0.5/s -> one per two seconds
