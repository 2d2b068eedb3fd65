"""Sending through the delivery layer and the adapter: flood control (429), blocked users (403),
documents, long texts and long choice keys."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.adapters.telegram import TelegramPlatform
from bot.clock import SystemClock
from bot.config import TelegramConfig
from bot.errors import ConfigError
from bot.messages import (
    Address,
    Attachment,
    Choice,
    Inbound,
    Outbound,
    QuestionRef,
    SendStatus,
)
from bot.outbox import enqueue_message
from storage.models import OutboxMessage
from tests.fakes.telegram_api import FakeTelegram
from tests.telegram.conftest import TOKEN
from tests.telegram.harness import TelegramBot, eventually, free_port

ANA = 1001


class ManualClock:
    """The fake server's clock for flood control: it moves only when the test says so."""

    def __init__(self, start: datetime) -> None:
        self._now = start

    def now(self) -> datetime:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += timedelta(seconds=seconds)


class MemoryState:
    def __init__(self) -> None:
        self.values: dict[tuple[str, str], str] = {}

    async def get(self, namespace: str, key: str) -> str | None:
        return self.values.get((namespace, key))

    async def put(self, namespace: str, key: str, value: str) -> None:
        self.values[(namespace, key)] = value


async def _outbox_row(bot: TelegramBot, key: str) -> OutboxMessage:
    async with bot.app.db.transaction() as session:
        found = await session.execute(
            select(OutboxMessage).where(OutboxMessage.idempotency_key == key)
        )
        return found.scalar_one()


async def _queue_for(bot: TelegramBot, user_id: int, key: str, **fields: object) -> None:
    """A message for a person, queued the way the core queues reminders and notices."""
    identity = await bot.identity(user_id)
    assert identity is not None
    async with bot.app.db.transaction() as session:
        await enqueue_message(
            session,
            key=key,
            to=Address("telegram", str(user_id)),
            now=SystemClock().now(),
            person_id=identity.person_id,
            **fields,  # type: ignore[arg-type]
        )
    bot.app.runtime.poke()


async def test_429_is_retried_after_retry_after_and_delivered_once(tmp_path: Path) -> None:
    flood_clock = ManualClock(SystemClock().now())
    async with FakeTelegram(token=TOKEN, clock=flood_clock) as fake:
        bot = await TelegramBot.start(fake, tmp_path)
        try:
            fake.add_user(ANA, "Ana", language_code="en")
            for _ in range(3):  # Telegram allows a short burst of three in a private chat
                fake.send_private(ANA, "/help")
            await bot.count(ANA, 3)
            fake.send_private(ANA, "/me")
            await fake.wait_until(lambda: fake.count_429 == 1, 15)
            loop = asyncio.get_running_loop()
            refused_at = loop.time()
            flood_clock.advance(1)  # on the server, the second Telegram asked for passes
            me = await bot.message(ANA, r"profile", skip=3)
            assert loop.time() - refused_at >= 0.9  # not retried before retry_after
            assert fake.count_429 == 1  # and not hammered meanwhile
            flood_clock.advance(1)
            fake.send_private(ANA, "/help")
            replies = await bot.count(ANA, 5)
            assert len(replies) == 5
            assert replies[3] == me  # the refused reply went out exactly once, in its place
            assert "/start" in (replies[4].text or "")
        finally:
            await bot.close()


