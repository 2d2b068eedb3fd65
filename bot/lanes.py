"""The messages claimed on one platform, queued per chat, and the order they go out in.

Each chat is a lane: its messages go one at a time, in the order they were claimed, and no
lane waits for another. Whenever the platform's limits and the cap on unrecorded sends let one
more message go, it is the most urgent one (a reply before a reminder before a broadcast; the
oldest among equals) of the chats whose next message may go now. So a chat with a long queue
(a flood of its own, a group's 20 a minute) holds back nothing but itself, and a reply overtakes
a broadcast already under way. A send that hangs holds its lane and one slot of the cap until
the platform request times out; everything else goes on. A message claimed ahead of its
instant (a reminder, in real time) is held aside and joins its chat's queue when it comes."""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime
from operator import attrgetter

from bot.clock import Clock
from bot.messages import Outbound, SendResult, SendStatus
from bot.outbox import PRIORITY_REPLY
from bot.pacing import InFlight, Limiter

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Claimed:
    id: int
    outbound: Outbound
    attempts: int = 0
    priority: int = 0
    not_before: datetime | None = None  # its instant: held until then when claimed ahead


_URGENCY = attrgetter("priority", "id")  # the most urgent first; the oldest among equals

SendOne = Callable[[Claimed], Awaitable[SendResult]]
Release = Callable[[list[int]], Awaitable[None]]
Nap = Callable[[float, asyncio.Event], Awaitable[None]]


