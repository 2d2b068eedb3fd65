"""FakeTelegram: the server itself, its HTTP routes and the methods tests drive users with."""

from __future__ import annotations

import asyncio
import copy
import ipaddress
import itertools
import json
import logging
import mimetypes
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

from tests.fakes.telegram_api.config import (
    ALL_UPDATE_TYPES,
    CHAT_ACTIONS,
    DEFAULT_UPDATE_TYPES,
    JSON,
    LONG_POLL_MAX_TIMEOUT,
    MAX_CAPTION_LENGTH,
    MAX_TEXT_LENGTH,
    MAX_UPLOAD_BYTES,
    NOT_MODIFIED,
    ClockLike,
    Limits,
    WebhookRetry,
    _system_now,
)
from tests.fakes.telegram_api.entities import find_entities, format_text
from tests.fakes.telegram_api.errors import ApiError, _bad, _forbidden
from tests.fakes.telegram_api.flood import _FloodControl
from tests.fakes.telegram_api.profile import BotProfile
from tests.fakes.telegram_api.records import (
    CallbackAnswer,
    ChatActionRecord,
    DeletionRecord,
    EditRecord,
    Rejection,
    SentMessage,
    _buttons,
)
from tests.fakes.telegram_api.requests import (
    _Args,
    _check_button_data,
    _json_arg_to_str,
    _parse_reply_markup,
    _read_request,
)
from tests.fakes.telegram_api.state import (
    _CallbackState,
    _Chat,
    _Handler,
    _Queued,
    _StoredFile,
    _User,
    _Webhook,
)

_LOG = logging.getLogger(__name__)


# --------------------------------------------------------------------------- the server