async def test_a_blocked_user_gets_403_once_and_is_marked_unreachable(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    # Without the my_chat_member hook: the 403 alone must mark the person unreachable.
    bot = await TelegramBot.start(fake, tmp_path, reachability=False)
    try:
        fake.add_user(ANA, "Ana", language_code="en")
        fake.send_private(ANA, "/help")
        await bot.count(ANA, 1)
        fake.block(ANA)
        await _queue_for(bot, ANA, "test:reminder", text="Reminder: session at 15:00")
        await fake.wait_until(lambda: any(r.error_code == 403 for r in fake.rejections), 15)

        async def unreachable() -> bool:
            identity = await bot.identity(ANA)
            return identity is not None and not identity.reachable

        await eventually(unreachable)  # recorded in the same transaction as the row
        row = await _outbox_row(bot, "test:reminder")
        assert row.status == "blocked"  # final: never tried again
        assert row.text == ""  # and its text is not kept
        assert [r.error_code for r in fake.rejections] == [403]
        assert len(fake.messages_to(ANA)) == 1
    finally:
        await bot.close()


async def test_blocking_and_unblocking_the_bot_is_recorded_at_once(
    polling: TelegramBot, fake: FakeTelegram
) -> None:
    fake.add_user(ANA, "Ana", language_code="en")
    fake.send_private(ANA, "/help")
    await polling.count(ANA, 1)

    async def reachable(expected: bool) -> bool:
        identity = await polling.identity(ANA)
        return identity is not None and identity.reachable is expected

    fake.block(ANA)
    await eventually(lambda: reachable(False))
    fake.unblock(ANA)
    await eventually(lambda: reachable(True))
    assert fake.rejections == []  # learnt from the update, without a failed send


async def test_files_go_out_with_send_document(polling: TelegramBot, fake: FakeTelegram) -> None:
    fake.add_user(ANA, "Ana", language_code="en")
    fake.send_private(ANA, "/help")
    await polling.count(ANA, 1)
    calendar = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"
    await _queue_for(
        polling,
        ANA,
        "test:calendar",
        text="Your sessions",
        attachment=Attachment("sessions.ics", calendar, "text/calendar"),
    )
    (document,) = [m for m in await polling.count(ANA, 2) if m.method == "sendDocument"]
    assert document.document_filename == "sessions.ics"
    assert document.document_bytes == calendar
    assert document.text == "Your sessions"  # the caption

    async def recorded() -> bool:
        return (await _outbox_row(polling, "test:calendar")).status == "sent"

    await eventually(recorded)
    assert (await _outbox_row(polling, "test:calendar")).file_content is None  # not kept


async def _platform(
    fake: FakeTelegram, state: MemoryState
) -> tuple[TelegramPlatform, list[Inbound]]:
    received: list[Inbound] = []

    async def on_inbound(inbound: Inbound) -> None:
        received.append(inbound)

    config = TelegramConfig(token=fake.token, base_url=fake.url)
    platform = TelegramPlatform(config, SystemClock(), state)
    await platform.start(on_inbound)
    return platform, received


async def test_long_texts_are_split_and_the_buttons_go_under_the_last_part(
    fake: FakeTelegram,
) -> None:
    platform, _received = await _platform(fake, MemoryState())
    try:
        fake.send_private(ANA, "/start")  # the person opened the chat
        paragraphs = [f"Paragraph {i}: " + "word " * 150 for i in range(8)]
        text = "\n\n".join(p.strip() for p in paragraphs)
        assert len(text) > 4096
        result = await platform.send(
            Outbound(
                to=Address("telegram", str(ANA)),
                text=text,
                key="long:1",
                choices=(Choice("yes", "Yes"), Choice("no", "No")),
                question=QuestionRef(7, "t7"),
            )
        )
        assert result.status is SendStatus.SENT
        parts = fake.messages_to(ANA)
        assert len(parts) == 2
        assert all(len(p.text or "") <= 4096 for p in parts)
        assert "\n\n".join(p.text or "" for p in parts) == text  # cut between paragraphs
        assert parts[0].reply_markup is None
        assert parts[1].callback_data == ["q7.t7:yes", "q7.t7:no"]
        assert result.platform_message_id == str(parts[1].message_id)
    finally:
        await platform.stop()


async def test_choice_keys_too_long_for_callback_data_still_come_back(fake: FakeTelegram) -> None:
    state = MemoryState()
    platform, received = await _platform(fake, state)
    try:
        fake.send_private(ANA, "/start")
        await fake.wait_until(lambda: len(received) == 1)
        long_key = "America/Argentina/ComodRivadavia/" + "x" * 40
        result = await platform.send(
            Outbound(
                to=Address("telegram", str(ANA)),
                text="Which one?",
                key="q:1",
                choices=(Choice("short", "Short"), Choice(long_key, "Long")),
                question=QuestionRef(123456, "Tag6"),
            )
        )
        assert result.status is SendStatus.SENT
        (question,) = fake.messages_to(ANA)
        assert question.callback_data == ["q123456.Tag6:short", "q123456.Tag6#1"]
        fake.press_button(ANA, question.message_id, ANA, "q123456.Tag6#1")
        await fake.wait_until(lambda: len(received) == 2)
        pressed = received[1]
        assert (pressed.question, pressed.choice_key, pressed.text) == (
            QuestionRef(123456, "Tag6"),
            long_key,
            "Long",
        )
        assert pressed.chat == Address("telegram", str(ANA))
    finally:
        await platform.stop()


async def test_send_outcomes_map_to_what_the_delivery_layer_does(fake: FakeTelegram) -> None:
    platform, _received = await _platform(fake, MemoryState())
    try:
        stranger = await platform.send(Outbound(Address("telegram", "555"), "Hi", key="s:1"))
        assert stranger.status is SendStatus.PERMANENT  # chat not found
        fake.add_user(ANA, "Ana")  # known to Telegram, but never started the bot
        never_started = await platform.send(
            Outbound(Address("telegram", f"user:{ANA}"), "Hi", key="s:2")
        )
        assert never_started.status is SendStatus.BLOCKED
        empty = await platform.send(Outbound(Address("telegram", str(ANA)), "  ", key="s:3"))
        assert empty.status is SendStatus.PERMANENT
    finally:
        await platform.stop()
    offline = await platform.send(Outbound(Address("telegram", str(ANA)), "Hi", key="s:4"))
    assert offline.status is SendStatus.TRANSIENT  # stopped: try again later


async def _flaky_platform(
    fake: FakeTelegram, mode: str, failures: int
) -> tuple[TelegramPlatform, list[Inbound]]:
    """A platform whose core fails on the first `failures` updates it is handed."""
    received: list[Inbound] = []
    attempts: list[str] = []

    async def on_inbound(inbound: Inbound) -> None:
        attempts.append(inbound.update_id)
        if len(attempts) <= failures:
            raise RuntimeError("database unavailable")
        received.append(inbound)

    port = free_port()
    config = TelegramConfig(
        token=fake.token,
        base_url=fake.url,
        mode=mode,
        port=port,
        url=f"http://127.0.0.1:{port}/hook",
        secret_token="s3cret",
    )
    platform = TelegramPlatform(config, SystemClock(), MemoryState())
    await platform.start(on_inbound)
    return platform, received


async def test_polling_keeps_an_update_until_the_core_has_it(fake: FakeTelegram) -> None:
    platform, received = await _flaky_platform(fake, "polling", failures=1)
    try:
        update = fake.send_private(ANA, "/start")
        await fake.wait_until(lambda: len(received) == 1, 15)
        assert received[0].update_id == str(update["update_id"])
        await fake.wait_until(lambda: not fake.pending_updates, 15)  # confirmed only now
    finally:
        await platform.stop()


async def test_messages_fetched_together_reach_the_core_as_one_group_in_order(
    fake: FakeTelegram,
) -> None:
    """One getUpdates batch: consecutive messages go to the core together (one unit of work),
    anything else between them (here: Ben blocks the bot) on its own, and the order is kept."""
    fake.add_user(ANA, "Ana")
    fake.add_user(ANA + 1, "Ben")
    fake.send_private(ANA, "/timezone Europe/Berlin")
    fake.send_private(ANA + 1, "/me")
    fake.block(ANA + 1)
    fake.send_private(ANA, "/me")
    seen: list[list[str]] = []

    async def one(inbound: Inbound) -> None:
        seen.append([inbound.text])

    async def many(inbounds: Sequence[Inbound]) -> None:
        seen.append([inbound.text for inbound in inbounds])

    platform = TelegramPlatform(
        TelegramConfig(token=fake.token, base_url=fake.url), SystemClock(), MemoryState()
    )
    platform.take_groups(many)
    await platform.start(one)
    try:
        await fake.wait_until(lambda: sum(map(len, seen)) == 3, 15)
        await fake.wait_until(lambda: not fake.pending_updates, 15)  # confirmed after
    finally:
        await platform.stop()
    assert seen == [["/timezone Europe/Berlin", "/me"], ["/me"]]


async def test_a_group_the_core_cannot_store_is_tried_one_by_one(fake: FakeTelegram) -> None:
    fake.add_user(ANA, "Ana")
    for text in ("/start", "/me", "/help"):
        fake.send_private(ANA, text)
    received: list[str] = []

    async def one(inbound: Inbound) -> None:
        received.append(inbound.text)

    async def many(inbounds: Sequence[Inbound]) -> None:
        raise RuntimeError("database unavailable")

    platform = TelegramPlatform(
        TelegramConfig(token=fake.token, base_url=fake.url), SystemClock(), MemoryState()
    )
    platform.take_groups(many)
    await platform.start(one)
    try:
        await fake.wait_until(lambda: len(received) == 3, 15)
        await fake.wait_until(lambda: not fake.pending_updates, 15)
    finally:
        await platform.stop()
    assert received == ["/start", "/me", "/help"]


async def test_a_webhook_answers_500_until_the_core_has_the_update(fake: FakeTelegram) -> None:
    platform, received = await _flaky_platform(fake, "webhook", failures=1)
    try:
        update = fake.send_private(ANA, "/start")
        await fake.wait_until(lambda: len(received) == 1, 15)
        assert received[0].update_id == str(update["update_id"])
        assert fake.webhook_failures == 1  # Telegram was told to send it again
    finally:
        await platform.stop()


async def test_a_refused_token_stops_the_start_with_a_clear_error(
    fake: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    config = TelegramConfig(token="999:NOT-THE-TOKEN-OF-THIS-BOT", base_url=fake.url)
    platform = TelegramPlatform(config, SystemClock(), MemoryState())

    async def ignore(inbound: Inbound) -> None:
        raise AssertionError("nothing can arrive")

    with pytest.raises(ConfigError, match=r"^config error: telegram\.token: the Bot API server"):
        await platform.start(ignore)
    assert "NOT-THE-TOKEN" not in caplog.text
    await platform.stop()  # harmless after a failed start


async def test_cohortbot_run_with_a_refused_token_exits_2_with_one_line_naming_the_key(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COHORTBOT_")}
    env |= {
        "COHORTBOT_TELEGRAM_TOKEN": "999:NOT-THE-TOKEN-OF-THIS-BOT",
        "COHORTBOT_TELEGRAM_BASE_URL": fake.url,
        "COHORTBOT_STORAGE_URL": f"sqlite+aiosqlite:///{tmp_path}/bot.db",
        "COHORTBOT_STORAGE_FILES_DIR": str(tmp_path / "files"),
        "COHORTBOT_WEB_ENABLED": "false",  # the token is what this test is about
        "PTB_TIMEDELTA": "true",
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 2
    last = err.decode().strip().splitlines()[-1]
    assert last == "config error: telegram.token: the Bot API server refused it"
    assert b"NOT-THE-TOKEN" not in out + err


async def test_a_webhook_port_in_use_fails_the_start_and_cleans_up(fake: FakeTelegram) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        config = TelegramConfig(
            token=fake.token,
            base_url=fake.url,
            mode="webhook",
            port=port,
            url=f"http://127.0.0.1:{port}/hook",
            secret_token="s3cret",
        )
        platform = TelegramPlatform(config, SystemClock(), MemoryState())

        async def ignore(inbound: Inbound) -> None:
            raise AssertionError("nothing can arrive")

        with pytest.raises(ConfigError, match=r"telegram\.port: cannot listen on .*in use"):
            await platform.start(ignore)
    assert fake.webhook_url is None  # Telegram was not pointed at a server that is not there
    offline = await platform.send(Outbound(Address("telegram", str(ANA)), "Hi", key="p:1"))
    assert offline.status is SendStatus.TRANSIENT
