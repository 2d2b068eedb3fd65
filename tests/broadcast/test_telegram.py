"""A broadcast through the real PTB-based Telegram adapter to FakeTelegram with its flood limits
on: everyone gets exactly one copy, the server never answers 429, people who blocked the bot
are counted as blocked, and an interactive reply overtakes the queued broadcast.

Time is virtual and shared by the bot and the fake (flood control is measured on it): the
delivery layer's waits advance the clock, after the requests already on the wire have arrived,
so the fake sees each send at the instant the delivery layer counted it."""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.adapters.telegram import TelegramPlatform
from bot.app import App, build_app, open_database
from bot.clock import VirtualClock
from bot.config import TelegramConfig, load_config
from bot.messages import Address, Inbound, Outbound, SendResult
from bot.platform import Capabilities, InboundHandler, Platform
from storage.models import OutboxMessage
from storage.repositories.kv import DbStateStore
from tests.broadcast.telegram_platform import MiniTelegram
from tests.conftest import START
from tests.fakes.telegram_api import FakeTelegram, Limits

TOKEN = "7012345678:AAHk2vQm9xZr4TpW8yLb3NcFd6GsJe1UoIq"
COORD = 1
GROUP = -100500
PEOPLE = list(range(1000, 1120))  # more than the delivery layer claims at once (100)
BLOCKERS = (1003, 1050, 1111)
ASKER = 1119  # sends /me while the broadcast is queued
WITHIN = 30.0


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


class Tracked:
    """Counts the sends on the wire, so the virtual clock only moves once they have arrived."""

    def __init__(self, inner: Platform) -> None:
        self.inner = inner
        self.name = inner.name
        self.in_flight = 0
        self.idle = asyncio.Event()
        self.idle.set()

    @property
    def capabilities(self) -> Capabilities:
        return self.inner.capabilities

    async def start(self, on_inbound: InboundHandler) -> None:
        await self.inner.start(on_inbound)

    async def stop(self) -> None:
        await self.inner.stop()

    async def send(self, message: Outbound) -> SendResult:
        self.in_flight += 1
        self.idle.clear()
        try:
            return await self.inner.send(message)
        finally:
            self.in_flight -= 1
            if self.in_flight == 0:
                self.idle.set()


def virtual_sleep(clock: VirtualClock, platform: Tracked) -> Callable[[float], object]:
    async def sleep(seconds: float) -> None:
        target = clock.now() + timedelta(seconds=seconds)
        await asyncio.wait_for(platform.idle.wait(), WITHIN)
        if clock.now() < target:  # lanes waiting for the same instant move the clock once
            clock.set(target)

    return sleep


@dataclass
class World:
    fake: FakeTelegram
    app: App
    clock: VirtualClock
    platform: Tracked

    async def processed(self) -> None:
        """Wait (bounded, real time) until the bot has taken every update the fake queued."""
        await self.fake.wait_until(lambda: not self.fake.pending_updates, WITHIN)

    async def settle(self) -> None:
        await self.app.runtime.settle()

    async def advance(self, delta: timedelta) -> None:
        await self.app.runtime.advance_to(self.clock.now() + delta, self.clock.set)


