"""A worker process for the crash tests: schedules jobs that send messages, runs them through the
real job runner, outbox and delivery on a file-backed platform, and kills itself (SIGKILL) at a
chosen point. Usage: python -m tests.core.crash_worker DB_URL SINK_FILE CRASH_POINT
CRASH_POINT: none | job:K (inside the K-th job, before commit) | send:K (after the K-th send,
before it is recorded) | claim:K (after the K-th claimed batch)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.clock import VirtualClock
from bot.config import load_config
from bot.context import Context, Services
from bot.delivery import Delivery
from bot.i18n import Catalogs
from bot.messages import Address, Outbound, RateLimits, SendResult
from bot.outbox import schedule_job
from bot.platform import Capabilities, InboundHandler
from bot.router import JobInfo, Router
from bot.scheduler import JobRunner
from storage.engine import Database
from storage.migrate import upgrade

JOBS = 12
MESSAGES_PER_JOB = 3
START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


class Crash:
    def __init__(self, point: str) -> None:
        kind, _sep, count = point.partition(":")
        self.kind = kind
        self.at = int(count) if count else 0
        self.seen = 0

    def hit(self, kind: str) -> None:
        if kind != self.kind:
            return
        self.seen += 1
        if self.seen == self.at:
            os.kill(os.getpid(), signal.SIGKILL)


class SinkPlatform:
    """Appends every send to a file (fsync'd): what the outside world received."""

    name = "sink"

    def __init__(self, path: Path, crash: Crash) -> None:
        self.path = path
        self.crash = crash

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities(limits=RateLimits())

    async def start(self, on_inbound: InboundHandler) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def send(self, message: Outbound) -> SendResult:
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps({"key": message.key, "text": message.text}) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        self.crash.hit("send")
        return SendResult.sent()


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
