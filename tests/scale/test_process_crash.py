"""Crash safety of the real program: `python -m bot run` against the fake Telegram server (flood
limits on), killed with SIGKILL at random moments while it delivers a broadcast and while it
runs a burst of due jobs (the notices of a new session to every member), restarted each time.

Nothing may be lost; a crash may repeat at most the messages that were sent and not yet recorded
when it happened, which the delivery keeps to `[telegram] max_unrecorded` (the kill here comes
right as a message arrives, the worst case: on a quiet machine expect one). Restarts may meet a 429 (the new process's first request can be delayed by its
connection set-up and arrive together with later ones); the delivery waits as told, nothing is
lost; the count is printed. The seed of the random kill points is printed and
can be fixed with COHORTBOT_TEST_CRASH_SEED to replay a run."""

from __future__ import annotations

import asyncio
import json
import os
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.clock import SystemClock
from bot.config import TelegramConfig
from storage.engine import Database
from storage.models import Job, OutboxMessage
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

MEMBERS = 90  # three seconds of sending at Telegram's 30 messages a second
CRASHES = 3


def crash_seed() -> int:
    return int(
        os.environ.get("COHORTBOT_TEST_CRASH_SEED") or random.SystemRandom().randrange(10**6)
    )


async def eventually(check: Callable[[], Awaitable[bool]], within: float, what: str) -> None:
    """Bounded wait on the database (it has no push notifications)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not await check():
        if loop.time() > deadline:
            raise AssertionError(f"not within {within:.0f} s: {what}")
        await asyncio.sleep(0.05)  # a poll interval, not a timing assumption


async def nothing_left(db_url: str) -> bool:
    """Every job finished and every message in a final state."""
    db = Database(db_url)
    try:
        async with db.transaction() as session:
            jobs = await session.execute(
                select(func.count())
                .select_from(Job)
                .where(Job.status == "pending", Job.due_at <= SystemClock().now())
            )
            rows = await session.execute(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.status.in_(("pending", "claimed")))
            )
            return int(jobs.scalar_one()) == 0 and int(rows.scalar_one()) == 0
    finally:
        await db.close()


async def run_with_crashes(
    fake: FakeTelegram,
    bot: BotProcess,
    marker: str,
    expected: int,
    rng: random.Random,
) -> int:
    """While the copies of `marker` arrive, kill the bot after a random number of them and
    start it again, CRASHES times (fewer if it finishes first). Returns how many kills."""
    kills = 0
    for _ in range(CRASHES):
        done = reached(fake, marker)
        if done >= expected - 1:
            break
        target = rng.randint(done + 1, done + max(1, (expected - done) // 2))
        await wait_for(
            fake,
            lambda t=target: reached(fake, marker) >= t,
            STARTUP + expected,
            f"{target} members reached",
        )
        await bot.kill()
        kills += 1
        await bot.start()
    return kills


def reached(fake: FakeTelegram, marker: str) -> int:
    """How many members have received the message (at least once)."""
    counted = copies(fake, marker, range(FIRST_MEMBER, FIRST_MEMBER + MEMBERS))
    return sum(1 for n in counted.values() if n)


def verdict(name: str, seed: int, fake: FakeTelegram, marker: str, kills: int) -> None:
    members = range(FIRST_MEMBER, FIRST_MEMBER + MEMBERS)
    counted = copies(fake, marker, members)
    lost = sorted(chat for chat, n in counted.items() if n == 0)
    duplicated = sum(n - 1 for n in counted.values() if n > 1)
    figures = {"lost": len(lost), "duplicates": duplicated, "429": fake.count_429}
    print(json.dumps({"test": name, "seed": seed, "kills": kills, **figures}))
    assert lost == [], f"lost (seed {seed}): {lost}"
    # A crash repeats the messages sent and not yet recorded: the delivery keeps them to the
    # platform's rate times the time a send and its record take, at least one, and never more
    # than the configured cap, however loaded the machine.
    per_crash = TelegramConfig().max_unrecorded
    assert duplicated <= per_crash * kills, f"{duplicated} duplicates, {kills} crashes, seed {seed}"


@pytest.fixture
async def world(db_url: str, tmp_path: Path) -> AsyncIterator[tuple[FakeTelegram, BotProcess]]:
    await migrated(db_url)
    async with FakeTelegram(token=TOKEN) as fake:  # Telegram's flood limits on
        await started_users(fake, [COORD, *range(FIRST_MEMBER, FIRST_MEMBER + MEMBERS)])
        bot = BotProcess(fake, db_url, tmp_path)
        await bot.start()
        try:
            fake.send_private(COORD, '/newcohort "Scale" UTC')
            await wait_for(fake, lambda: fake.messages_to(COORD), STARTUP, "the cohort is created")
            await seed_members(db_url, "Scale", MEMBERS)
            yield fake, bot
        finally:
            await bot.stop()
            print(bot.log_text()[-3000:])


async def test_a_broadcast_survives_kills(
    world: tuple[FakeTelegram, BotProcess], db_url: str
) -> None:
    fake, bot = world
    seed = crash_seed()
    marker = f"Crash-safe announcement {seed}"
    fake.send_private(COORD, f'/announce "{marker}"')
    await wait_for(fake, lambda: len(fake.messages_to(COORD)) >= 2, 60, "the confirmation")
    fake.send_private(COORD, "1")
    kills = await run_with_crashes(fake, bot, marker, MEMBERS, random.Random(seed))
    await wait_for(
        fake, lambda: reached(fake, marker) >= MEMBERS, STARTUP + 4 * MEMBERS, "every member"
    )
    await eventually(lambda: nothing_left(db_url), STARTUP, "nothing left to send")
    await bot.stop()
    verdict("broadcast", seed, fake, marker, kills)


async def test_a_burst_of_due_jobs_survives_kills(
    world: tuple[FakeTelegram, BotProcess], db_url: str
) -> None:
    """/addsession queues a notice job per member, all due at once: a burst of jobs, each
    sending one message."""
    fake, bot = world
    seed = crash_seed()
    marker = f"Kickoff {seed}"
    fake.send_private(COORD, f'/addsession "{marker}" 2027-03-02 15:00 UTC')
    kills = await run_with_crashes(fake, bot, marker, MEMBERS, random.Random(seed))
    await wait_for(
        fake, lambda: reached(fake, marker) >= MEMBERS, STARTUP + 4 * MEMBERS, "every member"
    )
    await eventually(lambda: nothing_left(db_url), STARTUP, "nothing left to run or send")
    await bot.stop()
    verdict("job burst", seed, fake, marker, kills)
