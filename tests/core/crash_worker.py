"""A worker process for the crash tests: schedules jobs that send messages, runs them through the
real job runner, outbox and delivery on a file-backed platform, and kills itself (SIGKILL) at a
chosen point. Usage: python -m tests.core.crash_worker DB_URL SINK_FILE CRASH_POINT
CRASH_POINT: none | job:K (inside the K-th job, before commit) | send:K (after the K-th send,
before it is recorded) | claim:K (after the K-th claimed batch)."""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.clock import VirtualClock
from bot.config import load_config
from bot.context import Context, Services
from bot.delivery import Delivery
from bot.i18n import Catalogs
from bot.messages import Address
from bot.outbox import schedule_job
from bot.router import JobInfo, Router
from bot.scheduler import JobRunner
from storage.engine import Database
from storage.migrate import upgrade
from tests.fakes.crash import Crash, SinkPlatform

JOBS = 12
MESSAGES_PER_JOB = 3
START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


async def main(db_url: str, sink: Path, point: str) -> None:
    crash = Crash(point)
    clock = VirtualClock(START)
    db = Database(db_url)
    await upgrade(db)
    config = load_config(None, env={})
    services = Services(config=config, catalogs=Catalogs(("en",)), clock=clock, zones=None)
    router = Router()

    @router.job("test.say")
    async def say(ctx: Context, job: JobInfo) -> None:
        for i in range(MESSAGES_PER_JOB):
            await ctx.send_to_chat(Address("sink", "room"), f"job {job.payload['n']} message {i}")
        crash.hit("job")

    async with db.transaction() as session:
        for n in range(JOBS):
            await schedule_job(
                session,
                kind="test.say",
                due_at=START + timedelta(minutes=n),
                key=f"test:{n}",
                now=START,
                payload={"n": n},
            )
    jobs = JobRunner(db, services, router, batch=5)
    delivery = Delivery(db, {"sink": SinkPlatform(sink, crash)}, clock, batch=4, instance_id="w")
    await delivery.recover()
    original_claim = delivery._claim

    async def claim(platform: str) -> list:  # type: ignore[type-arg]
        claimed = await original_claim(platform)
        if claimed:
            crash.hit("claim")
        return claimed

    delivery._claim = claim  # type: ignore[method-assign]
    clock.set(START + timedelta(hours=1))
    await jobs.run_due()
    # After a crash the leases of claimed rows must run out before they are sent again.
    clock.set(START + timedelta(hours=2))
    await delivery.deliver_due("sink")
    await db.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], Path(sys.argv[2]), sys.argv[3]))
