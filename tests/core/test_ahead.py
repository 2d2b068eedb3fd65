"""Real time's cheap path: jobs that only send messages run a moment ahead of their instant,
the delivery claims their messages ahead too, and the lanes hold each until its instant;
outcomes are recorded in groups. What a person gets, and when, stays the same."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bench.common import DbCounter, seed_people
from bot.clock import VirtualClock
from bot.context import Ask, Context
from bot.delivery import Delivery
from bot.messages import Address, Choice, Outbound, SendResult
from bot.outbox import PRIORITY_NOTICE, enqueue_message, schedule_job
from bot.question_tags import tag_of
from bot.router import JobInfo, Router
from bot.scheduler import JobRunner
from storage.engine import Database
from storage.models import Job, OutboxMessage, PendingQuestion
from tests.core.test_delivery import virtual_sleep
from tests.fakes.platform import FakePlatform
from tests.scale.test_core_paths import job_services

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
AHEAD = timedelta(seconds=1)


class CountingPlatform(FakePlatform):
    """A FakePlatform that says when it has sent `target` messages."""

    def __init__(self, clock: VirtualClock, target: int) -> None:
        super().__init__(clock)
        self.target = target
        self.all_sent = asyncio.Event()

    async def send(self, message: Outbound) -> SendResult:
        result = await super().send(message)
        if len(self.sent) >= self.target:
            self.all_sent.set()
        return result


async def queue_bulk(db: Database, count: int) -> None:
    """`count` reminders due now, each to a chat of its own."""
    async with db.transaction() as session:
        for n in range(count):
            await enqueue_message(
                session,
                key=f"m{n}",
                to=Address("fake", f"c{n}", False),
                text="reminder",
                now=START,
                priority=PRIORITY_NOTICE,
            )


async def statuses(db: Database) -> list[str]:
    async with db.transaction() as session:
        return list((await session.execute(select(OutboxMessage.status))).scalars())


async def someone(db: Database) -> int:
    """A person reachable on the fake platform."""
    (person,) = await seed_people(db, 1, START, platform="fake")
    return person


async def test_only_kinds_that_just_send_run_ahead_and_they_judge_and_hold_for_their_instant(
    db: Database,
) -> None:
    clock = VirtualClock(START)
    router = Router()
    seen: list[tuple[str, datetime, datetime]] = []  # kind, ctx.now, the job's instant

    @router.job_batch("test.remind", ahead=True)
    async def remind(ctx: Context, jobs: Sequence[JobInfo]) -> None:
        asks = []
        for job in jobs:
            at = job.at(ctx.now)
            seen.append((job.kind, ctx.now, at))
            assert job.person_id is not None
            choices = (Choice("ok", "ok"),)
            asks.append(Ask(job.person_id, "soon", choices, f"job:{job.id}:1", at=at))
        await ctx.ask_many("test.q", asks)

    @router.job("test.close")
    async def close(ctx: Context, job: JobInfo) -> None:
        seen.append((job.kind, ctx.now, job.at(ctx.now)))

    person = await someone(db)
    due = START + timedelta(milliseconds=400)
    async with db.transaction() as session:
        for kind, key, at in [
            ("test.remind", "r1", due),
            ("test.close", "c1", due),
            ("test.remind", "r2", START + timedelta(seconds=5)),
        ]:
            await schedule_job(session, kind=kind, due_at=at, key=key, now=START, person_id=person)
    runner = JobRunner(db, job_services(clock), router)

    upcoming = await runner.run_due_then_next(AHEAD)
    # The reminder due in 0.4 s ran now, judged at its own instant; the other kind waits.
    assert seen == [("test.remind", START, due)]
    assert upcoming == due  # when the other kind falls due
    async with db.transaction() as session:
        held = (await session.execute(select(OutboxMessage))).scalars().one()
        assert held.not_before == due  # its message is held until then

    clock.set(due)
    upcoming = await runner.run_due_then_next(AHEAD)
    assert seen[-1] == ("test.close", due, due)
    # The next reminder, 5 s out, is taken half the window before it (with what falls due
    # meanwhile), not at its instant.
    assert upcoming == START + timedelta(seconds=5) - AHEAD / 2

    # Virtual time (no window): nothing runs before it is due.
    clock.set(START + timedelta(seconds=3))
    assert await runner.run_due() == 0


async def test_a_message_claimed_ahead_goes_out_at_its_instant_never_before(
    db: Database,
) -> None:
    clock = VirtualClock(START)
    platform = FakePlatform(clock)
    delivery = Delivery(db, {"fake": platform}, clock, sleep=virtual_sleep(clock))
    due = START + timedelta(milliseconds=600)
    async with db.transaction() as session:
        await enqueue_message(
            session,
            key="held",
            to=Address("fake", "ana", False),
            text="in an hour",
            now=START,
            not_before=due,
        )
        await enqueue_message(
            session, key="now", to=Address("fake", "bo", False), text="hello", now=START
        )

    # Without a window only what is due now is claimed; the rest is the next instant.
    assert await delivery.deliver_due_then_next("fake") == due
    await delivery.lanes["fake"].settled()
    assert [(s.message.key, s.at) for s in platform.sent] == [("now", START)]

    # With one, the held row is claimed now and the lane sends it at its instant.
    await delivery.deliver_due_then_next("fake", AHEAD)
    await delivery.lanes["fake"].settled()
    assert [(s.message.key, s.at) for s in platform.sent] == [("now", START), ("held", due)]
    assert await statuses(db) == ["sent", "sent"]


async def test_outcomes_of_sends_close_together_are_recorded_in_one_transaction(
    db: Database,
) -> None:
    clock = VirtualClock(START)
    platform = CountingPlatform(clock, 6)
    delivery = Delivery(db, {"fake": platform}, clock, concurrency=8)
    delivery.record_linger = 3600.0  # written when a stop comes (or a send waits for a slot)
    await queue_bulk(db, 6)
    async with asyncio.timeout(30):
        await delivery.deliver_due_then_next("fake")
        await platform.all_sent.wait()
        counter = DbCounter(db)
        delivery.stop("fake")
        await delivery.drain("fake")
    # Six outcomes, one transaction (without lingering: the first alone, then the rest).
    assert counter.snapshot().transactions == 1
    assert await statuses(db) == ["sent"] * 6


async def test_a_record_never_lingers_while_a_send_waits_for_a_slot(db: Database) -> None:
    """With one send out unrecorded at most, the next message of another chat can only go once
    the first is recorded: that record is written at once, however long the linger."""
    clock = VirtualClock(START)
    platform = CountingPlatform(clock, 2)
    delivery = Delivery(db, {"fake": platform}, clock, unrecorded={"fake": 1})
    delivery.record_linger = 3600.0
    await queue_bulk(db, 2)
    async with asyncio.timeout(30):
        await delivery.deliver_due_then_next("fake")
        await platform.all_sent.wait()  # the second went out: the first was recorded
        delivery.stop("fake")  # a stop writes the last record at once
        await delivery.drain("fake")
    assert await statuses(db) == ["sent", "sent"]


async def test_a_reply_is_recorded_at_once_so_its_chat_waits_for_nothing(db: Database) -> None:
    clock = VirtualClock(START)
    platform = FakePlatform(clock)
    delivery = Delivery(db, {"fake": platform}, clock)
    delivery.record_linger = 3600.0
    async with db.transaction() as session:
        for n in range(2):  # two replies in one chat: the second goes once the first is recorded
            await enqueue_message(
                session, key=f"r{n}", to=Address("fake", "ana", False), text="answer", now=START
            )
    async with asyncio.timeout(30):
        await delivery.deliver_due_then_next("fake")
        await delivery.lanes["fake"].settled()
    assert [s.message.key for s in platform.sent] == ["r0", "r1"]


async def test_a_job_of_another_kind_is_never_taken_early_even_in_a_batch(db: Database) -> None:
    """A window's jobs are those of `ahead` kinds; everything else keeps its instant."""
    clock = VirtualClock(START)
    router = Router()
    ran: list[str] = []

    @router.job_batch("test.bulk")
    async def bulk(ctx: Context, jobs: Sequence[JobInfo]) -> None:
        ran.extend(job.kind for job in jobs)

    async with db.transaction() as session:
        await schedule_job(
            session,
            kind="test.bulk",
            due_at=START + timedelta(milliseconds=100),
            key="b",
            now=START,
        )
    runner = JobRunner(db, job_services(clock), router)
    assert await runner.run_due_then_next(AHEAD) == START + timedelta(milliseconds=100)
    assert ran == []
    async with db.transaction() as session:
        assert (await session.execute(select(Job.status))).scalar_one() == "pending"


