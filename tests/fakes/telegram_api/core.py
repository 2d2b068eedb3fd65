"""The state the server's parts share: the clock, records, users, chats and their messages."""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
import re
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime

import aiohttp
from aiohttp import web

from tests.fakes.telegram_api.config import (
    DEFAULT_UPDATE_TYPES,
    JSON,
    ClockLike,
    Limits,
    WebhookRetry,
    _system_now,
)
from tests.fakes.telegram_api.errors import _bad
from tests.fakes.telegram_api.flood import _FloodControl
from tests.fakes.telegram_api.profile import BotProfile
from tests.fakes.telegram_api.records import (
    CallbackAnswer,
    ChatActionRecord,
    DeletionRecord,
    EditRecord,
    Rejection,
    SentMessage,
)
from tests.fakes.telegram_api.requests import _Args
from tests.fakes.telegram_api.state import (
    _CallbackState,
    _Chat,
    _Handler,
    _Queued,
    _StoredFile,
    _User,
    _Webhook,
)


class _Core:
    """The state every part of the server shares, and what they all use of it: the clock,
    watchers of the records, users, private chats and the messages in chats."""

    def __init__(
        self,
        token: str = "123:ABC",
        bot_username: str = "cohort_test_bot",
        clock: ClockLike | None = None,
        limits: Limits | None = None,
        *,
        bot_first_name: str = "Cohort Test Bot",
        privacy_mode: bool = True,
        host: str = "127.0.0.1",
        port: int = 0,
        webhook_retry: WebhookRetry | None = None,
        allow_http_webhook: bool = True,
        first_update_id: int = 100_000,
        extra_routes: Sequence[web.RouteDef] = (),
        on_sent: Callable[[SentMessage], None] | None = None,
        latency: float = 0.0,
    ) -> None:
        self.token = token
        # Seconds each answer takes after the method has run (a network round trip, in real
        # time): what a sender sees from a distant server.
        self.latency = latency
        # Chats whose sends hang: the request is read and never answered (until `unhang`), as
        # a connection that stalls somewhere on the way.
        self.hung_chats: set[int] = set()
        self._unhung = asyncio.Event()
        self.bot_username = bot_username
        head = token.split(":", 1)[0]
        self.bot_id = int(head) if head.isdigit() else 123
        self.bot_user: JSON = {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
        }
        if clock is None:
            self._now: Callable[[], datetime] = _system_now
        elif callable(clock):
            self._now = clock
        else:
            self._now = clock.now
        self.limits = limits if limits is not None else Limits()
        self.privacy_mode = privacy_mode
        self._host = host
        self._port = port
        self._webhook_retry = webhook_retry if webhook_retry is not None else WebhookRetry()
        self._allow_http_webhook = allow_http_webhook
        self._extra_routes = tuple(extra_routes)
        self._on_sent = on_sent

        # Recording for assertions.
        self.sent: list[SentMessage] = []
        self.edits: list[EditRecord] = []
        self.callback_answers: list[CallbackAnswer] = []
        self.chat_actions: list[ChatActionRecord] = []
        self.deletions: list[DeletionRecord] = []
        self.rejections: list[Rejection] = []
        # What the bot publishes of itself (commands, descriptions, names), by scope/language.
        self.profile = BotProfile(str(self.bot_user["first_name"]), self._resolve_chat)
        self.commands = self.profile.commands
        self.descriptions = self.profile.descriptions
        self.short_descriptions = self.profile.short_descriptions
        self.names = self.profile.names
        self.calls: Counter[str] = Counter()
        self.unknown_methods: list[str] = []
        self.webhook_dropped: list[JSON] = []
        self.webhook_failures = 0

        # Server state.
        self._users: dict[int, _User] = {}
        self._chats: dict[int, _Chat] = {}
        self._queue: list[_Queued] = []
        self._next_update_id = first_update_id
        self._allowed_updates: frozenset[str] = DEFAULT_UPDATE_TYPES
        self._webhook: _Webhook | None = None
        self._next_set_webhook_at: float = float("-inf")
        self._files: dict[str, _StoredFile] = {}
        self._file_counter = itertools.count(1)
        self._callback_queries: dict[str, _CallbackState] = {}
        self._callback_counter = itertools.count(4_382_964_385_309_857)
        self._flood = _FloodControl(self.limits)

        # Runtime.
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._long_poll: asyncio.Future[str] | None = None
        self._webhook_task: asyncio.Task[None] | None = None
        self._webhook_wakeup = asyncio.Event()
        self._webhook_in_flight = False
        self._watchers: list[asyncio.Future[None]] = []
        self._bound_port: int | None = None

        # The Bot API methods the server answers, by lower-case name.
        self._methods: dict[str, _Handler] = self._method_table()

    def _method_table(self) -> dict[str, _Handler]:
        raise NotImplementedError  # the server class lists the methods of every part

    # ------------------------------------------------------------------ records

    def commands_for(self, scope: str = "default", language_code: str = "") -> list[JSON]:
        return copy.deepcopy(self.commands.get((scope, language_code), []))

    def clear_records(self) -> None:
        self.sent.clear()
        self.edits.clear()
        self.callback_answers.clear()
        self.chat_actions.clear()
        self.deletions.clear()
        self.rejections.clear()
        self.calls.clear()

    async def wait_until(self, predicate: Callable[[], bool], within: float = 5.0) -> None:
        """Wait (bounded, in real time) until ``predicate()`` holds; re-checked on every
        request and update. Raises TimeoutError."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while not predicate():
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError("condition not met in time")
            watcher: asyncio.Future[None] = loop.create_future()
            self._watchers.append(watcher)
            try:
                await asyncio.wait_for(watcher, remaining)
            except TimeoutError:
                if not predicate():
                    raise
            finally:
                if watcher in self._watchers:
                    self._watchers.remove(watcher)

    # ------------------------------------------------------------------ clock and watchers

    def _date(self) -> int:
        now = self._now()
        if now.tzinfo is None:
            raise ValueError("the clock must return aware datetimes")
        return int(now.timestamp())

    def _at(self) -> datetime:
        now = self._now()
        if now.tzinfo is None:
            raise ValueError("the clock must return aware datetimes")
        return now

    def _notify(self) -> None:
        for watcher in self._watchers:
            if not watcher.done():
                watcher.set_result(None)

    # ------------------------------------------------------------------ users and chats

    def add_user(
        self,
        user_id: int,
        first_name: str,
        language_code: str | None = "en",
        username: str | None = None,
        *,
        last_name: str | None = None,
        started: bool = False,
    ) -> JSON:
        """Make a Telegram user known to the fake; returns the User object. `started`: they
        have opened their chat with the bot before (it may write to them)."""
        if user_id <= 0:
            raise ValueError("user ids are positive")
        data: JSON = {"id": user_id, "is_bot": False, "first_name": first_name}
        if last_name:
            data["last_name"] = last_name
        if username:
            data["username"] = username
        if language_code:
            data["language_code"] = language_code
        user = self._users.get(user_id)
        if user is None:
            self._users[user_id] = user = _User(data)
        else:
            user.data = data
            chat = self._chats.get(user_id)
            if chat is not None:
                chat.data = self._private_chat_data(user)
        user.started = user.started or started
        return copy.deepcopy(data)

    def _ensure_user(self, user_id: int) -> _User:
        user = self._users.get(user_id)
        if user is None:
            self.add_user(user_id, f"User{user_id}")
            user = self._users[user_id]
        return user

    @staticmethod
    def _private_chat_data(user: _User) -> JSON:
        data: JSON = {"id": user.data["id"], "first_name": user.data["first_name"]}
        for key in ("last_name", "username"):
            if key in user.data:
                data[key] = user.data[key]
        data["type"] = "private"
        return data

    def _private_chat(self, user: _User) -> _Chat:
        chat_id = int(user.data["id"])
        chat = self._chats.get(chat_id)
        if chat is None:
            chat = _Chat(self._private_chat_data(user))
            self._chats[chat_id] = chat
        return chat

    def _resolve_chat(self, args: _Args, name: str = "chat_id") -> _Chat:
        raw = args.get(name).strip()
        if not raw:
            raise _bad(f"{name} is empty")
        if raw.startswith("@"):
            wanted = raw[1:].lower()
            for chat in self._chats.values():
                if str(chat.data.get("username", "")).lower() == wanted:
                    return chat
            for user in self._users.values():
                if str(user.data.get("username", "")).lower() == wanted:
                    return self._private_chat(user)
            raise _bad("chat not found")
        match = re.fullmatch(r"[+-]?\d+", raw)
        chat_id = int(raw) if match else 0
        found = self._chats.get(chat_id)
        if found is not None:
            return found
        if chat_id in self._users:
            return self._private_chat(self._users[chat_id])
        raise _bad("chat not found")

    def _new_message(self, chat: _Chat, sender: JSON) -> JSON:
        message_id = chat.next_message_id
        chat.next_message_id += 1
        message: JSON = {
            "message_id": message_id,
            "from": copy.deepcopy(sender),
            "chat": copy.deepcopy(chat.data),
            "date": self._date(),
        }
        chat.messages[message_id] = message
        return message


def _json_bytes(value: object) -> bytes:
    """UTF-8 JSON, as Telegram sends it; a string that UTF-8 cannot carry (a lone surrogate a
    test gave a user) travels as a JSON escape, which is valid JSON all the same."""
    try:
        return json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(value).encode("ascii")


def _json_response(body: JSON, status: int) -> web.Response:
    return web.Response(body=_json_bytes(body), status=status, content_type="application/json")


def _without_reply(message: JSON) -> JSON:
    copied = copy.deepcopy(message)
    copied.pop("reply_to_message", None)
    return copied
