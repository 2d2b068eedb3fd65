"""The running bot: inbound pipeline, job runner and delivery, driven either by real time
(`serve`) or by a virtual clock (`settle`, `advance_to`) for scenarios and tests."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.delivery import Delivery
from bot.errors import ConfigError
from bot.health import Backoff, Sleep, StorageHealth
from bot.lease import RENEW_EVERY, Leases
from bot.messages import Inbound
from bot.pipeline import Pipeline
from bot.platform import Platform
from bot.scheduler import AHEAD, JobRunner, Waker
from storage.engine import Database
from storage.errors import StorageUnavailable

log = logging.getLogger(__name__)

JOB_POLL = timedelta(seconds=30)
# A stopping instance lets the sends already out finish and be recorded for this long (real
# seconds; a hung request is then cut off, and only that message may go out again later).
STOP_GRACE = 10.0
OUTBOX_POLL = timedelta(seconds=1)
# Real time: how long an outcome may wait to be recorded with others (bot/delivery.py).
RECORD_LINGER = 0.05
# Under load, a loop's passes are at least this far apart (real seconds), so the work that
# arrives meanwhile is claimed in one transaction instead of one each (a pass right after an
# idle spell starts at once).
PASS_GAP = 0.02


async def _pause_since(loop: asyncio.AbstractEventLoop, last_pass_end: float) -> None:
    rest = PASS_GAP - (loop.time() - last_pass_end)
    if rest > 0:
        await asyncio.sleep(rest)


class Runtime:
    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        pipeline: Pipeline,
        jobs: JobRunner,
        delivery: Delivery,
        platforms: Mapping[str, Platform],
    ) -> None:
        self.db = db
        self.clock = clock
        self.pipeline = pipeline
        self.jobs = jobs
        self.delivery = delivery
        self.platforms = platforms
        self.job_waker = Waker(clock)
        self.delivery_wakers = {name: Waker(clock) for name in platforms}
        self._tasks: list[asyncio.Task[None]] = []
        self._senders: dict[str, asyncio.Task[None]] = {}
        self._leases: Leases | None = None
        # A platform that cannot start with this configuration (a refused token, a key that
        # does not open the key store): `cohortbot run` says so in one line and exits 2.
        self.fatal: asyncio.Future[ConfigError] = asyncio.get_running_loop().create_future()
        self._job_pass_end = 0.0
        # Real time (`serve`): updates met by a storage failure wait until it works again,
        # trying again after growing pauses (`pause`: asyncio.sleep, or a test's stand-in).
        self.health = StorageHealth()
        self.keep_through_outages = False
        self.pause: Sleep = asyncio.sleep
        pipeline.on_committed = self._committed
        # A lane settled a row: there may be room for more, or that chat's next rows.
        delivery.on_settled = lambda name: self.delivery_wakers[name].poke()
        # The job loop asks for its next due instant itself, in its last batch's transaction.
        jobs.on_committed = lambda tables: self._committed(tables - {"job"})

    def poke(self) -> None:
        self.job_waker.poke()
        for waker in self.delivery_wakers.values():
            waker.poke()

    def _committed(self, tables: frozenset[str]) -> None:
        """After a unit of work: wake the loops whose tables it wrote to ("*": not known)."""
        if "job" in tables or "*" in tables:
            self.job_waker.poke()
        if "outbox" in tables or "*" in tables:
            for waker in self.delivery_wakers.values():
                waker.poke()

    async def handle(self, inbound: Inbound) -> None:
        await self.handle_many((inbound,))

    async def handle_many(self, inbounds: Sequence[Inbound]) -> None:
        """Consecutive updates in one unit of work (see Pipeline.handle_many). While serving,
        a failure of the storage keeps them: they are handled again, with growing pauses, until
        the storage works (the platform meanwhile holds back what comes after them)."""
        backoff = Backoff(self.pause)
        while True:
            try:
                await self.pipeline.handle_many(inbounds)
            except StorageUnavailable as error:
                if not self.keep_through_outages:
                    raise
                self.health.failed(error)
                await backoff.wait()
                continue
            self.health.ok()
            return

    # Real time -----------------------------------------------------------------------------
    async def serve(self, leases: Leases | None = None) -> None:
        """Start the job loop and the platforms; returns once everything is running.

        With `leases`, each platform connection (and its sending) runs in one instance at a
        time: the instance holding the lease `platform:<name>`; the others stand by and take
        over when the holder stops renewing. Jobs run in every instance (rows are claimed)."""
        self.keep_through_outages = True
        self.delivery.record_linger = RECORD_LINGER
        # What start-up built (modules, compiled statements, the languages' CLDR data) lives as
        # long as the process: out of the collector's full passes, which would otherwise walk
        # it every time and hold the event loop for about a tenth of a second. (Once a process:
        # a second start, as in tests, leaves it as the first left it.)
        if gc.get_freeze_count() == 0:
            gc.collect()
            gc.freeze()
        await self.delivery.recover()
        self.job_waker.start()
        self._tasks.append(asyncio.create_task(self._job_loop(), name="jobs"))
        for name in self.platforms:
            if leases is None:
                await self._start_platform(name)
            else:
                self._tasks.append(
                    asyncio.create_task(self._hold_platform(name, leases), name=f"lease-{name}")
                )
        self._leases = leases

    async def _start_platform(self, name: str) -> None:
        self.delivery.resume(name)
        await self.delivery.remember(name)
        self.delivery_wakers[name].start()
        self._senders[name] = asyncio.create_task(self._delivery_loop(name), name=f"send-{name}")
        await self.platforms[name].start(self.handle)
        self._learn_identity(name)
        log.info("platform started", extra={"platform": name})

    def _learn_identity(self, name: str) -> None:
        """What a platform knows about itself only once connected: its bot's username (for
        `/cmd@bot` in groups and "start me privately" hints) and capabilities such as deep links."""
        platform = self.platforms[name]
        services = self.pipeline.services
        services.capabilities[name] = platform.capabilities
        username = getattr(platform, "username", None)
        if isinstance(username, str) and username:
            services.bot_names[name] = username

    async def _stop_platform(self, name: str) -> None:
        sender = self._senders.pop(name, None)
        if sender is None:
            return
        # Sending stops first, gracefully: what is on the wire is recorded, claims go back.
        self.delivery.stop(name)
        self.delivery_wakers[name].poke()  # a loop resting between passes ends at once
        await asyncio.wait({sender}, timeout=STOP_GRACE)
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sender
        with contextlib.suppress(Exception):
            await self.platforms[name].stop()
        self.delivery_wakers[name].stop()
        log.info("platform stopped", extra={"platform": name})

    async def _hold_platform(self, name: str, leases: Leases) -> None:
        lease = f"platform:{name}"
        while True:
            try:
                held = await leases.acquire(lease)
                if held and name not in self._senders:
                    await self._start_platform(name)
                elif not held and name in self._senders:
                    log.warning("lease lost", extra={"platform": name})
                    await self._stop_platform(name)
            except ConfigError as error:
                await self._stop_platform(name)
                if not self.fatal.done():
                    self.fatal.set_result(error)
                return
            except Exception:
                log.exception("lease loop error", extra={"platform": name})
            await asyncio.sleep(RENEW_EVERY.total_seconds())

    async def shutdown(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        for name in list(self._senders):
            await self._stop_platform(name)
            if self._leases is not None:
                with contextlib.suppress(Exception):
                    await self._leases.release(f"platform:{name}")
        self.job_waker.stop()

    async def _job_loop(self) -> None:
        loop = asyncio.get_running_loop()
        backoff = Backoff(self.pause)
        while True:
            await _pause_since(loop, self._job_pass_end)
            try:
                due = await self.jobs.run_due_then_next(AHEAD)
                # At least every JOB_POLL: jobs written by another instance or process.
                poll = self.clock.now() + JOB_POLL
                self.job_waker.wake_at(poll if due is None else min(due, poll))
                self.health.ok()
                backoff.reset()
            except StorageUnavailable as error:
                self.health.failed(error)
                await backoff.wait()
                self.job_waker.poke()
            except Exception:
                log.exception("job loop error")
            self._job_pass_end = loop.time()
            await self.job_waker.wait()

    async def _delivery_loop(self, name: str) -> None:
        waker = self.delivery_wakers[name]
        loop = asyncio.get_running_loop()
        pass_end = 0.0
        backoff = Backoff(self.pause)
        while not self.delivery.stopping(name):
            await _pause_since(loop, pass_end)
            try:
                due = await self.delivery.deliver_due_then_next(name, AHEAD)
                # At least every OUTBOX_POLL: rows queued by jobs in other instances.
                poll = self.clock.now() + OUTBOX_POLL
                waker.wake_at(poll if due is None else max(min(due, poll), self.clock.now()))
                self.health.ok()
                backoff.reset()
            except StorageUnavailable as error:
                self.health.failed(error)
                await backoff.wait()
                waker.poke()
            except Exception:
                log.exception("delivery loop error", extra={"platform": name})
            pass_end = loop.time()
            await waker.wait()
        # Stopping (it may have been resting above when told): the sends out finish and are
        # recorded, the rest of the claimed rows go back, before the loop ends.
        await self.delivery.drain(name)

    # Virtual time ----------------------------------------------------------------------------
    async def settle(self) -> None:
        """Run everything due at the clock's current instant until nothing is left."""
        await self._settle()

    async def _settle(self) -> datetime | None:
        """`settle`; returns the next instant a job is due (None: no job is pending). Delivery
        never creates jobs, so once the jobs' last batch finds none due now (it asks in its own
        transaction) the jobs are settled, and that answer holds after the deliveries too."""
        for _round in range(1000):
            ran, upcoming = await self.jobs.run_due_and_next()
            for name in self.platforms:
                await self.delivery.deliver_due(name)
            if ran == 0 or upcoming is None or upcoming > self.clock.now():
                return upcoming
        log.error("settle did not converge")
        return await self.jobs.next_due()

    async def next_event(self) -> datetime | None:
        return await self._next_event(await self.jobs.next_due())

    async def _next_event(self, next_job: datetime | None) -> datetime | None:
        candidates = [next_job]
        for name in self.platforms:
            candidates.append(await self.delivery.next_due(name))
        present = [c for c in candidates if c is not None]
        return min(present) if present else None

    async def advance_to(self, target: datetime, set_clock: Callable[[datetime], None]) -> None:
        """Move a virtual clock to `target`, running each due thing at its own instant, in order."""
        while True:
            upcoming = await self._next_event(await self._settle())
            if upcoming is None or upcoming > target or upcoming <= self.clock.now():
                break
            set_clock(upcoming)
        set_clock(target)
        await self.settle()
