"""A worker process for the broadcast crash tests: the real bot (pipeline, jobs, fan-out,
delivery) on a file-backed platform with a cohort of MEMBERS people, killing itself (SIGKILL)
at a chosen point. Run it again with `none` to resume.

Usage: python -m tests.broadcast.crash_worker DB_URL SINK_FILE CRASH_POINT
CRASH_POINT: none | fanout:K (inside the K-th fan-out batch, before commit) | claim:K (after the
K-th claimed batch) | send:K (after the K-th send, before it is recorded)."""

from __future__ import annotations

import asyncio
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from bot.app import build_app
from bot.clock import VirtualClock
from bot.config import load_config
from bot.context import Context
from bot.messages import Address, Inbound
from bot.router import JobInfo
from storage.models import Cohort
from tests.broadcast.helpers import seed_members
from tests.fakes.crash import Crash, SinkPlatform

MEMBERS = 1_100  # three fan-out batches of 500
START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def inbound(text: str, n: int) -> Inbound:
    return Inbound(
        platform="sink",
        update_id=f"setup-{n}",
        user_id="coord",
        chat=Address("sink", "coord"),
        text=text,
        received_at=START,
        display_name="coord",
    )


async def main(db_url: str, sink: Path, point: str) -> None:
    crash = Crash(point)
    clock = VirtualClock(START)
    base = load_config(None, env={})
    config = replace(base, storage=replace(base.storage, url=db_url, files_dir=str(sink.parent)))
    app = await build_app(config, clock, {"sink": SinkPlatform(sink, crash)})
    runtime = app.runtime
    fanout = runtime.jobs.router.jobs["broadcast.fanout"]

    async def crashing_fanout(ctx: Context, job: JobInfo) -> None:
        await fanout(ctx, job)
        crash.hit("fanout")

    runtime.jobs.router.jobs["broadcast.fanout"] = crashing_fanout
    original_claim = runtime.delivery._claim

    async def claim(platform: str) -> list:  # type: ignore[type-arg]
        claimed = await original_claim(platform)
        if claimed:
            crash.hit("claim")
        return claimed

    runtime.delivery._claim = claim  # type: ignore[method-assign]
    async with app.db.transaction() as session:
        exists = (await session.execute(select(Cohort.id))).first() is not None
    if not exists:
        await runtime.handle(inbound('/newcohort "Big" UTC', 1))
        async with app.db.transaction() as session:
            cohort = (await session.execute(select(Cohort.id))).scalar_one()
        await seed_members(app.db, cohort, MEMBERS, START, platform="sink")
        await runtime.handle(inbound('/announce "Crash test"', 2))
        await runtime.handle(inbound("1", 3))
    await runtime.delivery.recover()
    await runtime.settle()
    await runtime.advance_to(clock.now() + timedelta(minutes=2), clock.set)
    await app.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], Path(sys.argv[2]), sys.argv[3]))
