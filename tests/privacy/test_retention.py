"""Retention: a daily job, scheduled at start (once, however often the bot restarts), purges
what is past its limit and calls every capability's retention hook."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import PrivacyConfig, load_config
from bot.errors import ConfigError
from bot.messages import Address
from bot.outbox import enqueue_message, schedule_job
from handlers.privacy.commands import RETENTION, next_run
from storage.base import Executor
from storage.models import Job, OutboxMessage, PendingQuestion, ProcessedUpdate
from storage.privacy import purge_expired, retention_hooks
from tests.conftest import START
from tests.harness import BotHarness
from tests.privacy.helpers import person_id, say


async def retention_jobs(bot: BotHarness) -> list[Job]:
    async with bot.db.transaction() as session:
        found = await session.execute(select(Job).where(Job.kind == RETENTION).order_by(Job.due_at))
        return list(found.scalars())


async def test_the_daily_job_is_scheduled_once_at_start(
    bot: BotHarness, db_url: str, tmp_path: Path
) -> None:
    (job,) = await retention_jobs(bot)
    assert job.status == "pending"
    assert job.due_at == datetime(2026, 12, 2, 3, 30, tzinfo=UTC)
    # A restart (another app on the same database) does not add a second one.
    again = await BotHarness.create(db_url, tmp_path / "restart", START + timedelta(hours=2))
    try:
        assert [j.due_at for j in await retention_jobs(bot)] == [job.due_at]
    finally:
        await again.close()


async def test_it_runs_every_day_and_reschedules_itself(bot: BotHarness) -> None:
    await bot.advance(timedelta(days=3))
    jobs = await retention_jobs(bot)
    assert [(j.due_at.day, j.status) for j in jobs] == [
        (2, "done"),
        (3, "done"),
        (4, "done"),
        (5, "pending"),
    ]
    assert all((j.due_at.hour, j.due_at.minute) == (3, 30) for j in jobs)


def test_next_run_is_strictly_after_now() -> None:
    at = datetime(2026, 12, 1, 3, 30, tzinfo=UTC)
    assert next_run(at, "03:30") == at + timedelta(days=1)
    assert next_run(at - timedelta(seconds=1), "03:30") == at
    assert next_run(at, "23:59") == datetime(2026, 12, 1, 23, 59, tzinfo=UTC)


async def _age(session: AsyncSession, now: datetime) -> None:
    """Rows of every kind, one just inside and one just outside the default limits."""
    for days, uid in ((8, "old"), (6, "new")):
        session.add(
            ProcessedUpdate(
                platform="console", update_id=uid, processed_at=now - timedelta(days=days)
            )
        )
    for days, status, key in (
        (31, "sent", "old-sent"),
        (29, "sent", "new-sent"),
        (31, "pending", "old-pending"),
        (31, "failed", "old-failed"),
    ):
        await enqueue_message(
            session,
            key=key,
            to=Address("console", "x"),
            text="",
            now=now - timedelta(days=days),
            not_before=now + timedelta(days=9),  # waits (for the end of quiet hours, say)
        )
        await session.execute(
            update(OutboxMessage).where(OutboxMessage.idempotency_key == key).values(status=status)
        )
    for days, status, key in (
        (31, "done", "old-done"),
        (29, "done", "new-done"),
        (31, "cancelled", "old-cancelled"),
        (31, "failed", "old-failed"),
    ):
        await schedule_job(
            session,
            kind="x",
            due_at=now - timedelta(days=days),
            key=key,
            now=now - timedelta(days=days),
        )
        await session.execute(update(Job).where(Job.idempotency_key == key).values(status=status))


async def test_what_is_past_its_limit_is_purged(bot: BotHarness) -> None:
    await say(bot, "ana", "/forgetme")  # a question that expires after 15 minutes
    pid = await person_id(bot, "ana")
    assert pid is not None
    now = bot.clock.now()
    async with bot.db.transaction() as session:
        await _age(session, now + timedelta(hours=18, minutes=30))  # relative to the next run
        session.add(
            PendingQuestion(
                person_id=pid,
                kind="x",
                payload={},
                choices=[],
                sticky=True,
                created_at=now - timedelta(days=31),
            )
        )
        session.add(
            PendingQuestion(
                person_id=pid,
                kind="y",
                payload={},
                choices=[],
                sticky=True,
                created_at=now - timedelta(days=1),
            )
        )
    await bot.advance(timedelta(hours=18, minutes=31))  # past 03:30 next day
    async with bot.db.transaction() as session:
        updates = set((await session.execute(select(ProcessedUpdate.update_id))).scalars())
        outbox = set((await session.execute(select(OutboxMessage.idempotency_key))).scalars())
        jobs = set((await session.execute(select(Job.idempotency_key))).scalars())
        questions = set((await session.execute(select(PendingQuestion.kind))).scalars())
    assert "old" not in updates and "new" in updates
    assert {"old-sent", "old-failed"}.isdisjoint(outbox)
    assert {"new-sent", "old-pending"} <= outbox  # a message not out yet is never purged
    assert {"old-done", "old-cancelled", "old-failed"}.isdisjoint(jobs)
    assert "new-done" in jobs
    assert questions == {"y"}  # the expired confirmation and the month-old prompt are gone


async def test_hooks_are_called_with_the_privacy_settings(bot: BotHarness) -> None:
    seen: list[tuple[datetime, PrivacyConfig]] = []

    async def hook(session: Executor, now: datetime, privacy: PrivacyConfig) -> int:
        seen.append((now, privacy))
        return 3

    config = PrivacyConfig(debrief_retention_days=90)
    async with bot.db.transaction() as session:
        purged = await purge_expired(session, bot.clock.now(), config, hooks=[("answers", hook)])
    assert seen == [(bot.clock.now(), config)]
    assert purged == {"answers": 3}


async def test_every_models_hook_runs_on_the_real_schema(bot: BotHarness) -> None:
    from storage.base import Base

    declared = {
        str(getattr(m.local_table, "name", ""))
        for m in Base.registry.mappers
        if hasattr(m.class_, "__retention__")
    }
    hooks = retention_hooks()
    assert {name for name, _hook in hooks} == declared
    async with bot.db.transaction() as session:
        for name, hook in hooks:
            count = await hook(session, bot.clock.now() + timedelta(days=3650), PrivacyConfig())
            assert isinstance(count, int), name


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("COHORTBOT_PRIVACY_OUTBOX_RETENTION_DAYS", "0"),
        ("COHORTBOT_PRIVACY_PROCESSED_UPDATES_DAYS", "-3"),
        ("COHORTBOT_PRIVACY_RETENTION_RUN_AT", "3:30"),
        ("COHORTBOT_PRIVACY_RETENTION_RUN_AT", "24:00"),
        ("COHORTBOT_PRIVACY_FINISHED_JOB_DAYS", "soon"),
    ],
)
def test_bad_retention_settings_are_refused_naming_the_key(key: str, value: str) -> None:
    with pytest.raises(ConfigError) as error:
        load_config(None, env={key: value})
    assert key.removeprefix("COHORTBOT_PRIVACY_").lower() in str(error.value).lower()


async def test_purging_counts_rows_and_nothing_else(bot: BotHarness) -> None:
    async with bot.db.transaction() as session:
        before = await session.scalar(select(func.count()).select_from(ProcessedUpdate))
        purged = await purge_expired(session, bot.clock.now(), PrivacyConfig(), hooks=[])
        after = await session.scalar(select(func.count()).select_from(ProcessedUpdate))
    assert purged == {} and before == after
