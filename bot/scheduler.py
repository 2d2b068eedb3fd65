"""Durable jobs: due work lives in the `job` table; this runs what is due.

Jobs are claimed in batches inside one transaction (FOR UPDATE SKIP LOCKED on PostgreSQL, so
several instances share the work; SQLite serializes writers). In real time, kinds that only send
messages (`Router.job_batch(..., ahead=True)`) are taken up to `ahead` before they are due, with
what else falls due about then, and their messages are held until each job's instant: a steady
stream of reminders costs one transaction per half `ahead` instead of one each, and each goes
out on time instead of after a pass. Each job runs in a savepoint: a
failing job rolls back only its own work and is retried with backoff. A crash before commit
rolls everything back, so the job runs again and its messages are queued exactly once.
APScheduler is only the timer that wakes the dispatcher at the next due instant."""

from __future__ import annotations

import asyncio
import itertools
import logging
import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger
from sqlalchemy import event, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from bot.clock import Clock, SystemClock
from bot.context import Context, Services
from bot.logsetup import log_scope, strings_in
from bot.payloads import NoPayload
from bot.router import JobInfo, Router
from storage.engine import Database, written_tables
from storage.models import Job, Person
from storage.models.core import JobStatus
from storage.repositories.people import people_by_ids

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
BATCH_SECONDS = 0.05  # real time a batch of jobs may hold the database before it commits
FIRST_FIT = 16  # jobs in the first batch, before the runner has learnt how long one takes
LOCKED_RETRY = timedelta(seconds=1)  # due rows another instance is running: look again then
AHEAD = timedelta(seconds=1)  # real time: how long before their instant `ahead` kinds may run


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(3600, 30 * 2 ** max(0, attempts - 1)))