@pytest.fixture(params=["ptb-adapter", "minimal-http"])
async def world(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[World]:
    clock = VirtualClock(START)
    async with FakeTelegram(token=TOKEN, clock=clock, limits=Limits()) as fake:
        base = load_config(None, env={})
        telegram = TelegramConfig(token=fake.token, base_url=fake.url, mode="polling")
        config = replace(
            base,
            storage=replace(
                base.storage,
                url=f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
                files_dir=str(tmp_path / "files"),
            ),
            telegram=telegram,
        )
        db = await open_database(config)
        inner: Platform
        if request.param == "ptb-adapter":
            inner = TelegramPlatform(telegram, clock, DbStateStore(db, clock), poll_timeout=1.0)
        else:
            inner = MiniTelegram(fake.url, fake.token)
        platform = Tracked(inner)
        app = await build_app(config, clock, {"telegram": platform}, db=db)
        app.runtime.delivery.sleep = virtual_sleep(clock, platform)  # type: ignore[assignment]
        await platform.start(app.runtime.handle)
        world = World(fake, app, clock, platform)
        try:
            yield world
        finally:
            await platform.stop()  # started here, not by the runtime: stopped here too
            await app.close()


async def say(world: World, user: int, text: str) -> None:
    """A person writes to the bot privately; the bot takes it (by polling, or handed over)."""
    update = world.fake.send_private(user, text)
    if not isinstance(world.platform.inner, MiniTelegram):
        await world.processed()
        return
    await world.app.runtime.handle(  # the minimal platform does not poll: hand the update over
        Inbound(
            platform="telegram",
            update_id=str(update["update_id"]),
            user_id=str(user),
            chat=Address("telegram", str(user)),
            text=text,
            received_at=world.clock.now(),
            display_name=f"u{user}",
        )
    )


async def test_broadcast_through_telegram_delivers_once_without_429(world: World) -> None:
    fake = world.fake
    fake.add_user(COORD, "Coord")
    await say(world, COORD, '/newcohort "Big" UTC')
    await world.settle()
    match = re.search(r"code\W+([A-Z0-9]{6,})", fake.last_text(COORD) or "")
    assert match, fake.last_text(COORD)
    for user in PEOPLE:
        fake.add_user(user, f"u{user}")
        await say(world, user, f"/join {match.group(1)}")
    await world.settle()
    for user in BLOCKERS:
        fake.block(user)
    if isinstance(world.platform.inner, TelegramPlatform):
        fake.bot_added_to_group(GROUP, COORD, "Team")
        fake.send_group(GROUP, COORD, "/bindchat")
        await world.processed()
        await world.settle()
        chats = 1
    else:
        chats = 0
    await say(world, COORD, '/announce "Field trip on Friday"')
    await world.settle()
    question = fake.last_message(COORD)
    assert question is not None and question.text is not None
    assert f"{len(PEOPLE) + 1 + chats} recipients" in question.text or (
        f"{len(PEOPLE) + 1} members privately" in question.text
    )
    await say(world, COORD, "1")
    await world.app.runtime.jobs.run_due()  # the fan-out queues every row ...
    await say(world, ASKER, "/me")  # ... then someone asks for something
    sent_from = len(fake.sent)
    started = world.clock.now()
    await world.settle()
    await world.advance(timedelta(minutes=2))

    assert fake.count_429 == 0
    trip = [m for m in fake.sent[sent_from:] if m.text and m.text.endswith("Field trip on Friday")]
    copies = Counter(m.chat_id for m in trip)
    expected = {*PEOPLE, COORD} - set(BLOCKERS) | ({GROUP} if chats else set())
    assert set(copies) == expected and set(copies.values()) == {1}
    # 30 messages a second at most, overall, and the broadcast took as long as that implies.
    times = sorted(m.at for m in trip)
    assert all((b - a) >= timedelta(seconds=1) for a, b in zip(times, times[30:], strict=False))
    assert times[-1] - started >= timedelta(seconds=len(trip) // 30 - 1)
    # The reply to /me was not queued behind the broadcast: it went out as soon as the asker's
    # chat allowed (one message a second), while most of the broadcast was waiting.
    me = next(
        m for m in fake.sent[sent_from:] if m.chat_id == ASKER and "profile" in (m.text or "")
    )
    before = [m.at for m in fake.sent[:sent_from] if m.chat_id == ASKER]
    allowed = max([started, *(at + timedelta(seconds=1) for at in before)])  # 1/s per chat
    assert me.at - allowed <= timedelta(seconds=0.2)
    assert sum(m.at < me.at for m in trip) <= 30
    report = fake.last_text(COORD) or ""
    assert "Announcement #1 is done" in report
    assert f"Sent: {len(expected)}." in report
    assert f"Blocked or unreachable: {len(BLOCKERS)}." in report
    async with world.app.db.transaction() as session:
        statuses = Counter(
            (
                await session.execute(
                    select(OutboxMessage.status).where(OutboxMessage.broadcast_id.is_not(None))
                )
            ).scalars()
        )
    assert statuses == {"sent": len(expected), "blocked": len(BLOCKERS)}