class FakeTelegram:
    """A Telegram Bot API server on 127.0.0.1 for one bot, driven by tests.

    Not emulated: MarkdownV2/Markdown parsing (text is taken as it is), media other than
    documents, inline mode, payments, forum topics, channels, the anti-busy-loop minimum
    timeout of getUpdates, setWebhook's DNS/TLS checks (plain http is accepted unless
    ``allow_http_webhook=False``), callback-query expiry, and automatic URL/e-mail detection
    beyond explicit http(s) links. Webhooks are only ever delivered to loopback addresses: any
    other URL is recorded as a delivery error without a connection being made.
    """

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

        self._methods: dict[str, _Handler] = {
            "getme": self._m_get_me,
            "getupdates": self._m_get_updates,
            "setwebhook": self._m_set_webhook,
            "deletewebhook": self._m_delete_webhook,
            "getwebhookinfo": self._m_get_webhook_info,
            "sendmessage": self._m_send_message,
            "editmessagetext": self._m_edit_message_text,
            "editmessagereplymarkup": self._m_edit_message_reply_markup,
            "answercallbackquery": self._m_answer_callback_query,
            "senddocument": self._m_send_document,
            "getfile": self._m_get_file,
            "getchat": self._m_get_chat,
            "getchatmember": self._m_get_chat_member,
            "deletemessage": self._m_delete_message,
            "sendchataction": self._m_send_chat_action,
            **self.profile.methods(),
        }

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        if self._runner is not None:
            raise RuntimeError("FakeTelegram is already running")
        app = web.Application(client_max_size=MAX_UPLOAD_BYTES)
        app.router.add_routes(self._extra_routes)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_route("GET", "/file/bot{token}/{path:.+}", self._handle_file)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, self._host, self._port)
        await site.start()
        self._runner = runner
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=self._webhook_retry.request_timeout_seconds)
        )
        self._bound_port = int(runner.addresses[0][1])
        if self._webhook is not None:
            self._ensure_webhook_worker()

    async def stop(self) -> None:
        self._resolve_long_poll("stop")
        await self._stop_webhook_worker()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._session is not None:
            await self._session.close()
            self._session = None
        for watcher in self._watchers:
            if not watcher.done():
                watcher.cancel()
        self._watchers.clear()

    async def __aenter__(self) -> FakeTelegram:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        if self._bound_port is None:
            raise RuntimeError("FakeTelegram is not started")
        return self._bound_port

    @property
    def url(self) -> str:
        """The root URL, e.g. ``http://127.0.0.1:PORT`` (the ``[telegram] base_url``)."""
        return f"http://{self._host}:{self.port}"

    @property
    def bot_base_url(self) -> str:
        """For ``telegram.Bot(token, base_url=...)``: PTB appends the token itself."""
        return f"{self.url}/bot"

    @property
    def file_base_url(self) -> str:
        return f"{self.url}/file/bot"

    # ------------------------------------------------------------------ injection API

    def add_user(
        self,
        user_id: int,
        first_name: str,
        language_code: str | None = "en",
        username: str | None = None,
        *,
        last_name: str | None = None,
    ) -> JSON:
        """Make a Telegram user known to the fake; returns the User object."""
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
            self._users[user_id] = _User(data)
        else:
            user.data = data
            chat = self._chats.get(user_id)
            if chat is not None:
                chat.data = self._private_chat_data(user)
        return copy.deepcopy(data)

    def send_private(
        self, user_id: int, text: str, *, reply_to_message_id: int | None = None
    ) -> JSON:
        """The user writes ``text`` to the bot in their private chat; returns the Update."""
        user = self._ensure_user(user_id)
        if user.blocked:
            # Writing to a blocked bot (e.g. "Restart") unblocks it first.
            self.unblock(user_id)
        user.started = True
        chat = self._private_chat(user)
        message = self._incoming_message(chat, user, text, reply_to_message_id)
        return self._push_update("message", message)

    def send_group(
        self,
        chat_id: int,
        user_id: int,
        text: str,
        title: str = "Group",
        *,
        chat_type: str | None = None,
        reply_to_message_id: int | None = None,
    ) -> JSON:
        """The user writes ``text`` in a group; returns the Update.

        In privacy mode (the default, as on Telegram) the bot only receives commands that are
        not addressed to another bot and replies to its own messages; other messages are
        returned but not queued.
        """
        chat = self._group_chat(chat_id, title, chat_type, bot_status="member")
        user = self._ensure_user(user_id)
        chat.members.setdefault(user_id, "member")
        message = self._incoming_message(chat, user, text, reply_to_message_id)
        visible = chat.bot_status in {"member", "administrator", "creator"} and (
            not self.privacy_mode
            or chat.bot_status == "administrator"
            or self._meant_for_bot(message)
        )
        return self._push_update("message", message, deliver=visible)

    def press_button(self, user_id: int, message_id: int, chat_id: int, data: str) -> JSON:
        """The user presses the inline button with ``data``; returns the callback_query Update."""
        chat = self._chats.get(chat_id)
        if chat is None:
            raise ValueError(f"unknown chat {chat_id}")
        message = chat.messages.get(message_id)
        if message is None:
            raise ValueError(f"no message {message_id} in chat {chat_id}")
        markup = message.get("reply_markup")
        if data not in [b.get("callback_data") for b in _buttons(markup)]:
            raise ValueError(f"message {message_id} has no button with callback_data {data!r}")
        user = self._ensure_user(user_id)
        query_id = str(next(self._callback_counter))
        self._callback_queries[query_id] = _CallbackState(user_id=user_id)
        query: JSON = {
            "id": query_id,
            "from": copy.deepcopy(user.data),
            "message": copy.deepcopy(message),
            "chat_instance": str(-(abs(chat_id) * 7919 + 104_729)),
            "data": data,
        }
        return self._push_update("callback_query", query)

    def bot_added_to_group(
        self,
        chat_id: int,
        by_user_id: int,
        title: str = "Group",
        *,
        chat_type: str | None = None,
    ) -> JSON:
        """A user adds the bot to a group; returns the my_chat_member Update.

        Like Telegram, this also queues the service message with ``new_chat_members``.
        """
        chat = self._group_chat(chat_id, title, chat_type, bot_status="left")
        old_status = chat.bot_status
        chat.bot_status = "member"
        user = self._ensure_user(by_user_id)
        chat.members.setdefault(by_user_id, "member")
        update = self._push_update(
            "my_chat_member",
            self._member_update(chat, user, old_status, "member"),
        )
        service = self._new_message(chat, user.data)
        service["new_chat_participant"] = copy.deepcopy(self.bot_user)
        service["new_chat_member"] = copy.deepcopy(self.bot_user)
        service["new_chat_members"] = [copy.deepcopy(self.bot_user)]
        self._push_update("message", service)
        return update

    def upgrade_group(
        self, chat_id: int, by_user_id: int, *, new_chat_id: int | None = None
    ) -> int:
        """A user upgrades the basic group ``chat_id`` to a supergroup; returns its new id
        (``-100`` followed by the digits, as Telegram's supergroup ids read).

        As on Telegram, members and the bot's status carry over, two service messages are
        queued (``migrate_to_chat_id`` in the old group, then ``migrate_from_chat_id`` in the
        new supergroup), and every later request for the old id is refused with 400 and
        ``parameters.migrate_to_chat_id``. Nobody can write in the old group any more.
        """
        chat = self._chats.get(chat_id)
        if chat is None or chat.type != "group":
            raise ValueError(f"unknown basic group {chat_id}")
        if chat.migrated_to is not None:
            raise ValueError(f"group {chat_id} was already upgraded")
        new_id = new_chat_id if new_chat_id is not None else -(10**12 + abs(chat_id))
        if new_id > -(10**12) or new_id in self._chats:
            raise ValueError(f"{new_id} is not a free supergroup id")
        data: JSON = {"id": new_id, "title": chat.data.get("title", "Group"), "type": "supergroup"}
        supergroup = _Chat(data, members=dict(chat.members), bot_status=chat.bot_status)
        self._chats[new_id] = supergroup
        chat.migrated_to = new_id
        user = self._ensure_user(by_user_id)
        present = chat.bot_status in {"member", "administrator", "creator"}
        # Service messages reach the bot whatever its privacy mode, while it is in the group.
        moved_to = self._new_message(chat, user.data)
        moved_to["migrate_to_chat_id"] = new_id
        self._push_update("message", moved_to, deliver=present)
        moved_from = self._new_message(supergroup, user.data)
        moved_from["migrate_from_chat_id"] = chat_id
        self._push_update("message", moved_from, deliver=present)
        return new_id

    def bot_removed_from_group(self, chat_id: int, by_user_id: int, *, kicked: bool = True) -> JSON:
        """A user removes the bot from a group; returns the my_chat_member Update."""
        chat = self._chats.get(chat_id)
        if chat is None or chat.type == "private":
            raise ValueError(f"unknown group {chat_id}")
        old_status = chat.bot_status
        chat.bot_status = "kicked" if kicked else "left"
        user = self._ensure_user(by_user_id)
        return self._push_update(
            "my_chat_member", self._member_update(chat, user, old_status, chat.bot_status)
        )

    def block(self, user_id: int) -> JSON:
        """The user blocks the bot; sends to them then fail with 403. Returns the Update."""
        user = self._ensure_user(user_id)
        user.blocked = True
        chat = self._private_chat(user)
        return self._push_update(
            "my_chat_member", self._member_update(chat, user, "member", "kicked")
        )

    def unblock(self, user_id: int) -> JSON:
        user = self._ensure_user(user_id)
        user.blocked = False
        chat = self._private_chat(user)
        return self._push_update(
            "my_chat_member", self._member_update(chat, user, "kicked", "member")
        )

    def set_member_status(self, chat_id: int, user_id: int, status: str) -> None:
        """Set what getChatMember answers: creator, administrator, member, restricted, left,
        kicked. ``user_id`` may be the bot's own id."""
        if status not in {"creator", "administrator", "member", "restricted", "left", "kicked"}:
            raise ValueError(f"unknown status {status!r}")
        chat = self._chats.get(chat_id)
        if chat is None:
            raise ValueError(f"unknown chat {chat_id}")
        if user_id == self.bot_id:
            chat.bot_status = status
        else:
            self._ensure_user(user_id)
            chat.members[user_id] = status

    def resend_update(self, update: Mapping[str, Any]) -> None:
        """Deliver an update again with the same update_id (Telegram may do so after a crash)."""
        self._queue.append(_Queued(copy.deepcopy(dict(update)), resent=True))
        self._on_queue_changed()

    # ------------------------------------------------------------------ assertions

    def messages_to(self, chat_id: int) -> list[SentMessage]:
        return [m for m in self.sent if m.chat_id == chat_id]

    def last_message(self, chat_id: int) -> SentMessage | None:
        messages = self.messages_to(chat_id)
        return messages[-1] if messages else None

    def last_text(self, chat_id: int) -> str | None:
        message = self.last_message(chat_id)
        return message.text if message else None

    def message(self, chat_id: int, message_id: int) -> JSON | None:
        """The current state of a message (after edits), as the Bot API would show it."""
        chat = self._chats.get(chat_id)
        if chat is None or message_id not in chat.messages:
            return None
        return copy.deepcopy(chat.messages[message_id])

    def commands_for(self, scope: str = "default", language_code: str = "") -> list[JSON]:
        return copy.deepcopy(self.commands.get((scope, language_code), []))

    @property
    def count_429(self) -> int:
        return sum(1 for r in self.rejections if r.error_code == 429)

    @property
    def pending_updates(self) -> list[JSON]:
        return [copy.deepcopy(q.update) for q in self._queue]

    @property
    def long_polling(self) -> bool:
        """True while a getUpdates call is parked waiting for updates."""
        return self._long_poll is not None and not self._long_poll.done()

    @property
    def webhook_url(self) -> str | None:
        return self._webhook.url if self._webhook else None

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

    async def wait_for_messages(
        self, chat_id: int, count: int = 1, within: float = 5.0
    ) -> list[SentMessage]:
        """Wait until at least ``count`` messages were sent to ``chat_id``; returns them all."""
        await self.wait_until(lambda: len(self.messages_to(chat_id)) >= count, within)
        return self.messages_to(chat_id)

    async def wait_webhook_idle(self, within: float = 5.0) -> None:
        """Wait until every queued update was delivered to (or dropped by) the webhook."""
        await self.wait_until(lambda: not self._queue and not self._webhook_in_flight, within)

    # ------------------------------------------------------------------ internals: state

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

    def _group_chat(
        self, chat_id: int, title: str, chat_type: str | None, *, bot_status: str
    ) -> _Chat:
        if chat_id >= 0:
            raise ValueError("group chat ids are negative")
        kind = chat_type or ("supergroup" if chat_id <= -1_000_000_000_000 else "group")
        if kind not in {"group", "supergroup"}:
            raise ValueError("chat_type is 'group' or 'supergroup'")
        chat = self._chats.get(chat_id)
        if chat is None:
            chat = _Chat({"id": chat_id, "title": title, "type": kind}, bot_status=bot_status)
            self._chats[chat_id] = chat
        if chat.migrated_to is not None:
            raise ValueError(f"group {chat_id} was upgraded to supergroup {chat.migrated_to}")
        return chat

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

    def _incoming_message(
        self, chat: _Chat, user: _User, text: str, reply_to_message_id: int | None
    ) -> JSON:
        reply_to: JSON | None = None
        if reply_to_message_id is not None:
            reply_to = chat.messages.get(reply_to_message_id)
            if reply_to is None:
                raise ValueError(f"no message {reply_to_message_id} in chat {chat.id}")
        message = self._new_message(chat, user.data)
        message["text"] = text
        entities = [e.to_json() for e in find_entities(text)]
        if entities:
            message["entities"] = entities
        if reply_to is not None:
            message["reply_to_message"] = _without_reply(reply_to)
        return message

    def _meant_for_bot(self, message: JSON) -> bool:
        reply_to = message.get("reply_to_message")
        if reply_to is not None and reply_to.get("from", {}).get("id") == self.bot_id:
            return True
        for entity in message.get("entities", []):
            if entity["type"] == "bot_command" and entity["offset"] == 0:
                command = _utf16_slice(message["text"], 0, entity["length"])
                _, _, target = command.partition("@")
                return not target or target.lower() == self.bot_username.lower()
        return False

    def _member_update(self, chat: _Chat, user: _User, old: str, new: str) -> JSON:
        return {
            "chat": copy.deepcopy(chat.data),
            "from": copy.deepcopy(user.data),
            "date": self._date(),
            "old_chat_member": _chat_member(self.bot_user, old),
            "new_chat_member": _chat_member(self.bot_user, new),
        }

    def _push_update(self, kind: str, payload: JSON, *, deliver: bool = True) -> JSON:
        update: JSON = {"update_id": self._next_update_id, kind: copy.deepcopy(payload)}
        self._next_update_id += 1
        if deliver and kind in self._allowed_updates:
            self._queue.append(_Queued(update))
            self._on_queue_changed()
        return copy.deepcopy(update)

    def _on_queue_changed(self) -> None:
        if self._webhook is None:
            self._resolve_long_poll("update")
        else:
            self._webhook_wakeup.set()
        self._notify()

    def _resolve_long_poll(self, reason: str) -> None:
        if self._long_poll is not None and not self._long_poll.done():
            self._long_poll.set_result(reason)

    def _set_allowed_updates(self, raw: str) -> None:
        if not raw:
            return
        try:
            value = json.loads(raw)
        except ValueError:
            return
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return
        chosen = frozenset(v.lower() for v in value) & frozenset(ALL_UPDATE_TYPES)
        self._allowed_updates = chosen or DEFAULT_UPDATE_TYPES

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

    def _check_can_write(self, chat: _Chat) -> None:
        if chat.migrated_to is not None:
            raise ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                migrate_to_chat_id=chat.migrated_to,
            )
        if chat.type == "private":
            user = self._users[chat.id]
            if user.blocked:
                raise _forbidden("bot was blocked by the user")
            if not user.started:
                raise _forbidden("bot can't initiate conversation with a user")
            return
        noun = "supergroup chat" if chat.type == "supergroup" else "group chat"
        if chat.bot_status == "kicked":
            raise _forbidden(f"bot was kicked from the {noun}")
        if chat.bot_status == "left":
            raise _forbidden(f"bot is not a member of the {noun}")

    def _check_flood(self, chat: _Chat) -> None:
        retry_after = self._flood.retry_after(chat.id, chat.type, self._at().timestamp())
        if retry_after is not None:
            raise ApiError(
                429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after
            )

    def _reply_target(self, chat: _Chat, args: _Args) -> JSON | None:
        message_id = args.get_int("reply_to_message_id", 0)
        allow_missing = args.get_bool("allow_sending_without_reply")
        raw = args.get("reply_parameters")
        if raw:
            try:
                params = json.loads(raw)
            except ValueError as exc:
                raise _bad("can't parse reply parameters JSON object") from exc
            if not isinstance(params, dict) or not isinstance(params.get("message_id"), int):
                raise _bad('can\'t parse reply parameters: Field "message_id" must be a Number')
            message_id = params["message_id"]
            allow_missing = bool(params.get("allow_sending_without_reply", False))
        if message_id <= 0:
            return None
        target = chat.messages.get(message_id)
        if target is None and not allow_missing:
            raise _bad("message to be replied not found")
        return target

    def _bot_message(self, chat: _Chat, reply_to: JSON | None) -> JSON:
        message = self._new_message(chat, self.bot_user)
        if reply_to is not None:
            message["reply_to_message"] = _without_reply(reply_to)
        return message

    def _record_sent(self, record: SentMessage) -> None:
        self.sent.append(record)
        if self._on_sent is not None:
            self._on_sent(record)

    def _editable_message(self, args: _Args) -> tuple[_Chat, JSON]:
        if args.get("inline_message_id"):
            raise _bad("MESSAGE_ID_INVALID")
        chat = self._resolve_chat(args)
        message_id = args.get_int("message_id", 0)
        if message_id <= 0:
            raise _bad("message identifier is not specified")
        message = chat.messages.get(message_id)
        if message is None:
            raise _bad("message to edit not found")
        if message.get("from", {}).get("id") != self.bot_id:
            raise _bad("message can't be edited")
        return chat, message

    # ------------------------------------------------------------------ HTTP

    async def _handle_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            return _json_response(ApiError(401, "Unauthorized").body(), 401)
        self.calls[method] += 1
        self._notify()
        try:
            args = await _read_request(request)
            if method.lower() in ("sendmessage", "senddocument") and self.hung_chats:
                await self._maybe_hang(args)
            handler = self._methods.get(method.lower())
            if handler is None:
                self.unknown_methods.append(method)
                _LOG.warning("fake Telegram: method %s is not emulated", method)
                raise ApiError(404, "Not Found")
            result, description = await handler(args)
        except ApiError as error:
            self.rejections.append(Rejection(method, error.code, error.description, self._at()))
            self._notify()
            return _json_response(error.body(), error.code)
        body: JSON = {"ok": True, "result": result}
        if description is not None:
            body["description"] = description
        self._notify()
        if self.latency and method.lower() != "getupdates":
            await asyncio.sleep(self.latency)  # the answer's way back over the network
        return _json_response(body, 200)

    async def _maybe_hang(self, args: _Args) -> None:
        try:
            chat = int(str(args.get("chat_id")))
        except ValueError:
            return
        while chat in self.hung_chats:
            self._unhung.clear()
            await self._unhung.wait()

    def hang(self, chat_id: int) -> None:
        """Sends to `chat_id` hang from now on (the client's timeout is what ends them)."""
        self.hung_chats.add(chat_id)

    def unhang(self, chat_id: int) -> None:
        """Sends to `chat_id` go through again, the hung ones too (if still waited for)."""
        self.hung_chats.discard(chat_id)
        self._unhung.set()

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return _json_response(ApiError(401, "Unauthorized").body(), 401)
        path = request.match_info["path"]
        for stored in self._files.values():
            if stored.file_path == path:
                return web.Response(body=stored.data, content_type="application/octet-stream")
        return _json_response(ApiError(404, "Not Found").body(), 404)

    # ------------------------------------------------------------------ methods: updates

    async def _m_get_me(self, args: _Args) -> tuple[Any, str | None]:
        me = dict(self.bot_user)
        me.update(
            {
                "can_join_groups": True,
                "can_read_all_group_messages": not self.privacy_mode,
                "supports_inline_queries": False,
                "can_connect_to_business": False,
                "has_main_web_app": False,
            }
        )
        return me, None

    def _confirm(self, offset: int) -> None:
        if offset < 0:
            self._queue = self._queue[offset:]
        elif offset > 0:
            self._queue = [
                q
                for q in self._queue
                if q.update["update_id"] >= offset or (q.resent and not q.delivered)
            ]

    def _take(self, limit: int) -> list[JSON]:
        batch = self._queue[:limit]
        for queued in batch:
            queued.delivered = True
        return [copy.deepcopy(q.update) for q in batch]

    async def _m_get_updates(self, args: _Args) -> tuple[Any, str | None]:
        if self._webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use "
                "deleteWebhook to delete the webhook first",
            )
        offset = args.get_int("offset", 0)
        limit = min(max(args.get_int("limit", 100), 1), 100)
        timeout = min(max(args.get_int("timeout", 0), 0), LONG_POLL_MAX_TIMEOUT)
        self._set_allowed_updates(args.get("allowed_updates"))
        self._resolve_long_poll("conflict")
        self._confirm(offset)
        batch = self._take(limit)
        if batch or timeout == 0:
            return batch, None
        waiter: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._long_poll = waiter
        self._notify()
        try:
            reason = await asyncio.wait_for(waiter, timeout)
        except TimeoutError:
            reason = "timeout"
        finally:
            if self._long_poll is waiter:
                self._long_poll = None
        if reason == "conflict":
            raise ApiError(
                409,
                "Conflict: terminated by other getUpdates request; make sure that only one bot "
                "instance is running",
            )
        if reason == "webhook":
            raise ApiError(409, "Conflict: terminated by setWebhook request")
        if reason == "stop":
            return [], None
        self._confirm(offset)
        return self._take(limit), None

    async def _m_set_webhook(self, args: _Args) -> tuple[Any, str | None]:
        url = args.get("url")
        if not url:
            return await self._m_delete_webhook(args)
        if self.limits.enabled:
            now = self._at().timestamp()
            if now < self._next_set_webhook_at:
                raise ApiError(429, "Too Many Requests: retry after 1", retry_after=1)
            self._next_set_webhook_at = now + self.limits.set_webhook_interval_seconds
        secret = args.get("secret_token")
        drop = args.get_bool("drop_pending_updates")
        max_connections = min(max(args.get_int("max_connections", 40), 1), 100)
        current = self._webhook
        if (
            current is not None
            and current.url == url
            and current.secret_token == secret
            and current.max_connections == max_connections
            and not drop
        ):
            self._set_allowed_updates(args.get("allowed_updates"))
            return True, "Webhook is already set"
        parts = urlsplit(url)
        if parts.scheme.lower() not in {"http", "https"} or not parts.hostname:
            raise _bad("invalid webhook URL specified")
        if parts.scheme.lower() != "https" and not self._allow_http_webhook:
            raise _bad("bad webhook: An HTTPS URL must be provided for webhook")
        if len(secret) > 256:
            raise _bad("secret token is too long")
        if not re.fullmatch(r"[A-Za-z0-9_-]*", secret):
            raise _bad("secret token contains unallowed characters")
        self._resolve_long_poll("webhook")
        await self._stop_webhook_worker()
        if drop:
            self._queue.clear()
        self._set_allowed_updates(args.get("allowed_updates"))
        self._webhook = _Webhook(url=url, secret_token=secret, max_connections=max_connections)
        self._ensure_webhook_worker()
        return True, "Webhook was set"

    async def _m_delete_webhook(self, args: _Args) -> tuple[Any, str | None]:
        if args.get_bool("drop_pending_updates"):
            self._queue.clear()
        if self._webhook is None:
            return True, "Webhook is already deleted"
        self._webhook = None
        await self._stop_webhook_worker()
        return True, "Webhook was deleted"

    async def _m_get_webhook_info(self, args: _Args) -> tuple[Any, str | None]:
        hook = self._webhook
        info: JSON = {
            "url": hook.url if hook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._queue),
        }
        if hook is not None:
            if hook.last_error_date is not None:
                info["last_error_date"] = hook.last_error_date
                info["last_error_message"] = hook.last_error_message
            info["max_connections"] = hook.max_connections
            info["ip_address"] = "127.0.0.1"
        if self._allowed_updates != DEFAULT_UPDATE_TYPES:
            info["allowed_updates"] = [t for t in ALL_UPDATE_TYPES if t in self._allowed_updates]
        return info, None

    # ------------------------------------------------------------------ methods: messages

    async def _m_send_message(self, args: _Args) -> tuple[Any, str | None]:
        raw = args.get("text")
        if raw == "":
            raise _bad("message text is empty")
        parse_mode = args.get("parse_mode")
        # Same order of checks as the real server: markup, parse, chat, then tdlib's limits.
        text, entities = format_text(raw, parse_mode, args.get("entities"), allow_empty=True)
        markup = _parse_reply_markup(args.get("reply_markup"))
        chat = self._resolve_chat(args)
        if not text:
            raise _bad("message must be non-empty")
        if len(text) > MAX_TEXT_LENGTH:
            raise _bad("message is too long")
        reply_to = self._may_send(chat, args, markup)
        message = self._bot_message(chat, reply_to)
        message["text"] = text
        if entities:
            message["entities"] = entities
        self._sent("sendMessage", chat, message, args, markup, text, entities, raw)
        return copy.deepcopy(message), None

    def _may_send(self, chat: _Chat, args: _Args, markup: JSON | None) -> JSON | None:
        """The checks every send makes once its own are done, in the real server's order: the
        message replied to, the buttons, the right to write, the flood limits. Returns the
        message replied to."""
        reply_to = self._reply_target(chat, args)
        _check_button_data(markup)
        self._check_can_write(chat)
        self._check_flood(chat)
        return reply_to

    def _sent(
        self,
        method: str,
        chat: _Chat,
        message: JSON,
        args: _Args,
        markup: JSON | None,
        text: str | None,
        entities: Sequence[JSON],
        raw: str | None,
        document: tuple[str, bytes, str] | None = None,
    ) -> None:
        """Record a message the bot sent (`document`: file name, bytes, type)."""
        if markup is not None:
            message["reply_markup"] = markup
        reply_to = message.get("reply_to_message")
        filename, data, mime = document if document is not None else (None, None, None)
        self._record_sent(
            SentMessage(
                method=method,
                chat_id=chat.id,
                message_id=message["message_id"],
                text=text,
                entities=tuple(entities),
                raw_text=raw,
                parse_mode=args.get("parse_mode") or None,
                reply_markup=copy.deepcopy(markup),
                reply_to_message_id=reply_to["message_id"] if reply_to else None,
                document_filename=filename,
                document_bytes=data,
                document_mime_type=mime,
                at=self._at(),
                protect_content=args.get_bool("protect_content"),
            )
        )

    async def _m_send_document(self, args: _Args) -> tuple[Any, str | None]:
        upload = args.get_file("document")
        reference = args.get("document")
        stored: _StoredFile | None = None
        if upload is None:
            if not reference:
                raise _bad("there is no document in the request")
            stored = self._files.get(reference)
            if stored is None:
                if reference.startswith(("http://", "https://")):
                    raise _bad("failed to get HTTP URL content")
                raise _bad("wrong file identifier/HTTP URL specified")
        caption_raw = args.get("caption")
        parse_mode = args.get("parse_mode")
        caption, caption_entities = format_text(
            caption_raw, parse_mode, args.get("caption_entities"), allow_empty=True
        )
        markup = _parse_reply_markup(args.get("reply_markup"))
        chat = self._resolve_chat(args)
        if len(caption) > MAX_CAPTION_LENGTH:
            raise _bad("message caption is too long")
        reply_to = self._may_send(chat, args, markup)
        if upload is not None:
            if not upload.data:
                raise _bad("file must be non-empty")
            number = next(self._file_counter)
            extension = upload.filename.rsplit(".", 1)[-1] if "." in upload.filename else ""
            stored = _StoredFile(
                file_id=f"BQACAgIAAxkDAAI{number:08d}fake",
                file_unique_id=f"AgAD{number:06d}",
                file_path=f"documents/file_{number}" + (f".{extension}" if extension else ""),
                data=upload.data,
            )
            self._files[stored.file_id] = stored
            filename = upload.filename
            mime = upload.content_type
            if not mime or mime == "application/octet-stream":
                mime = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        else:
            assert stored is not None
            filename = stored.file_path.rsplit("/", 1)[-1]
            mime = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        document: JSON = {
            "file_name": filename,
            "mime_type": mime,
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
        }
        message = self._bot_message(chat, reply_to)
        message["document"] = document
        if caption:
            message["caption"] = caption
            if caption_entities:
                message["caption_entities"] = caption_entities
        document_sent = (filename, stored.data, mime)
        self._sent(
            "sendDocument",
            chat,
            message,
            args,
            markup,
            caption or None,
            caption_entities,
            caption_raw or None,
            document_sent,
        )
        return copy.deepcopy(message), None

    async def _m_get_file(self, args: _Args) -> tuple[Any, str | None]:
        file_id = args.get("file_id")
        if not file_id:
            raise _bad("file_id not specified")
        stored = self._files.get(file_id)
        if stored is None:
            raise _bad("wrong file_id or the file is temporarily unavailable")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "file_path": stored.file_path,
        }, None

    async def _m_edit_message_text(self, args: _Args) -> tuple[Any, str | None]:
        raw = args.get("text")
        if raw == "":
            raise _bad("message text is empty")
        parse_mode = args.get("parse_mode")
        text, entities = format_text(raw, parse_mode, args.get("entities"), allow_empty=True)
        markup = _parse_reply_markup(args.get("reply_markup"))
        chat, message = self._editable_message(args)
        if "text" not in message:
            raise _bad("there is no text in the message to edit")
        if not text:
            raise _bad("message must be non-empty")
        if len(text) > MAX_TEXT_LENGTH:
            raise _bad("message is too long")
        _check_button_data(markup)
        if (
            message["text"] == text
            and message.get("entities", []) == entities
            and message.get("reply_markup") == markup
        ):
            raise _bad(NOT_MODIFIED)
        self._check_can_write(chat)
        message["text"] = text
        message.pop("entities", None)
        if entities:
            message["entities"] = entities
        # Like Telegram: an edit without reply_markup removes the inline keyboard.
        message.pop("reply_markup", None)
        if markup is not None:
            message["reply_markup"] = markup
        message["edit_date"] = self._date()
        self.edits.append(
            EditRecord(
                method="editMessageText",
                chat_id=chat.id,
                message_id=message["message_id"],
                text=text,
                entities=tuple(entities),
                reply_markup=copy.deepcopy(markup),
                at=self._at(),
            )
        )
        return copy.deepcopy(message), None

    async def _m_edit_message_reply_markup(self, args: _Args) -> tuple[Any, str | None]:
        markup = _parse_reply_markup(args.get("reply_markup"))
        chat, message = self._editable_message(args)
        _check_button_data(markup)
        if message.get("reply_markup") == markup:
            raise _bad(NOT_MODIFIED)
        self._check_can_write(chat)
        message.pop("reply_markup", None)
        if markup is not None:
            message["reply_markup"] = markup
        message["edit_date"] = self._date()
        self.edits.append(
            EditRecord(
                method="editMessageReplyMarkup",
                chat_id=chat.id,
                message_id=message["message_id"],
                text=message.get("text"),
                entities=tuple(message.get("entities", [])),
                reply_markup=copy.deepcopy(markup),
                at=self._at(),
            )
        )
        return copy.deepcopy(message), None

    async def _m_delete_message(self, args: _Args) -> tuple[Any, str | None]:
        chat = self._resolve_chat(args)
        message_id = args.get_int("message_id", 0)
        if message_id <= 0:
            raise _bad("message identifier is not specified")
        message = chat.messages.get(message_id)
        if message is None:
            raise _bad("message to delete not found")
        too_old = self._date() - int(message["date"]) >= 48 * 3600
        not_ours = message.get("from", {}).get("id") != self.bot_id
        is_admin = chat.bot_status in {"administrator", "creator"}
        if too_old or (not_ours and chat.type != "private" and not is_admin):
            raise _bad("message can't be deleted")
        del chat.messages[message_id]
        self.deletions.append(DeletionRecord(chat.id, message_id, self._at()))
        return True, None

    async def _m_send_chat_action(self, args: _Args) -> tuple[Any, str | None]:
        action = args.get("action")
        if action not in CHAT_ACTIONS:
            raise _bad("wrong parameter action in request")
        chat = self._resolve_chat(args)
        self._check_can_write(chat)
        self.chat_actions.append(ChatActionRecord(chat.id, action, self._at()))
        return True, None

    async def _m_answer_callback_query(self, args: _Args) -> tuple[Any, str | None]:
        query_id = args.get("callback_query_id")
        state = self._callback_queries.get(query_id)
        if state is None or state.answered:
            raise _bad("query is too old and response timeout expired or query ID is invalid")
        text = args.get("text")
        if len(text) > 200:
            raise _bad("MESSAGE_TOO_LONG")
        state.answered = True
        self.callback_answers.append(
            CallbackAnswer(
                callback_query_id=query_id,
                text=text or None,
                show_alert=args.get_bool("show_alert"),
                url=args.get("url") or None,
                cache_time=args.get_int("cache_time", 0),
                at=self._at(),
            )
        )
        return True, None

    # ------------------------------------------------------------------ methods: bot settings
    # (tests/fakes/telegram_api/profile.py)

    # ------------------------------------------------------------------ methods: chats

    async def _m_get_chat(self, args: _Args) -> tuple[Any, str | None]:
        chat = self._resolve_chat(args)
        info = copy.deepcopy(chat.data)
        info.update(
            {
                "accent_color_id": 0,
                "max_reaction_count": 11,
                "accepted_gift_types": {
                    "unlimited_gifts": True,
                    "limited_gifts": True,
                    "unique_gifts": True,
                    "premium_subscription": True,
                    "gifts_from_channels": True,
                },
            }
        )
        return info, None

    async def _m_get_chat_member(self, args: _Args) -> tuple[Any, str | None]:
        chat = self._resolve_chat(args)
        user_id = args.get_int("user_id", 0)
        if user_id <= 0:
            raise _bad("invalid user_id specified")
        if user_id == self.bot_id:
            status = "member" if chat.type == "private" else chat.bot_status
            return _chat_member(self.bot_user, status), None
        user = self._users.get(user_id)
        if user is None:
            raise _bad("user not found")
        if chat.type == "private":
            status = "member" if user_id == chat.id else "left"
        else:
            status = chat.members.get(user_id, "left")
        return _chat_member(user.data, status), None

    # ------------------------------------------------------------------ webhook delivery

    def _ensure_webhook_worker(self) -> None:
        if self._runner is None or self._webhook is None:
            return
        if self._webhook_task is None or self._webhook_task.done():
            self._webhook_task = asyncio.get_running_loop().create_task(self._webhook_worker())
            self._webhook_wakeup.set()

    async def _stop_webhook_worker(self) -> None:
        task = self._webhook_task
        self._webhook_task = None
        if task is not None and not task.done():
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                current = asyncio.current_task()
                if current is not None and current.cancelling():
                    raise
        self._webhook_in_flight = False

    async def _webhook_worker(self) -> None:
        retry = self._webhook_retry
        while True:
            hook = self._webhook
            if hook is None:
                return
            if not self._queue:
                self._webhook_wakeup.clear()
                self._notify()
                await self._webhook_wakeup.wait()
                continue
            queued = self._queue[0]
            self._webhook_in_flight = True
            error = await self._post_update(hook, queued.update)
            self._webhook_in_flight = False
            if self._webhook is not hook:
                continue
            if error is None:
                if self._queue and self._queue[0] is queued:
                    self._queue.pop(0)
                self._notify()
                continue
            self.webhook_failures += 1
            hook.last_error_date = self._date()
            hook.last_error_message = error
            queued.attempts += 1
            if queued.attempts >= retry.max_attempts:
                if self._queue and self._queue[0] is queued:
                    self._queue.pop(0)
                self.webhook_dropped.append(copy.deepcopy(queued.update))
                self._notify()
                continue
            delay = min(
                retry.first_delay_seconds * 2 ** (queued.attempts - 1), retry.max_delay_seconds
            )
            self._notify()
            await asyncio.sleep(delay)

    async def _post_update(self, hook: _Webhook, update: JSON) -> str | None:
        """POST one update; None on a 2xx answer, else the error getWebhookInfo reports."""
        if self._session is None:
            return "Webhook connection closed"
        if not _is_loopback(hook.url):
            # A test double must never send traffic off this machine.
            return "Connection refused: the fake delivers webhooks to loopback addresses only"
        headers = {"Content-Type": "application/json"}
        if hook.secret_token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = hook.secret_token
        body = _json_bytes(update)
        try:
            async with self._session.post(hook.url, data=body, headers=headers) as response:
                payload = await response.read()
                if not 200 <= response.status <= 299:
                    return f"Wrong response from the webhook: {response.status} {response.reason}"
                await self._run_webhook_reply(response.content_type, payload)
                return None
        except aiohttp.ClientConnectorError:
            return "Connection refused"
        except (aiohttp.ClientError, TimeoutError) as exc:
            return f"Webhook connection closed: {type(exc).__name__}"

    async def _run_webhook_reply(self, content_type: str, payload: bytes) -> None:
        # A webhook may answer with a method call in its response body.
        if content_type != "application/json" or not payload:
            return
        try:
            body = json.loads(payload)
        except ValueError:
            return
        if not isinstance(body, dict):
            return
        method = str(body.get("method", "")).lower()
        excluded = {"deletewebhook", "setwebhook", "close", "logout"}
        if not method or method in excluded or method.startswith("get"):
            return
        handler = self._methods.get(method)
        if handler is None:
            return
        values: dict[str, str] = {}
        for key, value in body.items():
            converted = _json_arg_to_str(value)
            if converted is not None:
                values[str(key)] = converted
        self.calls[str(body["method"])] += 1
        try:
            await handler(_Args(values, {}))
        except ApiError as error:
            self.rejections.append(
                Rejection(str(body["method"]), error.code, error.description, self._at())
            )