class JobRunner:
    def __init__(
        self,
        db: Database,
        services: Services,
        router: Router,
        *,
        batch: int = 200,
        on_committed: Callable[[frozenset[str]], None] = lambda _tables: None,
    ) -> None:
        self.db = db
        self.services = services
        self.router = router
        self.batch = batch
        self.on_committed = on_committed
        # How many jobs fit in BATCH_SECONDS, as far as we know: a few to begin with (a first
        # batch of a whole `batch` would hold the event loop for long), learnt from each batch.
        self._fit = float(min(batch, FIRST_FIT))
        self._ahead_kinds = sorted(router.ahead)

    async def next_due(self) -> datetime | None:
        async with self.db.transaction() as session:
            first = (await session.execute(_FIRST_DUE)).first()
            return None if first is None else first.due_at

    async def run_due(self) -> int:
        """Run every job due now, in due order. Returns how many ran."""
        total = 0
        while True:
            ran, exhausted, _next = await self._run_batch(want_next=False)
            total += ran
            if exhausted:
                return total

    async def run_due_and_next(self) -> tuple[int, datetime | None]:
        """Virtual time: run every job due now; return how many ran and the next due instant
        (asked in the last batch's transaction), which may be now again when the jobs that ran
        scheduled more that are due at once. Each batch is `whole`: the clock stands still
        while it runs, so nothing is late for it (BATCH_SECONDS is for real time)."""
        total = 0
        while True:
            ran, exhausted, upcoming = await self._run_batch(want_next=True, whole=True)
            total += ran
            if exhausted:
                return total, upcoming

    async def run_due_then_next(self, ahead: timedelta = timedelta(0)) -> datetime | None:
        """Run every job due now, and those of `ahead` kinds due within `ahead`; return when to
        look again: the next due instant (for `ahead` kinds, half `ahead` before it), asked in
        the transaction of the last batch, so a loop needs no second transaction to know when
        to wake; or shortly when due rows are left that another instance holds."""
        while True:
            started = self.services.clock.now()
            _ran, exhausted, upcoming = await self._run_batch(want_next=True, ahead=ahead)
            if exhausted:
                if upcoming is not None and upcoming <= started:
                    return started + LOCKED_RETRY
                return upcoming

    async def _run_batch(
        self, *, want_next: bool, ahead: timedelta = timedelta(0), whole: bool = False
    ) -> tuple[int, bool, datetime | None]:
        """Run one batch (`whole`: up to `batch` jobs, however long they take; else about as
        many as fit in BATCH_SECONDS). Returns how many ran, whether that was everything due
        (and then, with `want_next`, the next due instant)."""
        now = self.services.clock.now()
        upcoming: datetime | None = None
        # Fetch about as many as fit in BATCH_SECONDS (learnt from the batches so far), not a
        # whole batch of which most would only be fetched again by the next one.
        limit = self.batch if whole else min(self.batch, max(4, math.ceil(self._fit)))
        due = [Job.due_at <= now]
        if ahead and self._ahead_kinds:
            # One range of the due index (to the window's end), the other kinds filtered out.
            due = [
                Job.due_at <= now + ahead,
                or_(Job.due_at <= now, Job.kind.in_(self._ahead_kinds)),
            ]
        # The whole batch counts (fetching, running, writing, committing): on SQLite it holds
        # the event loop as well as the database.
        started = time.monotonic()
        async with self.db.transaction() as session:
            found = await session.execute(
                _DUE_COLUMNS.where(Job.status == JobStatus.PENDING, *due)
                .order_by(Job.due_at, Job.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
            jobs = [DueJob(*row) for row in found]
            outcomes = _Outcomes(now)
            people = {job.person_id for job in jobs if job.person_id is not None}
            # One query for the batch's people, held while it runs: each job's get() and a
            # batch handler's ctx.people() find them without a query of their own.
            held: list[Person] = []
            if len(people) > 1:
                held = await people_by_ids(session, people)
            ran = 0
            while ran < len(jobs):
                # A batch holds the database (SQLite: the only writer) while it runs; past
                # BATCH_SECONDS the rest waits for the next batch, so replies and deliveries
                # get their turn in between.
                if ran and not whole and time.monotonic() - started > BATCH_SECONDS:
                    break
                kind = jobs[ran].kind
                if kind in self.router.job_batches:
                    group = list(itertools.takewhile(partial(_of_kind, kind), jobs[ran:]))
                    await self._run_group(session, group, outcomes)
                    ran += len(group)
                else:
                    await self._run_one(session, jobs[ran], outcomes)
                    ran += 1
            del held
            await outcomes.write(session)
            exhausted = ran == len(jobs) < limit
            if want_next and exhausted:
                first = (await session.execute(_FIRST_DUE)).first()
                if first is not None:
                    upcoming = first.due_at
                    if ahead and first.kind in self.router.ahead:
                        # Taken with what else falls due in the next half `ahead`.
                        upcoming -= ahead / 2
        if ran:  # learn how many jobs fit in BATCH_SECONDS
            rate = ran / max(time.monotonic() - started, 1e-4)
            self._fit = min(float(self.batch), 0.5 * self._fit + 0.5 * rate * BATCH_SECONDS)
            self.on_committed(written_tables(session))
        await asyncio.sleep(0)  # between batches, the rest of the program runs
        return ran, exhausted, upcoming

    async def _run_one(self, session: AsyncSession, job: DueJob, outcomes: _Outcomes) -> None:
        handler = self.router.jobs.get(job.kind)
        person = await session.get(Person, job.person_id) if job.person_id is not None else None
        ctx = Context(
            session=session,
            services=self.services,
            person=person,
            key_prefix=f"job:{job.id}",
            unprompted=job.kind,
        )
        # Logs carry the job's correlation id; texts in its payload are redacted from them.
        with log_scope(f"job-{job.id}", *strings_in(job.payload)):
            try:
                if handler is None:
                    raise LookupError(f"no handler for job kind {job.kind}")
                async with session.begin_nested():
                    await handler(ctx, self._info(job))
            except Exception as error:
                outcomes.failed(job, error)
                return
        outcomes.done.append(job.id)

    async def _run_group(
        self, session: AsyncSession, jobs: list[DueJob], outcomes: _Outcomes
    ) -> None:
        """Due jobs of a kind run in batches, together, in one savepoint. When that fails, each
        runs alone (a batch of one), so one bad job fails only itself."""
        handler = self.router.job_batches[jobs[0].kind]
        ctx = Context(
            session=session,
            services=self.services,
            person=None,
            key_prefix=f"job:{jobs[0].id}",
            unprompted=jobs[0].kind,
        )
        texts = {text for job in jobs for text in strings_in(job.payload)}
        with log_scope(f"job-{jobs[0].id}", *texts), _pinned(session):
            try:
                async with session.begin_nested():
                    await handler(ctx, [self._info(job) for job in jobs])
            except Exception as error:
                if len(jobs) == 1:
                    outcomes.failed(jobs[0], error)
                    return
                log.warning("job batch failed, running its jobs one by one", exc_info=True)
                for job in jobs:
                    await self._run_group(session, [job], outcomes)
                return
        outcomes.done.extend(job.id for job in jobs)

    def _info(self, job: DueJob) -> JobInfo[Any]:
        """The job as its handler gets it: the payload decoded by its kind's class (a payload
        that does not fit fails the job, as a failing handler does)."""
        data = self.router.job_payloads.get(job.kind, NoPayload).decode(job.payload, job.kind)
        return JobInfo(
            job.id, job.kind, job.due_at, job.payload, job.person_id, job.cohort_id, job.zone, data
        )


@dataclass(frozen=True)
class DueJob:
    """A due job's row, as the batch that runs it reads it."""

    id: int
    kind: str
    due_at: datetime
    zone: str | None
    payload: dict[str, Any]
    attempts: int
    person_id: int | None
    cohort_id: int | None


_DUE_COLUMNS = select(
    Job.id, Job.kind, Job.due_at, Job.zone, Job.payload, Job.attempts, Job.person_id, Job.cohort_id
)


@dataclass
class _Outcomes:
    """What a batch's jobs came to, written at its end: the done ones in one statement, each
    failed one retried later with backoff (or failed for good)."""

    now: datetime
    done: list[int] = field(default_factory=list)
    failures: list[tuple[int, dict[str, Any]]] = field(default_factory=list)  # id, values

    def failed(self, job: DueJob, error: Exception) -> None:
        attempts = job.attempts + 1
        log.error("job failed", extra={"job_id": job.id, "kind": job.kind}, exc_info=error)
        values: dict[str, Any] = {"attempts": attempts, "last_error": type(error).__name__}
        if attempts >= MAX_ATTEMPTS:
            values |= {"status": JobStatus.FAILED, "finished_at": self.now}
        else:
            values["due_at"] = self.now + backoff(attempts)
        self.failures.append((job.id, values))

    async def write(self, session: AsyncSession) -> None:
        if self.done:
            await session.execute(
                update(Job)
                .where(Job.id.in_(self.done))
                .values(status=JobStatus.DONE, finished_at=self.now)
                .execution_options(synchronize_session=False)
            )
        for job_id, values in self.failures:
            await session.execute(
                update(Job)
                .where(Job.id == job_id)
                .values(**values)
                .execution_options(synchronize_session=False)
            )


@contextmanager
def _pinned(session: AsyncSession) -> Iterator[None]:
    """While a batch runs, what it loads stays loaded: the session's identity map holds rows
    only as long as something refers to them, so each job of a batch asking for the same
    round, session or cohort would otherwise read it again."""
    kept: list[object] = []

    def keep(_session: Session, instance: object) -> None:
        kept.append(instance)

    event.listen(session.sync_session, "loaded_as_persistent", keep)
    try:
        yield
    finally:
        event.remove(session.sync_session, "loaded_as_persistent", keep)


def _of_kind(kind: str, job: DueJob) -> bool:
    return job.kind == kind


# The next job to fall due, and its kind (the first row of the due index).
_FIRST_DUE = (
    select(Job.due_at, Job.kind)
    .where(Job.status == JobStatus.PENDING)
    .order_by(Job.due_at, Job.id)
    .limit(1)
)


class Waker:
    """Wakes a waiting loop at an instant of `clock` (APScheduler as a timer) or at once (poke).

    APScheduler counts in real time; an instant of the bot's clock (which may be shifted, as in
    the interactive console after `:advance`) is turned into real time by its distance from
    the clock's now."""

    def __init__(self, clock: Clock | None = None) -> None:
        self._event = asyncio.Event()
        self._scheduler: AsyncIOScheduler | None = None
        self._clock = clock
        self._real = SystemClock()

    def start(self) -> None:
        self._scheduler = AsyncIOScheduler(timezone="UTC")
        self._scheduler.start()

    def stop(self) -> None:
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.shutdown(wait=False)

    def poke(self) -> None:
        self._event.set()

    async def _timer_fired(self) -> None:
        # A coroutine, so APScheduler runs it in the event loop: a plain function would run in
        # its thread pool, where setting an asyncio.Event is not safe (the loop may not wake).
        self.poke()

    def wake_at(self, when: datetime) -> None:
        if self._scheduler is None:
            return
        if self._clock is not None:
            when = self._real.now() + max(timedelta(0), when - self._clock.now())
        self._scheduler.add_job(
            self._timer_fired,
            DateTrigger(run_date=when),
            id="wake",
            replace_existing=True,
            misfire_grace_time=None,
        )

    async def wait(self) -> None:
        await self._event.wait()
        self._event.clear()