async def test_questions_asked_together_each_reach_their_own_person(db: Database) -> None:
    """Asked in one statement, each message still carries its own question: the id of the row
    written for its person, and that row's tag (a button pressed on it answers that one)."""
    clock = VirtualClock(START)
    router = Router()
    people = await seed_people(db, 40, START, platform="fake")

    @router.job_batch("test.ask")
    async def ask(ctx: Context, jobs: Sequence[JobInfo]) -> None:
        choices = (Choice("ok", "ok"),)
        await ctx.ask_many(
            "test.q",
            [Ask(job.person_id or 0, f"to {job.person_id}", choices, f"q{job.id}") for job in jobs],
        )

    async with db.transaction() as session:
        for n, person in enumerate(people):
            await schedule_job(
                session, kind="test.ask", due_at=START, key=f"a{n}", now=START, person_id=person
            )
    assert await JobRunner(db, job_services(clock), router).run_due() == len(people)
    async with db.transaction() as session:
        sent = (await session.execute(select(OutboxMessage))).scalars().all()
        questions = {
            q.id: q for q in (await session.execute(select(PendingQuestion))).scalars().all()
        }
    assert len(sent) == len(questions) == len(people)
    assert len({q.nonce for q in questions.values()}) == len(people)
    for message in sent:
        assert message.question_id is not None
        question = questions[message.question_id]
        assert (
            message.text == f"to {question.person_id}" and message.person_id == question.person_id
        )
        assert message.question_tag == tag_of("test.q", question.nonce)
