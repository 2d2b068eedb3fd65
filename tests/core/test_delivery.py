"""The outbox dispatcher against a FakePlatform: rate limits on the virtual clock, retry_after,
blocked recipients, transient failures with backoff, and content dropped once sent."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot import runtime as runtime_module
from bot.app import build_app
from bot.clock import VirtualClock
from bot.config import load_config
from bot.delivery import MAX_ATTEMPTS, Delivery, InFlight
from bot.errors import ConfigError
from bot.messages import Address, Outbound, RateLimits, SendResult, SendStatus
from bot.outbox import enqueue_message
from storage.engine import Database
from storage.models import BoundChat, Cohort, Identity, OutboxMessage, Person
from tests.fakes.platform import FakePlatform

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def virtual_sleep(clock: VirtualClock) -> Callable[[float], Awaitable[None]]:
    async def sleep(seconds: float) -> None:
        clock.advance(timedelta(seconds=seconds))

    return sleep


async def queue(db: Database, clock: VirtualClock, *messages: tuple[str, str, bool]) -> None:
    async with db.transaction() as session:
        for key, chat, group in messages:
            await enqueue_message(
                session,
                key=key,
                to=Address("fake", chat, group),
                text=f"text {key}",
                now=clock.now(),
            )


async def rows(db: Database) -> list[OutboxMessage]:
    async with db.transaction() as session:
        return list(
            (await session.execute(select(OutboxMessage).order_by(OutboxMessage.id))).scalars()
        )


async def test_private_chat_limit_spaces_messages_one_second_apart(db: Database) -> None:
    clock = VirtualClock(START)
    platform = FakePlatform(
        clock, limits=RateLimits(per_second_global=30, per_second_private_chat=1)
    )
    delivery = Delivery(db, {"fake": platform}, clock, sleep=virtual_sleep(clock))
    await queue(db, clock, *[(f"k{i}", "alice", False) for i in range(5)])
    assert await delivery.deliver_due("fake") == 5
    times = [s.at for s in platform.sent]
    assert [m.message.text for m in platform.sent] == [f"text k{i}" for i in range(5)]
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
    assert all(g >= 0.999 for g in gaps), gaps


async def test_group_limit_is_twenty_per_minute(db: Database) -> None:
    clock = VirtualClock(START)
    platform = FakePlatform(clock, limits=RateLimits(per_minute_group=20))
    delivery = Delivery(db, {"fake": platform}, clock, sleep=virtual_sleep(clock))
    await queue(db, clock, *[(f"g{i}", "team", True) for i in range(41)])
    await delivery.deliver_due("fake")
    times = [s.at for s in platform.sent]
    for i in range(len(times) - 20):
        assert times[i + 20] - times[i] >= timedelta(seconds=59.9)


async def test_retry_after_is_obeyed_and_message_sent_once(db: Database) -> None:
    clock = VirtualClock(START)
    platform = FakePlatform(clock)
    platform.script.append(SendResult(SendStatus.RETRY_AFTER, retry_after=7))
    delivery = Delivery(db, {"fake": platform}, clock, sleep=virtual_sleep(clock))
    await queue(db, clock, ("a", "alice", False), ("b", "bob", False))
    await delivery.deliver_due("fake")
    assert platform.sent == [] or all(s.message.key != "a" for s in platform.sent)
    due = await delivery.next_due("fake")
    assert due is not None and due >= START + timedelta(seconds=7)
    clock.set(due)
    await delivery.deliver_due("fake")
    assert sorted(s.message.key for s in platform.sent) == ["a", "b"]


async def test_blocked_recipient_is_marked_unreachable_and_not_retried(db: Database) -> None:
    clock = VirtualClock(START)
    async with db.transaction() as session:
        person = Person(created_at=START)
        session.add(person)
        await session.flush()
        session.add(
            Identity(
                person_id=person.id,
                platform="fake",
                external_id="alice",
                private_chat_id="alice",
                reachable=True,
                last_seen_at=START,
            )
        )
    platform = FakePlatform(clock)
    platform.script.append(SendResult(SendStatus.BLOCKED, reason="blocked"))
    delivery = Delivery(db, {"fake": platform}, clock, sleep=virtual_sleep(clock))
    await queue(db, clock, ("a", "alice", False))
    await delivery.deliver_due("fake")
    clock.advance(timedelta(days=1))
    await delivery.deliver_due("fake")
    assert len(platform.attempts) == 1
    (row,) = await rows(db)
    assert row.status == "blocked" and row.text == ""
    async with db.transaction() as session:
        identity = (await session.execute(select(Identity))).scalar_one()
        assert identity.reachable is False


async def test_transient_failures_back_off_then_give_up(db: Database) -> None:
    clock = VirtualClock(START)
    platform = FakePlatform(clock)
    platform.script.extend(SendResult(SendStatus.TRANSIENT) for _ in range(MAX_ATTEMPTS + 2))
    delivery = Delivery(db, {"fake": platform}, clock, sleep=virtual_sleep(clock))
    await queue(db, clock, ("a", "alice", False))
    for _ in range(MAX_ATTEMPTS + 2):
        await delivery.deliver_due("fake")
        due = await delivery.next_due("fake")
        if due is None:
            break
        clock.set(due)
    attempt_times = [a.at for a in platform.attempts]
    gaps = [b - a for a, b in itertools.pairwise(attempt_times)]
    assert gaps == sorted(gaps), "backoff grows"
    assert len(platform.attempts) == MAX_ATTEMPTS
    (row,) = await rows(db)
    assert row.status == "failed" and row.text == ""


async def test_a_moved_chat_is_followed_and_each_message_sent_once(db: Database) -> None:
    """MOVED (a Telegram group upgraded to a supergroup): the binding and the rows waiting for
    the old chat move to the new id, the refused message goes there at once, keys unchanged."""
    clock = VirtualClock(START)
    async with db.transaction() as session:
        cohort = Cohort(name="Spring", code="K7MP3XQ2", zone="UTC", created_at=START, settings={})
        session.add(cohort)
        await session.flush()
        session.add(BoundChat(cohort_id=cohort.id, platform="fake", chat_id="-1", bound_at=START))
    platform = FakePlatform(clock, limits=RateLimits(per_minute_group=20))
    platform.script.append(SendResult(SendStatus.MOVED, moved_to="-1001", reason="ChatMigrated"))
    delivery = Delivery(db, {"fake": platform}, clock, sleep=virtual_sleep(clock))
    await queue(db, clock, ("a", "-1", True), ("b", "-1", True), ("c", "alice", False))
    await delivery.deliver_due("fake")
    tried = [(s.message.key, s.message.to.chat_id) for s in platform.attempts]
    assert sorted(tried) == [("a", "-1"), ("a", "-1001"), ("b", "-1001"), ("c", "alice")]
    assert tried.index(("a", "-1")) < tried.index(("a", "-1001")) < tried.index(("b", "-1001"))
    assert sorted(s.message.key for s in platform.sent) == ["a", "b", "c"]
    assert all(s.message.to.is_group for s in platform.sent if s.message.key != "c")
    by_key = {r.idempotency_key: r for r in await rows(db)}
    assert {k: (r.status, r.chat_id) for k, r in by_key.items()} == {
        "a": ("sent", "-1001"),
        "b": ("sent", "-1001"),
        "c": ("sent", "alice"),
    }
    assert by_key["a"].error is None and by_key["a"].attempts == 1
    async with db.transaction() as session:
        assert (await session.execute(select(BoundChat.chat_id))).scalars().all() == ["-1001"]
    assert await delivery.next_due("fake") is None


async def test_a_chat_that_keeps_moving_or_names_no_new_id_fails(db: Database) -> None:
    clock = VirtualClock(START)
    platform = FakePlatform(clock)
    platform.script.extend(
        SendResult(SendStatus.MOVED, moved_to=f"-{n}") for n in range(2, MAX_ATTEMPTS + 5)
    )
    delivery = Delivery(db, {"fake": platform}, clock, sleep=virtual_sleep(clock))
    await queue(db, clock, ("a", "-1", True))
    await delivery.deliver_due("fake")
    assert len(platform.attempts) == MAX_ATTEMPTS  # bounded like any other retry
    (row,) = await rows(db)
    assert row.status == "failed" and row.error == "moved too often" and row.text == ""

    platform.script.clear()
    platform.script.append(SendResult(SendStatus.MOVED))  # no new id: nowhere to go
    await queue(db, clock, ("b", "-7", True))
    await delivery.deliver_due("fake")
    row = next(r for r in await rows(db) if r.idempotency_key == "b")
    assert (row.status, row.chat_id, row.error) == ("failed", "-7", "moved without a new chat id")


async def test_sent_messages_keep_no_text(db: Database) -> None:
    clock = VirtualClock(START)
    platform = FakePlatform(clock)
    delivery = Delivery(db, {"fake": platform}, clock)
    await queue(db, clock, ("a", "alice", False))
    await delivery.deliver_due("fake")
    (row,) = await rows(db)
    assert row.status == "sent" and row.text == "" and row.sent_at == START


async def test_same_key_is_queued_once(db: Database) -> None:
    clock = VirtualClock(START)
    await queue(db, clock, ("a", "alice", False))
    await queue(db, clock, ("a", "alice", False))
    assert len(await rows(db)) == 1


class HeldPlatform(FakePlatform):
    """A platform whose sends wait until the test lets them through (a request on the wire)."""

    def __init__(self, clock: VirtualClock) -> None:
        super().__init__(clock, limits=RateLimits(per_second_global=30))  # one send out at once
        self.on_wire = asyncio.Event()
        self.let_through = asyncio.Event()
        self.entered: list[str] = []  # keys of the sends that went on the wire

    async def send(self, message: Outbound) -> SendResult:
        self.entered.append(message.key)
        self.on_wire.set()
        await self.let_through.wait()
        return await super().send(message)


async def test_a_stopped_delivery_records_what_is_on_the_wire_and_queues_the_rest_again(
    db: Database,
) -> None:
    clock = VirtualClock(START)
    platform = HeldPlatform(clock)
    delivery = Delivery(db, {"fake": platform}, clock, concurrency=1, batch=2)
    await queue(db, clock, *[(f"s{i}", f"chat{i}", False) for i in range(4)])
    sending = asyncio.create_task(delivery.deliver_due("fake"))
    await platform.on_wire.wait()
    delivery.stop("fake")
    platform.let_through.set()
    await asyncio.wait_for(sending, 10)  # it returns, and claims no further batch
    statuses = [(r.idempotency_key, r.status, r.claimed_by) for r in await rows(db)]
    assert statuses == [
        ("s0", "sent", None),
        ("s1", "pending", None),
        ("s2", "pending", None),
        ("s3", "pending", None),
    ]
    # Started again (a new process, or the lease won back), it sends the rest, once each.
    delivery.resume("fake")
    await delivery.deliver_due("fake")
    assert sorted(s.message.key for s in platform.sent) == ["s0", "s1", "s2", "s3"]


@pytest.mark.parametrize("pass_gap", [0.0, runtime_module.PASS_GAP], ids=["resting", "pausing"])
async def test_shutdown_waits_for_the_send_on_the_wire_instead_of_cutting_it_off(
    db_url: str, tmp_path: Path, pass_gap: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whether the sending loop rests waiting for work or pauses between passes when the
    shutdown begins (no pause: it rests at once), the send on the wire is waited for."""
    monkeypatch.setattr(runtime_module, "PASS_GAP", pass_gap)
    base = load_config(None, env={})
    config = replace(
        base, storage=replace(base.storage, url=db_url, files_dir=str(tmp_path / "files"))
    )
    clock = VirtualClock(START)
    platform = HeldPlatform(clock)
    app = await build_app(config, clock, {"fake": platform})
    await app.runtime.serve()
    await queue(app.db, clock, ("one", "alice", False), ("two", "bob", False))
    app.runtime.poke()
    await platform.on_wire.wait()
    closing = asyncio.create_task(app.runtime.shutdown())
    for _turn in range(200):  # the shutdown goes as far as it can without the send's end
        await asyncio.sleep(0)
    assert not closing.done()
    platform.let_through.set()
    await closing
    outcome = {r.idempotency_key: r.status for r in await rows(app.db)}
    await app.db.close()
    sent = [s.message.key for s in platform.sent]
    # Each send on the wire finished and was recorded, none repeated (usually one: a loaded
    # machine's slower sends can let the second chat's lane start beside it); whatever had not
    # gone out is queued for next time.
    assert sorted(sent) == sorted(platform.entered) and len(sent) >= 1
    assert {key: outcome[key] for key in sent} == dict.fromkeys(sent, "sent")
    assert sorted(outcome.values()) == sorted(["sent"] * len(sent) + ["pending"] * (2 - len(sent)))


