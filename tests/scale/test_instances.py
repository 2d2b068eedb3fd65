"""Several instances: two `python -m bot run` processes on one PostgreSQL database (a fresh one
per test) and one fake Telegram server. Jobs run in both (rows claimed with FOR UPDATE SKIP
LOCKED); only the instance holding the lease `platform:telegram` polls Telegram and sends, and
when it dies the other takes over. Checks: every message goes out exactly once, nobody polls
while another holds the lease (the fake answers 409 to a second poller), the take-over happens
within 30 seconds (measured, printed)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from storage.engine import Database
from storage.models.lease import Lease
from tests.conftest import PG_ENV, _create_pg_database, _drop_pg_database
from tests.fakes.telegram_api import FakeTelegram
from tests.scale.helpers import (
    COORD,
    FIRST_MEMBER,
    STARTUP,
    TOKEN,
    BotProcess,
    copies,
    migrated,
    seed_members,
    started_users,
    wait_for,
)

pytestmark = pytest.mark.timeout(600)

MEMBERS = 60
TAKE_OVER_GOAL = 30.0  # seconds


@pytest.fixture
async def pg_url(postgres_server: str | None) -> AsyncIterator[str]:
    if postgres_server is None:
        pytest.skip(f"several instances share one PostgreSQL database: set {PG_ENV}")
    url = await _create_pg_database(postgres_server)
    try:
        yield url
    finally:
        await _drop_pg_database(postgres_server, url)


def conflicts(fake: FakeTelegram) -> int:
    return sum(1 for r in fake.rejections if r.error_code == 409 and r.method == "getUpdates")


async def lease_holder(db_url: str) -> str | None:
    db = Database(db_url)
    try:
        async with db.transaction() as session:
            found = await session.execute(
                select(Lease.holder).where(Lease.name == "platform:telegram")
            )
            return found.scalar_one_or_none()
    finally:
        await db.close()


async def test_two_instances_share_the_work_and_take_over(pg_url: str, tmp_path: Path) -> None:
    await migrated(pg_url)
    members = range(FIRST_MEMBER, FIRST_MEMBER + MEMBERS)
    async with FakeTelegram(token=TOKEN) as fake:
        await started_users(fake, [COORD, *members])
        a = BotProcess(fake, pg_url, tmp_path, instance="instance-a")
        b = BotProcess(fake, pg_url, tmp_path, instance="instance-b")
        try:
            await a.start()
            fake.send_private(COORD, '/newcohort "Twins" UTC')
            await wait_for(fake, lambda: fake.messages_to(COORD), STARTUP, "a answers")
            settled = conflicts(fake)
            await b.start()  # stands by: a holds the lease
            assert await lease_holder(pg_url) == "instance-a"
            await seed_members(pg_url, "Twins", MEMBERS)

            # A burst of due jobs (a notice to each member), run by both instances, sent by a.
            marker = "Twin kickoff"
            fake.send_private(COORD, f'/addsession "{marker}" 2027-03-02 15:00 UTC')
            await wait_for(
                fake,
                lambda: all(copies(fake, marker, members).values()),
                STARTUP + MEMBERS,
                "every member hears of the session",
            )
            assert b.running, b.log_text()[-2000:]

            while_both = conflicts(fake) - settled
            # a dies; b takes over polling and sending.
            loop = asyncio.get_running_loop()
            await a.kill()
            killed_at = loop.time()
            before = len(fake.messages_to(COORD))
            fake.send_private(COORD, "/me")
            await wait_for(
                fake,
                lambda: len(fake.messages_to(COORD)) > before,
                TAKE_OVER_GOAL + STARTUP,
                "b answers after a died",
            )
            take_over = loop.time() - killed_at
            assert await lease_holder(pg_url) == "instance-b"
            counted = copies(fake, marker, members)
            figures = {
                "members": MEMBERS,
                "lost": sum(1 for n in counted.values() if n == 0),
                "duplicates": sum(n - 1 for n in counted.values() if n > 1),
                "conflicts_409_while_both_ran": while_both,
                "take_over_seconds": round(take_over, 1),
            }
            print(json.dumps({"test": "two instances", **figures}))
            assert figures["lost"] == 0 and figures["duplicates"] == 0
            assert figures["conflicts_409_while_both_ran"] == 0
            assert take_over <= TAKE_OVER_GOAL
        finally:
            await a.stop()
            await b.stop()