class Lanes:
    def __init__(
        self,
        *,
        send_one: SendOne,
        release: Release,
        limiter: Limiter,
        gate: InFlight,
        clock: Clock,
        nap: Nap,
        on_settled: Callable[[], None] = lambda: None,
    ) -> None:
        self._send_one = send_one
        self._release = release
        self.limiter = limiter
        self.gate = gate
        self.clock = clock
        self._nap = nap
        self.on_settled = on_settled
        self._queues: dict[str, deque[Claimed]] = {}
        # Claimed ahead of their instant (bot/delivery.py), earliest first: each joins its
        # chat's queue when its instant comes, so waiting costs nothing per pick.
        self._held: list[tuple[datetime, int, Claimed]] = []
        self._out: set[str] = set()  # chats whose message is on its way now
        self._sends: set[asyncio.Task[None]] = set()
        self.outstanding = 0  # claimed here and not settled yet
        self._changed = asyncio.Event()
        self._settled = asyncio.Event()
        self._settled.set()
        self._stopping = False
        self._picker: asyncio.Task[None] | None = None

    # What the delivery hands over and waits for ------------------------------------------------
    def add(self, claimed: list[Claimed]) -> None:
        now = self.clock.now()
        for item in sorted(claimed, key=_URGENCY):
            if item.not_before is not None and item.not_before > now:
                heapq.heappush(self._held, (item.not_before, item.id, item))
            else:
                self._queues.setdefault(item.outbound.to.chat_id, deque()).append(item)
        if claimed:
            self.outstanding += len(claimed)
            self._settled.clear()
            self._changed.set()
            if self._picker is None or self._picker.done():
                self._picker = asyncio.create_task(self._pick_and_send(), name="lanes")

    async def settled(self) -> None:
        """Until everything handed over is sent (or given back)."""
        await self._settled.wait()

    def halt(self) -> None:
        """Send nothing more: the sends out finish and are recorded, the rest goes back."""
        self._stopping = True
        self._changed.set()

    def resume(self) -> None:
        self._stopping = False

    async def stop(self) -> None:
        """`halt`, and wait until the sends out are recorded and the rest is given back.
        Cancelled meanwhile (a hung send past the grace time), the sends are cut off."""
        self.halt()
        try:
            if self._picker is not None:
                await self._picker
            while self._sends:
                await asyncio.wait(set(self._sends))
        except asyncio.CancelledError:
            for send in self._sends:
                send.cancel()
            raise
        await self._give_back()

    # Choosing what goes next -----------------------------------------------------------------
    def _heads(self) -> list[Claimed]:
        return [queue[0] for chat, queue in self._queues.items() if queue and chat not in self._out]

    def _any_head(self) -> bool:
        out = self._out
        return any(queue and chat not in out for chat, queue in self._queues.items())

    def _release_held(self) -> float | None:
        """Held messages whose instant has come join their chats' queues. Returns the seconds
        until the next one's (None: nothing held)."""
        now = self.clock.now()
        while self._held and self._held[0][0] <= now:
            _at, _id, item = heapq.heappop(self._held)
            self._queues.setdefault(item.outbound.to.chat_id, deque()).append(item)
        return (self._held[0][0] - now).total_seconds() if self._held else None

    async def _pick_and_send(self) -> None:
        try:
            while not self._stopping:
                self._changed.clear()
                held_for = self._release_held()
                if not self._any_head():
                    if self.outstanding == 0:
                        return
                    if held_for is None:
                        await self._changed.wait()  # a send came back, or more were handed over
                    else:  # or the next held message's instant came
                        await self._nap(held_for, self._changed)
                    continue
                item = await self._next_allowed()
                if item is None:
                    continue
                chat = item.outbound.to.chat_id
                ticket = await self.gate.enter()  # a slot among the sends out unrecorded
                if self._stopping or self.limiter.wait_time(item.outbound.to, self.clock.now()) > 0:
                    # Stopping, or a flood wait began while waiting for the slot: it stays first.
                    self.gate.leave(ticket, measured=False)
                    self._queues.setdefault(chat, deque()).appendleft(item)
                    continue
                self.limiter.take(item.outbound.to)
                self._out.add(chat)
                send = asyncio.create_task(self._send(item, ticket), name=f"send-{item.id}")
                self._sends.add(send)
                send.add_done_callback(self._sends.discard)
        finally:
            if self._stopping:
                await self._give_back()

    async def _next_allowed(self) -> Claimed | None:
        """The most urgent message whose limits let it go now, after waiting for one if none
        may go yet; None when there is nothing to choose from (or the lanes are stopping)."""
        while not self._stopping:
            soonest = self._release_held()  # a held message's instant may come first
            heads = sorted(self._heads(), key=_URGENCY)
            if not heads:
                return None
            now = self.clock.now()
            for item in heads:
                bulk = item.priority > PRIORITY_REPLY
                wait = self.limiter.wait_time(item.outbound.to, now, bulk=bulk)
                if wait <= 0:
                    chat = item.outbound.to.chat_id
                    queue = self._queues[chat]
                    queue.popleft()
                    if not queue:  # only chats with something queued are looked at
                        del self._queues[chat]
                    return item
                soonest = wait if soonest is None else min(soonest, wait)
            self._changed.clear()
            assert soonest is not None
            await self._nap(soonest, self._changed)  # or sooner, when more is handed over
        return None

    # One send and what follows from its outcome ----------------------------------------------
    async def _send(self, item: Claimed, ticket: int) -> None:
        chat = item.outbound.to.chat_id
        try:
            result = await self._send_one(item)
        except Exception:  # a bug: the row stays claimed, and is sent when its lease runs out
            log.exception("send not settled", extra={"outbox_id": item.id})
            result = SendResult(SendStatus.TRANSIENT, reason="not settled")
        except BaseException:
            self._out.discard(chat)
            self.gate.leave(ticket, measured=False)
            raise
        self.gate.leave(ticket)
        self._out.discard(chat)
        if result.status is SendStatus.MOVED and result.moved_to is not None:
            # The chat has a new id (its rows were re-addressed): this message, still claimed,
            # goes again at once to the new chat, and so does the rest of its lane.
            self._moved(item, chat, result.moved_to)
        elif result.status is SendStatus.RETRY_AFTER:
            # The platform asked everyone to wait: what is still queued goes back, due when
            # the wait ends.
            self._done(1)
            await self._give_back()
        else:
            self._done(1)
        self._changed.set()

    def _moved(self, item: Claimed, old: str, new: str) -> None:
        rest = self._queues.pop(old, deque())
        moved = [replace(item, attempts=item.attempts + 1), *rest]
        queue = self._queues.setdefault(new, deque())
        for claimed in reversed(moved):
            outbound = replace(claimed.outbound, to=replace(claimed.outbound.to, chat_id=new))
            queue.appendleft(replace(claimed, outbound=outbound))

    def _done(self, count: int) -> None:
        self.outstanding -= count
        if self.outstanding <= 0:
            self.outstanding = 0
            self._settled.set()
        self.on_settled()

    async def _give_back(self) -> None:
        queued = [item.id for queue in self._queues.values() for item in queue]
        queued += [item.id for _at, _id, item in self._held]
        self._queues = {}
        self._held = []
        if not queued:
            return
        try:
            await self._release(queued)
        except Exception:  # left claimed: the lease runs out and they are sent then
            log.exception("claimed messages not given back", extra={"rows": len(queued)})
        self._done(len(queued))


async def real_nap(seconds: float, woken: asyncio.Event) -> None:
    """Real time: sleep `seconds`, or less when `woken` is set meanwhile."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(woken.wait(), seconds)