async def test_unrecorded_sends_never_exceed_the_configured_cap() -> None:
    """What a crash can repeat is bounded: however long the sends out take (a slow or hung
    request lets one more go beside it), no more than `most` are ever out unrecorded."""
    gate = InFlight(per_second=30, most=2)
    gate.latency = 0.2  # the usual need: 30/s x 0.2 s x 1.25 = 8, above the cap
    loop = asyncio.get_running_loop()
    tickets = [await gate.enter(), await gate.enter()]

    assert gate.capacity(loop.time()) == 2
    assert gate.capacity(loop.time() + 3600) == 2  # both hung for an hour: still two
    entering = asyncio.create_task(gate.enter())
    await asyncio.sleep(0)  # let it try: it must wait for a slot
    assert not entering.done()
    gate.leave(tickets[0])
    third = await entering
    gate.leave(tickets[1])
    gate.leave(third)


async def test_a_hung_send_lets_one_more_out_beside_it_within_the_cap() -> None:
    gate = InFlight(per_second=30, most=3)  # no latency measured yet: one at a time
    loop = asyncio.get_running_loop()
    first = await gate.enter()

    assert gate.capacity(loop.time()) == 1
    assert gate.capacity(loop.time() + 60) == 2  # the first is overdue: one more may go
    gate.leave(first)


def test_the_cap_is_configured_per_platform() -> None:
    config = load_config(None, env={"COHORTBOT_TELEGRAM_MAX_UNRECORDED": "1"})
    assert config.telegram.max_unrecorded == 1
    assert config.matrix.max_unrecorded == 8


def test_a_cap_below_one_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"telegram\.max_unrecorded"):
        load_config(None, env={"COHORTBOT_TELEGRAM_MAX_UNRECORDED": "0"})
