"""Durable jobs: due work lives in the `job` table; this runs what is due.

Jobs are claimed in batches inside one transaction (FOR UPDATE SKIP LOCKED on PostgreSQL, so
several instances share the work; SQLite serializes writers). Each job runs in a savepoint: a
failing job rolls back only its own work and is retried with backoff. A crash before commit
rolls everything back, so the job runs again and its messages are queued exactly once.
APScheduler is only the timer that wakes the dispatcher at the next due instant."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import Context, Services
from bot.logsetup import log_scope, strings_in
from bot.router import JobInfo, Router
from storage.engine import Database
from storage.models import Job, Person

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5


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
        on_committed: Callable[[], None] = lambda: None,
    ) -> None:
        self.db = db
        self.services = services
        self.router = router
        self.batch = batch
        self.on_committed = on_committed

    async def next_due(self) -> datetime | None:
        async with self.db.transaction() as session:
            found = await session.execute(
                select(func.min(Job.due_at)).where(Job.status == "pending")
            )
            value: datetime | None = found.scalar_one()
            return value

    async def run_due(self) -> int:
        """Run every job due now, in due order. Returns how many ran."""
        total = 0
        while True:
            ran = await self._run_batch()
            total += ran
            if ran < self.batch:
                return total

    async def _run_batch(self) -> int:
        now = self.services.clock.now()
        async with self.db.transaction() as session:
            found = await session.execute(
                select(Job)
                .where(Job.status == "pending", Job.due_at <= now)
                .order_by(Job.due_at, Job.id)
                .limit(self.batch)
                .with_for_update(skip_locked=True)
            )
            jobs = list(found.scalars())
            for job in jobs:
                await self._run_one(session, job, now)
        if jobs:
            self.on_committed()
        return len(jobs)

    async def _run_one(self, session: AsyncSession, job: Job, now: datetime) -> None:
        handler = self.router.jobs.get(job.kind)
        person = await session.get(Person, job.person_id) if job.person_id is not None else None
        ctx = Context(
            session=session, services=self.services, person=person, key_prefix=f"job:{job.id}"
        )
        info = JobInfo(
            job.id, job.kind, job.due_at, job.payload, job.person_id, job.cohort_id, job.zone
        )
        # Logs carry the job's correlation id; texts in its payload are redacted from them.
        with log_scope(f"job-{job.id}", *strings_in(job.payload)):
            try:
                if handler is None:
                    raise LookupError(f"no handler for job kind {job.kind}")
                async with session.begin_nested():
                    await handler(ctx, info)
            except Exception as error:
                job.attempts += 1
                job.last_error = type(error).__name__
                log.exception("job failed", extra={"job_id": job.id, "kind": job.kind})
                if job.attempts >= MAX_ATTEMPTS:
                    job.status = "failed"
                    job.finished_at = now
                else:
                    job.due_at = now + backoff(job.attempts)
                return
        job.status = "done"
        job.finished_at = now


class Waker:
    """Wakes a waiting loop at an instant (APScheduler as a timer) or at once (poke)."""

    def __init__(self) -> None:
        self._event = asyncio.Event()
        self._scheduler: AsyncIOScheduler | None = None

    def start(self) -> None:
        self._scheduler = AsyncIOScheduler(timezone="UTC")
        self._scheduler.start()

    def stop(self) -> None:
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.shutdown(wait=False)

    def poke(self) -> None:
        self._event.set()

    def wake_at(self, when: datetime) -> None:
        if self._scheduler is None:
            return
        self._scheduler.add_job(
            self.poke,
            DateTrigger(run_date=when),
            id="wake",
            replace_existing=True,
            misfire_grace_time=None,
        )

    async def wait(self) -> None:
        await self._event.wait()
        self._event.clear()