# --------------------------------------------------------------------------- helpers


def _json_bytes(value: object) -> bytes:
    """UTF-8 JSON, as Telegram sends it; a string that UTF-8 cannot carry (a lone surrogate a
    test gave a user) travels as a JSON escape, which is valid JSON all the same."""
    try:
        return json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(value).encode("ascii")


def _json_response(body: JSON, status: int) -> web.Response:
    return web.Response(body=_json_bytes(body), status=status, content_type="application/json")


def _is_loopback(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _without_reply(message: JSON) -> JSON:
    copied = copy.deepcopy(message)
    copied.pop("reply_to_message", None)
    return copied


def _utf16_slice(text: str, offset: int, length: int) -> str:
    encoded = text.encode("utf-16-le", "surrogatepass")
    return encoded[offset * 2 : (offset + length) * 2].decode("utf-16-le", "surrogatepass")


def _chat_member(user: JSON, status: str) -> JSON:
    member: JSON = {"user": copy.deepcopy(user), "status": status}
    if status == "creator":
        member["is_anonymous"] = False
    elif status == "administrator":
        member.update(
            {
                "can_be_edited": False,
                "is_anonymous": False,
                "can_manage_chat": True,
                "can_delete_messages": True,
                "can_manage_video_chats": True,
                "can_restrict_members": True,
                "can_promote_members": False,
                "can_change_info": True,
                "can_invite_users": True,
                "can_post_stories": False,
                "can_edit_stories": False,
                "can_delete_stories": False,
            }
        )
    elif status == "restricted":
        member.update(
            {
                "is_member": True,
                "can_send_messages": False,
                "can_send_audios": False,
                "can_send_documents": False,
                "can_send_photos": False,
                "can_send_videos": False,
                "can_send_video_notes": False,
                "can_send_voice_notes": False,
                "can_send_polls": False,
                "can_send_other_messages": False,
                "can_add_web_page_previews": False,
                "can_change_info": False,
                "can_invite_users": False,
                "can_pin_messages": False,
                "can_manage_topics": False,
                "until_date": 0,
            }
        )
    elif status == "kicked":
        member["until_date"] = 0
    return member


def updates_of(updates: Iterable[JSON], kind: str) -> list[JSON]:
    """The payloads of the given kind, e.g. ``updates_of(result, "message")``."""
    return [u[kind] for u in updates if kind in u]
