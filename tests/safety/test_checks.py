"""Safety check-ins through the whole bot (both backends): everyone asked once, in batches,
through the outbox; answers; the alert; the reminder; status."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select

from handlers.safety import checks
from storage.models import Job, OutboxMessage
from storage.models.safety import SafetyCheckAnswer
from tests.broadcast.helpers import cohort_id, seed_members
from tests.harness import BotHarness
from tests.safety.helpers import cohort_with


async def outbox(bot: BotHarness, like: str) -> list[OutboxMessage]:
    async with bot.db.transaction() as session:
        found = await session.execute(
            select(OutboxMessage).where(OutboxMessage.idempotency_key.like(like))
        )
        return list(found.scalars())


async def test_three_hundred_members_are_each_asked_exactly_once(
    bot: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(checks, "FANOUT_BATCH", 120)  # three fan-out jobs, resumed at a cursor
    await cohort_with(bot, "fac")
    await bot.send("coord", "/role fac facilitator")
    seeded = await seed_members(bot.db, await cohort_id(bot.db), 300, bot.clock.now())
    reply = await bot.ask("fac", '/safetycheck "Storm warning"')
    assert "to every member (301)" in reply  # 300 seeded and the coordinator; not its author
    rows = await outbox(bot, "safety:ask:%")
    asked = Counter(row.person_id for row in rows)
    assert len(rows) == 301 and set(asked.values()) == {1}
    assert set(seeded) <= set(asked)
    assert {row.status for row in rows} == {"sent"}
    async with bot.db.transaction() as session:
        jobs = (await session.execute(select(Job).where(Job.kind == "safety.check"))).scalars()
        assert sorted(j.status for j in jobs) == ["done", "done", "done"]
    # the question carries its choices; an answer by a seeded member counts once
    await bot.send("1000007", "I'm safe")
    await bot.send("1000008", "I need help")
    # the reminder goes to the 299 who have not answered, each once
    await bot.advance(timedelta(minutes=29))
    assert await outbox(bot, "safety:remind:%") == []
    await bot.advance(timedelta(minutes=2))
    reminded = Counter(row.person_id for row in await outbox(bot, "safety:remind:%"))
    assert len(reminded) == 299 and set(reminded.values()) == {1}
    assert seeded[7] not in reminded and seeded[8] not in reminded
    status = await bot.ask("fac", "/safetystatus")
    assert "safe 1, need help 1, no answer yet 299." in status
    assert "… and 259 more" in status  # long lists are cut
    # nobody is asked twice even when the jobs run again
    await bot.advance(timedelta(hours=2))
    assert len(await outbox(bot, "safety:ask:%")) == 301


async def test_help_alerts_the_contacts_at_once_and_one_answer_settles_it(
    bot: BotHarness,
) -> None:
    await cohort_with(bot, "ana", "bo")
    await bot.send("coord", "/safetycontacts add bo")
    await bot.send("coord", "/safetycheck")
    # the reminder re-asks; answering either question settles both
    await bot.advance(timedelta(minutes=31))
    assert "Reminder" in bot.last_text("ana")
    await bot.send("ana", "I need help")
    assert "🆘 ana answered safety check #1" in bot.last_text("bo")
    assert "🆘 ana answered" in bot.last_text("coord")  # the check's author
    await bot.send("ana", "Skip")
    assert "will reach out" in bot.last_text("ana")
    await bot.send("ana", "1")  # nothing left open: not an answer to the check
    async with bot.db.transaction() as session:
        answers = (await session.execute(select(SafetyCheckAnswer))).scalars().all()
        assert sorted(a.status for a in answers) == ["asked", "help"]


async def test_a_lone_coordinator_has_nobody_to_ask(bot: BotHarness) -> None:
    await cohort_with(bot)
    reply = await bot.ask("coord", "/safetycheck")
    assert "There is nobody else in this cohort to ask yet" in reply
    assert "no safety check" in (await bot.ask("coord", "/safetystatus"))
