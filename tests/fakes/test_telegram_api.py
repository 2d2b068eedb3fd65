"""The fake Telegram Bot API server, exercised by the real python-telegram-bot over HTTP."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import telegram
from aiohttp import web
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    InvalidToken,
    RetryAfter,
)
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from tests.fakes.telegram_api import (
    FakeTelegram,
    Limits,
    WebhookRetry,
    find_entities,
    format_text,
    parse_html,
)

pytestmark = pytest.mark.timeout(30)

REPO_ROOT = Path(__file__).resolve().parents[2]

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ALICE = 1001
BOB = 1002
# Nothing listens on the discard port of the loopback: deliveries there are refused.
UNREACHABLE_HOOK = "https://127.0.0.1:9/hook"


class ManualClock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime) -> None:
        self._now = start

    def now(self) -> datetime:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
async def fake(clock: ManualClock) -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(
        clock=clock, webhook_retry=WebhookRetry(first_delay_seconds=0.001)
    ) as f:
        yield f


@pytest.fixture
async def bot(fake: FakeTelegram) -> AsyncIterator[telegram.Bot]:
    async with telegram.Bot(
        fake.token, base_url=fake.bot_base_url, base_file_url=fake.file_base_url
    ) as b:
        yield b


@pytest.fixture
def ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    # PTB warns when RetryAfter.retry_after is read as an int; opt in to timedelta.
    monkeypatch.setenv("PTB_TIMEDELTA", "1")


def keyboard(*data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(d.title(), callback_data=d) for d in data]])


async def raw_call(fake: FakeTelegram, method: str, **kwargs: Any) -> tuple[int, dict[str, Any]]:
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{fake.url}/bot{fake.token}/{method}", json=kwargs) as response,
    ):
        return response.status, await response.json()


# --------------------------------------------------------------------------- basics


async def test_get_me_describes_the_bot(bot: telegram.Bot) -> None:
    me = await bot.get_me()
    assert me.id == 123
    assert me.is_bot
    assert me.username == "cohort_test_bot"
    assert me.can_join_groups
    assert me.can_read_all_group_messages is False


async def test_wrong_token_is_unauthorized(fake: FakeTelegram) -> None:
    stranger = telegram.Bot("999:WRONG", base_url=fake.bot_base_url)
    try:
        with pytest.raises(InvalidToken):
            await stranger.initialize()
    finally:
        await stranger.shutdown()
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{fake.url}/bot999:WRONG/getMe") as response,
    ):
        assert response.status == 401
        assert await response.json() == {
            "ok": False,
            "error_code": 401,
            "description": "Unauthorized",
        }


async def test_unknown_method_is_not_found(fake: FakeTelegram) -> None:
    status, body = await raw_call(fake, "sendTelepathy", chat_id=1)
    assert status == 404
    assert body == {"ok": False, "error_code": 404, "description": "Not Found"}
    assert fake.unknown_methods == ["sendTelepathy"]


async def test_method_names_are_case_insensitive_and_get_works(fake: FakeTelegram) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{fake.url}/bot{fake.token}/GETME") as response,
    ):
        body = await response.json()
    assert body["ok"] is True
    assert body["result"]["username"] == "cohort_test_bot"


# --------------------------------------------------------------------------- sending


async def test_send_message_with_inline_keyboard(
    fake: FakeTelegram, bot: telegram.Bot, clock: ManualClock
) -> None:
    fake.add_user(ALICE, "Alice", language_code="es", username="alice")
    fake.send_private(ALICE, "/start")
    clock.advance(5)
    message = await bot.send_message(ALICE, "Pick one", reply_markup=keyboard("yes", "no"))

    assert message.chat.id == ALICE
    assert message.chat.type == "private"
    assert message.from_user is not None
    assert message.from_user.is_bot
    assert message.message_id == 2  # the user's /start was message 1 in this chat
    assert message.date == START + timedelta(seconds=5)
    assert message.reply_markup == keyboard("yes", "no")
    record = fake.last_message(ALICE)
    assert record is not None
    assert record.text == "Pick one"
    assert record.callback_data == ["yes", "no"]
    assert record.button_texts == ["Yes", "No"]
    assert record.at == START + timedelta(seconds=5)
    assert fake.last_text(ALICE) == "Pick one"


async def test_html_is_parsed_into_entities(fake: FakeTelegram, bot: telegram.Bot) -> None:
    fake.send_private(ALICE, "/start")
    message = await bot.send_message(ALICE, "  <b>Hi</b> &lt;you&gt;\n", parse_mode="HTML")
    assert message.text == "Hi <you>"
    assert [(e.type, e.offset, e.length) for e in message.entities] == [("bold", 0, 2)]
    assert fake.last_text(ALICE) == "Hi <you>"


async def test_bad_html_is_refused_like_telegram(fake: FakeTelegram, bot: telegram.Bot) -> None:
    fake.send_private(ALICE, "/start")
    with pytest.raises(BadRequest, match=r'(?i)unsupported start tag "name" at byte offset 6'):
        await bot.send_message(ALICE, "Hello <name>", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)can't find end tag"):
        await bot.send_message(ALICE, "<b>open", parse_mode="HTML")
    assert fake.sent == []


async def test_text_length_is_checked_after_entity_parsing(
    fake: FakeTelegram, bot: telegram.Bot
) -> None:
    fake.send_private(ALICE, "/start")
    await bot.send_message(ALICE, "<b>" + "x" * 4096 + "</b>", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(ALICE, "x" * 4097)
    assert len(fake.messages_to(ALICE)) == 1


async def test_empty_and_blank_text_are_refused(fake: FakeTelegram) -> None:
    fake.send_private(ALICE, "/start")
    status, body = await raw_call(fake, "sendMessage", chat_id=ALICE, text="")
    assert (status, body["description"]) == (400, "Bad Request: message text is empty")
    status, body = await raw_call(fake, "sendMessage", chat_id=ALICE, text=" \n ")
    assert (status, body["description"]) == (400, "Bad Request: message must be non-empty")


async def test_callback_data_over_64_bytes_is_refused(
    fake: FakeTelegram, bot: telegram.Bot
) -> None:
    fake.send_private(ALICE, "/start")
    await bot.send_message(ALICE, "ok", reply_markup=keyboard("é" * 32))  # 64 bytes
    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
        await bot.send_message(ALICE, "too much", reply_markup=keyboard("x" * 65))
    assert [m.text for m in fake.messages_to(ALICE)] == ["ok"]


async def test_json_bodies_with_objects_are_accepted(fake: FakeTelegram) -> None:
    fake.send_private(ALICE, "/start")
    markup = {"inline_keyboard": [[{"text": "Go", "callback_data": "go"}]]}
    status, body = await raw_call(fake, "sendMessage", chat_id=ALICE, text="x", reply_markup=markup)
    assert status == 200
    assert body["result"]["reply_markup"] == markup
    status, body = await raw_call(
        fake, "sendMessage", chat_id=ALICE, text="x", reply_markup={"inline_keyboard": [[{}]]}
    )
    assert status == 400
    assert body["description"].startswith("Bad Request: can't parse inline keyboard button")


async def test_unknown_chat_and_never_started_user(fake: FakeTelegram, bot: telegram.Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(4242, "hello?")
    fake.add_user(BOB, "Bob")
    with pytest.raises(Forbidden, match="bot can't initiate conversation with a user"):
        await bot.send_message(BOB, "hello?")


async def test_blocked_user_gives_forbidden(fake: FakeTelegram, bot: telegram.Bot) -> None:
    fake.send_private(ALICE, "/start")
    await bot.send_message(ALICE, "welcome")
    update = fake.block(ALICE)
    assert update["my_chat_member"]["new_chat_member"]["status"] == "kicked"
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(ALICE, "are you there?")
    with pytest.raises(Forbidden):
        await bot.send_chat_action(ALICE, "typing")
    fake.send_private(ALICE, "/start")  # writing again unblocks
    await bot.send_message(ALICE, "welcome back")
    assert [m.text for m in fake.messages_to(ALICE)] == ["welcome", "welcome back"]


async def test_reply_to_missing_message_is_refused(fake: FakeTelegram, bot: telegram.Bot) -> None:
    update = fake.send_private(ALICE, "/start")
    reply = await bot.send_message(
        ALICE, "answer", reply_to_message_id=update["message"]["message_id"]
    )
    assert reply.reply_to_message is not None
    assert reply.reply_to_message.text == "/start"
    with pytest.raises(BadRequest, match=r"(?i)message to be replied not found"):
        await bot.send_message(ALICE, "answer", reply_to_message_id=999)


# --------------------------------------------------------------------------- flood limits


async def test_private_chat_flood_limit_gives_retry_after(
    fake: FakeTelegram, bot: telegram.Bot, clock: ManualClock, ptb_timedelta: None
) -> None:
    fake.send_private(ALICE, "/start")
    for n in range(3):  # a short burst is allowed
        await bot.send_message(ALICE, f"burst {n}")
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(ALICE, "one too many")
    assert caught.value.retry_after == timedelta(seconds=1)
    assert fake.count_429 == 1
    clock.advance(1)
    await bot.send_message(ALICE, "after waiting")
    with pytest.raises(RetryAfter):
        await bot.send_message(ALICE, "again too fast")
    assert fake.count_429 == 2
    assert len(fake.messages_to(ALICE)) == 4


async def test_group_flood_limit_is_twenty_per_minute(
    fake: FakeTelegram, bot: telegram.Bot, clock: ManualClock, ptb_timedelta: None
) -> None:
    group = -100
    fake.send_group(group, ALICE, "/start")
    for n in range(20):
        await bot.send_message(group, f"m{n}")
        clock.advance(1)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(group, "m20")
    assert caught.value.retry_after == timedelta(seconds=40)
    clock.advance(40)
    await bot.send_message(group, "m20")
    assert len(fake.messages_to(group)) == 21


async def test_global_flood_limit_is_thirty_per_second(
    fake: FakeTelegram, bot: telegram.Bot, clock: ManualClock, ptb_timedelta: None
) -> None:
    users = range(2000, 2031)
    for user_id in users:
        fake.send_private(user_id, "/start")
    for user_id in list(users)[:30]:
        await bot.send_message(user_id, "hello")
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(2030, "hello")
    assert caught.value.retry_after == timedelta(seconds=1)
    clock.advance(1)
    await bot.send_message(2030, "hello")
    assert len(fake.sent) == 31


async def test_limits_can_be_switched_off(clock: ManualClock) -> None:
    async with FakeTelegram(clock=clock, limits=Limits.off()) as fake:
        async with telegram.Bot(fake.token, base_url=fake.bot_base_url) as bot:
            fake.send_private(ALICE, "/start")
            for n in range(10):
                await bot.send_message(ALICE, f"m{n}")
        assert len(fake.sent) == 10
        assert fake.count_429 == 0


# --------------------------------------------------------------------------- getUpdates


async def test_long_polling_returns_as_soon_as_a_message_arrives(
    fake: FakeTelegram, bot: telegram.Bot
) -> None:
    fake.add_user(ALICE, "Alice", language_code="pt-br")
    poll = asyncio.create_task(bot.get_updates(timeout=20))
    await fake.wait_until(lambda: fake.long_polling)
    fake.send_private(ALICE, "/start@cohort_test_bot abc123")
    updates = await asyncio.wait_for(poll, 5)

    assert len(updates) == 1
    message = updates[0].message
    assert message is not None
    assert message.text == "/start@cohort_test_bot abc123"
    assert message.from_user is not None
    assert message.from_user.language_code == "pt-br"
    command = message.entities[0]
    assert (command.type, command.offset, command.length) == ("bot_command", 0, 22)


async def test_offset_confirms_earlier_updates(fake: FakeTelegram, bot: telegram.Bot) -> None:
    first = fake.send_private(ALICE, "one")
    second = fake.send_private(ALICE, "two")
    assert second["update_id"] == first["update_id"] + 1

    updates = await bot.get_updates()
    assert [u.update_id for u in updates] == [first["update_id"], second["update_id"]]
    assert len(await bot.get_updates()) == 2  # nothing is confirmed without an offset

    updates = await bot.get_updates(offset=second["update_id"])
    assert [u.update_id for u in updates] == [second["update_id"]]
    assert await bot.get_updates(offset=second["update_id"] + 1) == ()
    assert fake.pending_updates == []


async def test_limit_and_negative_offset(fake: FakeTelegram, bot: telegram.Bot) -> None:
    sent = [fake.send_private(ALICE, f"m{n}") for n in range(5)]
    assert len(await bot.get_updates(limit=2)) == 2
    last = await bot.get_updates(offset=-1)
    assert [u.update_id for u in last] == [sent[-1]["update_id"]]
    assert len(fake.pending_updates) == 1  # all previous updates are forgotten


async def test_allowed_updates_filters_new_updates(fake: FakeTelegram, bot: telegram.Bot) -> None:
    await bot.get_updates(allowed_updates=["callback_query"])
    fake.send_private(ALICE, "ignored")
    assert await bot.get_updates() == ()
    await bot.get_updates(allowed_updates=[])  # an empty list restores the default
    fake.send_private(ALICE, "seen")
    updates = await bot.get_updates()
    assert [u.message.text for u in updates if u.message] == ["seen"]


async def test_a_second_long_poll_terminates_the_first(
    fake: FakeTelegram, bot: telegram.Bot
) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=20))
    await fake.wait_until(lambda: fake.long_polling)
    # PTB serialises its own getUpdates calls, so the second instance speaks raw HTTP.
    second = asyncio.create_task(raw_call(fake, "getUpdates", timeout=20))
    with pytest.raises(Conflict, match="terminated by other getUpdates request"):
        await asyncio.wait_for(first, 5)
    await fake.wait_until(lambda: fake.calls["getUpdates"] == 2 and fake.long_polling)
    fake.send_private(ALICE, "hi")
    status, body = await asyncio.wait_for(second, 5)
    assert status == 200
    assert [u["message"]["text"] for u in body["result"]] == ["hi"]


async def test_resent_update_keeps_its_update_id(fake: FakeTelegram, bot: telegram.Bot) -> None:
    update = fake.send_private(ALICE, "/start")
    (received,) = await bot.get_updates()
    fake.resend_update(update)
    (again,) = await bot.get_updates(offset=received.update_id + 1)
    assert again.update_id == received.update_id
    assert again.message is not None
    assert again.message.text == "/start"
    assert await bot.get_updates(offset=received.update_id + 1) == ()


# --------------------------------------------------------------------------- webhooks


class Receiver:
    """A tiny webhook endpoint that answers with queued statuses (then 200)."""

    def __init__(self, statuses: list[int] | None = None, reply: dict[str, Any] | None = None):
        self.statuses = list(statuses or [])
        self.reply = reply
        self.received: list[tuple[dict[str, str], dict[str, Any]]] = []
        self.runner: web.AppRunner | None = None
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        self.received.append((dict(request.headers), await request.json()))
        status = self.statuses.pop(0) if self.statuses else 200
        if status == 200 and self.reply is not None:
            return web.json_response(self.reply)
        return web.Response(status=status)

    async def __aenter__(self) -> Receiver:
        app = web.Application()
        app.router.add_post("/hook", self.handle)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self.runner.addresses[0][1]}/hook"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.runner is not None
        await self.runner.cleanup()


async def test_webhook_delivers_updates_with_the_secret_header(
    fake: FakeTelegram, bot: telegram.Bot
) -> None:
    async with Receiver() as receiver:
        assert await bot.set_webhook(receiver.url, secret_token="s3cr3t-token_1")
        fake.send_private(ALICE, "/start")
        await fake.wait_webhook_idle()

        assert len(receiver.received) == 1
        headers, body = receiver.received[0]
        assert headers["X-Telegram-Bot-Api-Secret-Token"] == "s3cr3t-token_1"
        assert headers["Content-Type"] == "application/json"
        update = telegram.Update.de_json(body, bot)
        assert update.message is not None
        assert update.message.text == "/start"
        info = await bot.get_webhook_info()
        assert info.url == receiver.url
        assert info.pending_update_count == 0


async def test_webhook_is_retried_until_it_answers_2xx(
    fake: FakeTelegram, bot: telegram.Bot
) -> None:
    async with Receiver(statuses=[500, 502]) as receiver:
        await bot.set_webhook(receiver.url)
        update = fake.send_private(ALICE, "hello")
        await fake.wait_webhook_idle()
        assert [body["update_id"] for _, body in receiver.received] == [update["update_id"]] * 3
        assert fake.webhook_failures == 2
        info = await bot.get_webhook_info()
        assert info.last_error_message == "Wrong response from the webhook: 502 Bad Gateway"


async def test_webhook_gives_up_after_bounded_attempts(
    fake: FakeTelegram, bot: telegram.Bot
) -> None:
    async with Receiver(statuses=[500] * 10) as receiver:
        await bot.set_webhook(receiver.url)
        fake.send_private(ALICE, "lost")
        await fake.wait_webhook_idle()
        assert len(receiver.received) == 5
        assert [u["message"]["text"] for u in fake.webhook_dropped] == ["lost"]


async def test_webhook_response_may_call_a_method(fake: FakeTelegram, bot: telegram.Bot) -> None:
    reply = {"method": "sendMessage", "chat_id": ALICE, "text": "pong"}
    async with Receiver(reply=reply) as receiver:
        await bot.set_webhook(receiver.url)
        fake.send_private(ALICE, "ping")
        await fake.wait_for_messages(ALICE)
    assert fake.last_text(ALICE) == "pong"


async def test_webhooks_never_leave_the_machine(fake: FakeTelegram, bot: telegram.Bot) -> None:
    await bot.set_webhook("https://hook.invalid/telegram")
    fake.send_private(ALICE, "hello")
    await fake.wait_until(lambda: fake.webhook_failures >= 1)
    info = await bot.get_webhook_info()
    assert info.pending_update_count == 1
    assert info.last_error_message is not None
    assert "loopback addresses only" in info.last_error_message


async def test_get_updates_conflicts_while_a_webhook_is_set(
    fake: FakeTelegram, bot: telegram.Bot, clock: ManualClock, ptb_timedelta: None
) -> None:
    async with Receiver(statuses=[500] * 10) as receiver:
        await bot.set_webhook(receiver.url, drop_pending_updates=True)
        with pytest.raises(Conflict, match="can't use getUpdates method while webhook is active"):
            await bot.get_updates()
        with pytest.raises(RetryAfter):  # setWebhook at most once a second
            await bot.set_webhook(receiver.url + "?again")
        clock.advance(1)
        await bot.set_webhook(receiver.url + "?again")
        assert await bot.delete_webhook()
    assert (await bot.get_webhook_info()).url == ""
    assert isinstance(await bot.get_updates(), tuple)


async def test_set_webhook_aborts_a_pending_long_poll(
    fake: FakeTelegram, bot: telegram.Bot, clock: ManualClock
) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=20))
    await fake.wait_until(lambda: fake.long_polling)
    status, body = await raw_call(fake, "setWebhook", url=UNREACHABLE_HOOK)
    assert (status, body["description"]) == (200, "Webhook was set")
    with pytest.raises(Conflict, match="terminated by setWebhook request"):
        await asyncio.wait_for(poll, 5)
    clock.advance(1)
    status, body = await raw_call(fake, "setWebhook", url=UNREACHABLE_HOOK)
    assert body["description"] == "Webhook is already set"
    clock.advance(1)
    status, body = await raw_call(fake, "setWebhook", url=UNREACHABLE_HOOK, secret_token="a b")
    assert body["description"] == "Bad Request: secret token contains unallowed characters"


# --------------------------------------------------------------------------- buttons and edits


async def test_button_press_and_callback_answer(fake: FakeTelegram, bot: telegram.Bot) -> None:
    fake.send_private(ALICE, "/start")
    await bot.get_updates()
    sent = await bot.send_message(ALICE, "RSVP?", reply_markup=keyboard("yes", "no"))
    with pytest.raises(ValueError, match="no button"):
        fake.press_button(ALICE, sent.message_id, ALICE, "maybe")
    update = fake.press_button(ALICE, sent.message_id, ALICE, "yes")

    updates = await bot.get_updates(offset=update["update_id"])
    query = updates[0].callback_query
    assert query is not None
    assert query.data == "yes"
    assert query.from_user.id == ALICE
    assert query.message is not None
    assert query.message.message_id == sent.message_id
    assert await bot.answer_callback_query(query.id, text="Noted")
    assert [(a.callback_query_id, a.text) for a in fake.callback_answers] == [(query.id, "Noted")]
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query(query.id)


async def test_edits_follow_telegram_rules(fake: FakeTelegram, bot: telegram.Bot) -> None:
    fake.send_private(ALICE, "/start")
    sent = await bot.send_message(ALICE, "RSVP?", reply_markup=keyboard("yes", "no"))
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text(
            "RSVP?", ALICE, sent.message_id, reply_markup=keyboard("yes", "no")
        )

    edited = await bot.edit_message_text("Thanks!", ALICE, sent.message_id)
    assert isinstance(edited, telegram.Message)
    assert edited.text == "Thanks!"
    assert edited.reply_markup is None  # an edit without markup drops the keyboard
    assert edited.edit_date is not None
    current = fake.message(ALICE, sent.message_id)
    assert current is not None
    assert current["text"] == "Thanks!"

    again = await bot.edit_message_reply_markup(ALICE, sent.message_id, reply_markup=keyboard("ok"))
    assert isinstance(again, telegram.Message)
    assert again.reply_markup == keyboard("ok")
    assert [(e.method, e.text) for e in fake.edits] == [
        ("editMessageText", "Thanks!"),
        ("editMessageReplyMarkup", "Thanks!"),
    ]
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("x", ALICE, 999)
    with pytest.raises(BadRequest, match=r"(?i)message can't be edited"):
        await bot.edit_message_text("x", ALICE, 1)  # the user's own /start


async def test_delete_message_and_chat_action(
    fake: FakeTelegram, bot: telegram.Bot, clock: ManualClock
) -> None:
    fake.send_private(ALICE, "/start")
    first = await bot.send_message(ALICE, "temporary")
    assert await bot.delete_message(ALICE, first.message_id)
    assert fake.message(ALICE, first.message_id) is None
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await bot.delete_message(ALICE, first.message_id)
    old = await bot.send_message(ALICE, "old")
    clock.advance(48 * 3600)
    with pytest.raises(BadRequest, match=r"(?i)message can't be deleted"):
        await bot.delete_message(ALICE, old.message_id)
    assert await bot.send_chat_action(ALICE, "typing")
    assert [(a.chat_id, a.action) for a in fake.chat_actions] == [(ALICE, "typing")]
    status, body = await raw_call(fake, "sendChatAction", chat_id=ALICE, action="dancing")
    assert (status, body["description"]) == (400, "Bad Request: wrong parameter action in request")


# --------------------------------------------------------------------------- groups


async def test_group_messages_respect_privacy_mode(fake: FakeTelegram, bot: telegram.Bot) -> None:
    group = -1001234567890
    added = fake.bot_added_to_group(group, ALICE, title="Exchange 2026")
    fake.send_group(group, ALICE, "/rsvp@cohort_test_bot 1 yes")
    fake.send_group(group, BOB, "just chatting")
    fake.send_group(group, BOB, "/start@another_bot")
    fake.send_group(group, BOB, "/help")

    updates = await bot.get_updates()
    assert updates[0].update_id == added["update_id"]
    member = updates[0].my_chat_member
    assert member is not None
    assert member.chat.type == "supergroup"
    assert member.chat.title == "Exchange 2026"
    assert member.old_chat_member.status == "left"
    assert member.new_chat_member.status == "member"
    service = updates[1].message
    assert service is not None
    assert service.new_chat_members[0].id == 123
    texts = [u.message.text for u in updates[2:] if u.message]
    assert texts == ["/rsvp@cohort_test_bot 1 yes", "/help"]

    sent = await bot.send_message(group, "Noted")
    assert sent.chat.id == group
    fake.send_group(group, BOB, "reply to the bot", reply_to_message_id=sent.message_id)
    later = await bot.get_updates(offset=updates[-1].update_id + 1)
    assert [u.message.text for u in later if u.message] == ["reply to the bot"]


async def test_removed_bot_cannot_write_to_the_group(fake: FakeTelegram, bot: telegram.Bot) -> None:
    fake.bot_added_to_group(-55, ALICE)
    fake.bot_removed_from_group(-55, ALICE)
    with pytest.raises(Forbidden, match="bot was kicked from the group chat"):
        await bot.send_message(-55, "hello?")


async def test_an_upgraded_group_moves_to_a_supergroup_with_a_new_id(
    fake: FakeTelegram, bot: telegram.Bot
) -> None:
    fake.bot_added_to_group(-4001, ALICE, title="Exchange 2026")
    fake.send_group(-4001, BOB, "just chatting")  # privacy mode: not for the bot
    before = len(await bot.get_updates())
    new_id = fake.upgrade_group(-4001, ALICE)
    assert new_id == -1000000004001

    updates = (await bot.get_updates())[before:]
    moved_to, moved_from = (u.message for u in updates)
    assert moved_to is not None and moved_from is not None
    assert (moved_to.chat.id, moved_to.chat.type) == (-4001, "group")
    assert moved_to.migrate_to_chat_id == new_id and moved_to.from_user is not None
    assert moved_to.from_user.id == ALICE
    assert (moved_from.chat.id, moved_from.chat.type) == (new_id, "supergroup")
    assert moved_from.migrate_from_chat_id == -4001 and moved_from.chat.title == "Exchange 2026"

    status, body = await raw_call(fake, "sendMessage", chat_id=-4001, text="hello?")
    assert (status, body) == (
        400,
        {
            "ok": False,
            "error_code": 400,
            "description": "Bad Request: group chat was upgraded to a supergroup chat",
            "parameters": {"migrate_to_chat_id": new_id},
        },
    )
    with pytest.raises(ChatMigrated) as migrated:
        await bot.send_message(-4001, "hello?")
    assert migrated.value.new_chat_id == new_id
    sent = await bot.send_message(new_id, "hello!")
    assert sent.chat.id == new_id and sent.chat.type == "supergroup"
    with pytest.raises(ValueError, match="upgraded"):
        fake.send_group(-4001, BOB, "/help")  # nobody writes in the old group any more
    fake.send_group(new_id, BOB, "/help")  # the members came along
    assert [
        u.message.text for u in await bot.get_updates(offset=updates[-1].update_id + 1) if u.message
    ] == ["/help"]


async def test_get_chat_and_chat_member_parse_in_ptb(fake: FakeTelegram, bot: telegram.Bot) -> None:
    fake.add_user(ALICE, "Alice", username="alice")
    fake.send_private(ALICE, "/start")
    fake.bot_added_to_group(-77, ALICE, title="Facilitators")
    fake.set_member_status(-77, ALICE, "creator")
    fake.set_member_status(-77, BOB, "administrator")

    chat = await bot.get_chat(ALICE)
    assert (chat.type, chat.username) == ("private", "alice")
    assert (await bot.get_chat("@alice")).id == ALICE
    group = await bot.get_chat(-77)
    assert (group.type, group.title) == ("group", "Facilitators")
    owner = await bot.get_chat_member(-77, ALICE)
    assert isinstance(owner, telegram.ChatMemberOwner)
    admin = await bot.get_chat_member(-77, BOB)
    assert isinstance(admin, telegram.ChatMemberAdministrator)
    me = await bot.get_chat_member(-77, 123)
    assert isinstance(me, telegram.ChatMemberMember)
    with pytest.raises(BadRequest, match=r"(?i)user not found"):
        await bot.get_chat_member(-77, 5555)


# --------------------------------------------------------------------------- documents


async def test_send_document_is_stored_and_downloadable(
    fake: FakeTelegram, bot: telegram.Bot
) -> None:
    fake.send_private(ALICE, "/start")
    content = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"
    message = await bot.send_document(
        ALICE,
        document=content,
        filename="sessions.ics",
        caption="<i>Your</i> calendar",
        parse_mode="HTML",
    )
    assert message.document is not None
    assert message.document.file_name == "sessions.ics"
    assert message.document.mime_type == "text/calendar"
    assert message.document.file_size == len(content)
    assert message.caption == "Your calendar"
    record = fake.last_message(ALICE)
    assert record is not None
    assert (record.method, record.document_filename, record.document_bytes) == (
        "sendDocument",
        "sessions.ics",
        content,
    )
    assert record.text == "Your calendar"

    file = await bot.get_file(message.document.file_id)
    assert bytes(await file.download_as_bytearray()) == content
    resent = await bot.send_document(ALICE, document=message.document.file_id)
    assert resent.document is not None
    assert resent.document.file_unique_id == message.document.file_unique_id


# --------------------------------------------------------------------------- bot settings


async def test_commands_are_stored_per_scope_and_language(
    fake: FakeTelegram, bot: telegram.Bot
) -> None:
    english = [telegram.BotCommand("start", "Start"), telegram.BotCommand("help", "Help")]
    spanish = [telegram.BotCommand("start", "Empezar"), telegram.BotCommand("help", "Ayuda")]
    assert await bot.set_my_commands(english)
    assert await bot.set_my_commands(spanish, language_code="es")
    group_scope = telegram.BotCommandScopeAllGroupChats()
    assert await bot.set_my_commands([telegram.BotCommand("bindchat", "Bind")], scope=group_scope)

    assert await bot.get_my_commands() == tuple(english)
    assert await bot.get_my_commands(language_code="es") == tuple(spanish)
    assert await bot.get_my_commands(language_code="pt") == ()
    assert fake.commands[("default", "es")][0] == {"command": "start", "description": "Empezar"}
    assert fake.commands_for("all_group_chats") == [{"command": "bindchat", "description": "Bind"}]

    assert await bot.delete_my_commands(language_code="es")
    assert await bot.get_my_commands(language_code="es") == ()
    with pytest.raises(BadRequest, match=r"(?i)bot_command_invalid"):
        await bot.set_my_commands([telegram.BotCommand("Start", "Capital")])
    with pytest.raises(BadRequest, match=r"(?i)invalid language code"):
        await bot.set_my_commands(english, language_code="pt_BR")


async def test_descriptions_per_language(fake: FakeTelegram, bot: telegram.Bot) -> None:
    assert await bot.set_my_description("Coordinates cohorts")
    assert await bot.set_my_description("Coordina cohortes", language_code="es")
    assert await bot.set_my_short_description("Cohorts", language_code="es")
    assert (await bot.get_my_description(language_code="es")).description == "Coordina cohortes"
    assert (await bot.get_my_description(language_code="fr")).description == "Coordinates cohorts"
    assert fake.short_descriptions == {"es": "Cohorts"}
    with pytest.raises(BadRequest):
        await bot.set_my_short_description("x" * 121)


# --------------------------------------------------------------------------- text engine


@pytest.mark.parametrize(
    ("markup", "error"),
    [
        ("🏟 🏟&lt;<abacaba", "Unclosed start tag at byte offset 13"),
        ("🏟 🏟&lt;<abac aba>", 'Unsupported start tag "abac" at byte offset 13'),
        ("🏟 🏟&lt;<i   =aba>", 'Empty attribute name in the tag "i" at byte offset 13'),
        ("🏟 🏟&lt;<i    aba>", 'Can\'t find end tag corresponding to start tag "i"'),
        ("🏟 🏟&lt;<i    aba  =  ", 'Unclosed start tag "i" at byte offset 13'),
        ("🏟 🏟&lt;<i    aba  =  190azAz-.,", "Unexpected end of name token at byte offset 27"),
        ("🏟 🏟&lt;</", "Unexpected end tag at byte offset 13"),
        ("🏟 🏟&lt;<b></b></", "Unexpected end tag at byte offset 20"),
        ("🏟 🏟&lt;<i>a</i   ", "Unclosed end tag at byte offset 17"),
        (
            "🏟 🏟&lt;<i>a</em   >",
            'Unmatched end tag at byte offset 17, expected "</i>", found "</em>"',
        ),
        ("&#xDFDF;", "Text contains invalid Unicode characters"),
    ],
)
def test_html_errors_match_the_real_parser(markup: str, error: str) -> None:
    with pytest.raises(Exception, match=error.replace("(", r"\(")) as caught:
        parse_html(markup)
    assert str(caught.value).startswith(error)


@pytest.mark.parametrize(
    ("markup", "text", "entities"),
    [
        ("&ge;&lt;&gt;&amp;&quot;&#12345678;", '&ge;<>&"&#12345678;', []),
        ("🏟 🏟<i>🏟 &lt🏟</i>", "🏟 🏟🏟 <🏟", [("italic", 5, 6)]),
        (
            "🏟 🏟<i>🏟 &gt;<b aba   =   caba>&lt🏟</b></i>",
            "🏟 🏟🏟 ><🏟",
            [("italic", 5, 7), ("bold", 9, 3)],
        ),
        ("<a href=telegram.org>go</a>", "go", [("text_link", 0, 2)]),
        ('<span class="tg-spoiler">x</span>', "x", [("spoiler", 0, 1)]),
        ("<blockquote expandable>q</blockquote>", "q", [("expandable_blockquote", 0, 1)]),
        ('<pre><code class="language-py">x</code></pre>', "x", [("pre", 0, 1)]),
        ("<code><i><b> </b></i></code>", " ", [("code", 0, 1), ("bold", 0, 1), ("italic", 0, 1)]),
    ],
)
def test_html_results_match_the_real_parser(
    markup: str, text: str, entities: list[tuple[str, int, int]]
) -> None:
    parsed_text, parsed = parse_html(markup)
    assert parsed_text == text
    assert [(e.type, e.offset, e.length) for e in parsed] == entities


def test_format_text_trims_and_keeps_entity_offsets_in_utf16() -> None:
    text, entities = format_text("\n  😀 <b>bold</b>\r\n  ", "HTML", "", allow_empty=False)
    assert text == "😀 bold"
    assert entities == [{"offset": 3, "length": 4, "type": "bold"}]
    pre_text, pre = format_text("<pre>a</pre>", "html", "", allow_empty=False)
    assert (pre_text, pre) == ("a", [{"offset": 0, "length": 1, "type": "pre"}])


def test_detected_entities() -> None:
    found = [(e.type, e.offset, e.length) for e in find_entities("/start@bot_x hi @someone #tag1")]
    assert found == [("bot_command", 0, 12), ("mention", 16, 8), ("hashtag", 25, 5)]
    assert find_entities("a/b and http/2") == []
    assert [e.type for e in find_entities("see https://example.org/x.")] == ["url"]


async def test_json_encoding_of_results_keeps_unicode(fake: FakeTelegram) -> None:
    fake.send_private(ALICE, "/start")
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{fake.url}/bot{fake.token}/sendMessage",
            data={"chat_id": str(ALICE), "text": "Olá 👋"},
        ) as response,
    ):
        raw = await response.text()
    assert "Olá 👋" in raw
    assert json.loads(raw)["result"]["text"] == "Olá 👋"


# --------------------------------------------------------------------------- PTB applications


def _application(fake: FakeTelegram) -> Application[Any, Any, Any, Any, Any, Any]:
    async def start(update: telegram.Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        assert update.effective_user is not None
        name = update.effective_user.first_name
        await update.effective_message.reply_text(f"Hello {name}", reply_markup=keyboard("go"))

    async def pressed(update: telegram.Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.callback_query is not None
        await update.callback_query.answer("Going")
        await update.callback_query.edit_message_text("Gone")

    app = (
        Application.builder()
        .token(fake.token)
        .base_url(fake.bot_base_url)
        .base_file_url(fake.file_base_url)
        .build()
    )
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(pressed))
    return app


async def test_ptb_application_polls_and_replies(fake: FakeTelegram) -> None:
    app = _application(fake)
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(timeout=timedelta(seconds=10))
        fake.add_user(ALICE, "Alice")
        fake.send_private(ALICE, "/start")
        (greeting,) = await fake.wait_for_messages(ALICE)
        assert greeting.text == "Hello Alice"
        fake.press_button(ALICE, greeting.message_id, ALICE, "go")
        await fake.wait_until(lambda: bool(fake.edits))
        await app.updater.stop()
        await app.stop()
    assert [a.text for a in fake.callback_answers] == ["Going"]
    assert fake.edits[0].text == "Gone"
    assert fake.pending_updates == []  # the updater confirmed what it handled
    assert fake.calls["deleteWebhook"] == 1


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_ptb_application_receives_webhooks(fake: FakeTelegram) -> None:
    app = _application(fake)
    port = _free_port()
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_webhook(
            listen="127.0.0.1",
            port=port,
            url_path="telegram",
            webhook_url=f"http://127.0.0.1:{port}/telegram",
            secret_token="cohort-secret",
        )
        assert fake.webhook_url == f"http://127.0.0.1:{port}/telegram"
        fake.send_private(BOB, "/start")
        (greeting,) = await fake.wait_for_messages(BOB)
        await app.updater.stop()
        await app.stop()
    assert greeting.text == f"Hello User{BOB}"
    assert fake.webhook_failures == 0


# --------------------------------------------------------------------------- standalone CLI


async def test_cli_serves_the_fake_with_a_control_endpoint() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.fakes.telegram_cli",
        "--port",
        "0",
        "--token",
        "42:CLI",
        cwd=REPO_ROOT,
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    try:
        banner = (await asyncio.wait_for(process.stdout.readline(), 20)).decode()
        url = banner.strip().rsplit(" ", 1)[-1]
        assert url.startswith("http://127.0.0.1:")
        token_line = (await asyncio.wait_for(process.stdout.readline(), 5)).decode()
        assert token_line.strip() == "token: 42:CLI"
        async with aiohttp.ClientSession() as session:
            async with session.post(
                f"{url}/_control/message", json={"user_id": 7, "text": "/start"}
            ) as response:
                assert response.status == 200
            async with telegram.Bot("42:CLI", base_url=f"{url}/bot") as bot:
                (update,) = await bot.get_updates()
                assert update.message is not None
                assert update.message.text == "/start"
                await bot.send_message(7, "Welcome", reply_markup=keyboard("ok"))
            async with session.get(f"{url}/_control/sent", params={"chat_id": "7"}) as response:
                sent = (await response.json())["result"]
        assert [(m["text"], m["buttons"]) for m in sent] == [
            ("Welcome", [{"text": "Ok", "callback_data": "ok"}])
        ]
        echo = (await asyncio.wait_for(process.stdout.readline(), 5)).decode()
        while not echo.startswith("->"):
            echo = (await asyncio.wait_for(process.stdout.readline(), 5)).decode()
        assert echo.strip() == "-> chat 7 #2: Welcome [buttons ok]"
    finally:
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 10) == 0
