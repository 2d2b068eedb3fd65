"""The Telegram platform on python-telegram-bot 22: long polling or a webhook in, Bot API calls out.

Receiving. PTB's Updater fetches updates (getUpdates) or runs the webhook server (with the
secret token: a request without the right X-Telegram-Bot-Api-Secret-Token header gets 403 and
changes nothing). Both hand every update to the Application's update queue; ours is an
`_InlineQueue` whose `put` turns the update into an Inbound and waits until the core has
committed it. So Telegram is told "received" (the next getUpdates offset, or the webhook's 200)
only after the update is stored: a crash re-delivers it, and the pipeline's update-id dedupe
processes it once. PTB's handler machinery is not used; nothing PTB-typed reaches the core.
A group upgraded to a supergroup gets a new chat id: its service messages are reported to the
core through the ChatMoves interface, and a send to the old id comes back as MOVED.

Sending. `send` makes the Bot API calls for one Outbound and classifies the outcome; it never
sleeps or retries (the delivery layer owns rate limits, retry_after and backoff), and PTB is built
without a rate limiter so it does not retry either.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import logging
import os
import secrets
import socket
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from datetime import timedelta
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from telegram import (
    Bot,
    CallbackQuery,
    ChatMemberUpdated,
    InlineKeyboardMarkup,
    InputFile,
    Message,
    Update,
)
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.ext import Application, ApplicationBuilder
from telegram.request import RequestData

# Not exported, but what RequestData is made of (PTB is pinned below 23).
from telegram.request._requestparameter import RequestParameter

from bot.adapters.telegram import convert
from bot.adapters.telegram.http import AiohttpRequest
from bot.adapters.telegram.profile import LocalizedProfile, build_profiles, fingerprint, publish
from bot.authz import Access
from bot.clock import Clock
from bot.config import TelegramConfig
from bot.errors import ConfigError
from bot.i18n import Catalogs
from bot.messages import (
    Attachment,
    Inbound,
    Outbound,
    QuestionRef,
    RateLimits,
    SendResult,
    SendStatus,
)
from bot.platform import (
    Capabilities,
    ChatMoves,
    InboundGroupHandler,
    InboundHandler,
    Reachability,
    StateStore,
)

log = logging.getLogger(__name__)

SEND_READ_TIMEOUT = 10.0  # seconds: a Bot API answer to a send

NAME = convert.PLATFORM
ALLOWED_UPDATES = ("message", "callback_query", "my_chat_member")
PTB_UPDATER_LOGGER = "telegram.ext.Updater"  # where PTB's webhook server logs
# Telegram's documented limits; the delivery layer keeps under them.
LIMITS = RateLimits(per_second_global=30, per_second_private_chat=1, per_minute_group=20)
STATE = "telegram"  # StateStore namespace
MAX_UPDATE_ATTEMPTS = 10  # polling: give up on one update after ~5 minutes of core failures
DRAIN_SECONDS = 10.0
GROUP_MAX = 50  # consecutive messages stored in one unit of work

PtbApplication = Application[Any, Any, Any, Any, Any, Any]


class _InlineQueue(asyncio.Queue[object]):
    """The update queue PTB's Updater and webhook server put updates into: `put` processes the
    update right away and returns once the core has it (see the module docstring)."""

    def __init__(self, platform: TelegramPlatform) -> None:
        super().__init__()
        self._platform = platform

    async def put(self, item: object) -> None:
        if not isinstance(item, Update):
            return
        if self._platform.config.mode == "webhook":
            await self._platform.accept(item)  # the webhook's answer waits for the core
        else:
            self._platform.collect(item)


class TelegramPlatform:
    name = NAME

    def __init__(
        self,
        config: TelegramConfig,
        clock: Clock,
        state: StateStore,
        *,
        reachability: Reachability | None = None,
        chat_moves: ChatMoves | None = None,
        poll_timeout: float = 30.0,
    ) -> None:
        self.config = config
        self.clock = clock
        self.state = state
        self.reachability = reachability
        self.chat_moves = chat_moves
        self.poll_timeout = poll_timeout
        self.username: str | None = None  # known after start (getMe)
        self.webhook_secret: str | None = None  # the secret in use (generated if not configured)
        self._app: PtbApplication | None = None
        self._on_inbound: InboundHandler | None = None
        self._profiles: tuple[LocalizedProfile, ...] = ()
        self.publishing: asyncio.Task[None] | None = None  # the command menu, set on start
        self._inflight: set[asyncio.Task[None]] = set()
        self._order = asyncio.Lock()
        self._on_group: InboundGroupHandler | None = None
        self._backlog: list[Update] = []  # fetched by getUpdates, not yet processed
        self._sifted: dict[int, Inbound | None] = {}  # plain messages read from getUpdates' JSON
        self._worker: asyncio.Task[None] | None = None
        self._abandoned = False  # fetched updates were given up (stopping): never confirm them
        self._stopping = asyncio.Event()

    # Identity and capabilities ---------------------------------------------------------------
    @property
    def capabilities(self) -> Capabilities:
        return Capabilities(
            buttons=True,
            html=False,
            files=True,
            max_text=convert.MAX_TEXT,
            limits=LIMITS,
        )

    def describe_commands(
        self,
        catalogs: Catalogs,
        commands: Mapping[str, tuple[str | None, str, Access]],
        default_language: str,
    ) -> None:
        """The command menu and descriptions to publish on start (called by bot/app.py)."""
        self._profiles = build_profiles(catalogs, commands, default_language)

    def take_groups(self, handler: InboundGroupHandler) -> None:
        """Where consecutive messages of one getUpdates batch go together, to be stored in one
        unit of work (called by the runtime before `start`)."""
        self._on_group = handler

    @property
    def _root(self) -> str:
        return self.config.base_url.rstrip("/")

    def _build(self) -> PtbApplication:
        return (
            ApplicationBuilder()
            .token(self.config.token)
            .base_url(f"{self._root}/bot")
            .base_file_url(f"{self._root}/file/bot")
            .update_queue(_InlineQueue(self))
            .job_queue(None)
            # A send's answer comes within seconds or not at all: a stalled request is cut off
            # (and retried later) instead of holding its chat and a sending slot for long.
            .request(AiohttpRequest(read_timeout=SEND_READ_TIMEOUT))
            .get_updates_request(
                AiohttpRequest(pool_size=1, before=self._stored, answered=self._sift)
            )
            .build()
        )

    # Lifecycle -------------------------------------------------------------------------------
    async def start(self, on_inbound: InboundHandler) -> None:
        # PTB's documented opt-in: RetryAfter.retry_after as a timedelta, without the int
        # deprecation warning (which tests turn into errors).
        os.environ.setdefault("PTB_TIMEDELTA", "true")
        self._on_inbound = on_inbound
        quiet_unreadable_updates()
        self._stopping.clear()
        self._abandoned = False  # a new Updater fetches from the last confirmed update
        self._sifted.clear()
        if self.config.mode == "webhook":
            _check_port(self.config.listen, self.config.port)
        app = self._build()
        try:
            await app.initialize()  # getMe
        except BaseException as error:
            await app.bot.shutdown()  # the HTTP clients opened before getMe failed
            if isinstance(error, InvalidToken):
                raise ConfigError("telegram.token", "the Bot API server refused it") from None
            raise
        self._app = app
        self.username = app.bot.username
        if self._profiles:
            self.publishing = asyncio.create_task(self._publish_profile(), name="tg-profile")
        try:
            await self._receive(app)
        except BaseException:
            await self.stop()
            raise
        log.info("telegram: started", extra={"mode": self.config.mode, "bot": self.username})

    async def _receive(self, app: PtbApplication) -> None:
        """Start PTB's webhook server or long polling (which first deletes any webhook)."""
        updater = app.updater
        assert updater is not None
        if self.config.mode == "webhook":
            self.webhook_secret = self.config.secret_token or secrets.token_urlsafe(32)
            path = urlsplit(self.config.url).path or "/telegram"
            try:
                await updater.start_webhook(
                    listen=self.config.listen,
                    port=self.config.port,
                    url_path=path,
                    webhook_url=self.config.url,
                    secret_token=self.webhook_secret,
                    allowed_updates=list(ALLOWED_UPDATES),
                    bootstrap_retries=3,
                )
            except BadRequest as error:  # setWebhook refused: the URL (or its certificate)
                raise ConfigError(
                    "telegram.url", f"Telegram refused it ({error.message})"
                ) from None
        else:
            await updater.start_polling(
                poll_interval=0.0,
                timeout=timedelta(seconds=self.poll_timeout),
                bootstrap_retries=3,
                allowed_updates=list(ALLOWED_UPDATES),
                error_callback=self._polling_error,
            )

    async def stop(self) -> None:
        self._stopping.set()
        app = self._app
        if app is None:
            return
        try:
            if app.updater is not None and app.updater.running:
                await app.updater.stop()  # also confirms the offset of what was processed
            if self.publishing is not None:
                self.publishing.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self.publishing
                self.publishing = None
            if self._inflight:
                await asyncio.wait(set(self._inflight), timeout=DRAIN_SECONDS)
        finally:
            self._app = None
            await app.shutdown()

    @staticmethod
    def _polling_error(error: TelegramError) -> None:
        # PTB retries with backoff; the error text is left out (it could echo a request).
        log.warning("telegram: polling failed, retrying", extra={"error": type(error).__name__})

    async def _publish_profile(self) -> None:
        app = self._app
        if app is None:
            return
        key = f"profile:{app.bot.id}"
        digest = fingerprint(self._profiles)
        if await self.state.get(STATE, key) == digest:
            return
        if await publish(app.bot, self._profiles):
            await self.state.put(STATE, key, digest)
            log.info("telegram: command menu published", extra={"languages": len(self._profiles)})

    # Receiving -------------------------------------------------------------------------------
    # Long polling: PTB's Updater puts each update of a getUpdates batch into `_InlineQueue`,
    # which collects them; a worker processes them in order, consecutive messages together in
    # one unit of work. The next getUpdates call carries the offset that tells Telegram the
    # batch is done with, so it waits (`_stored`) until the worker has stored the batch.
    # Webhook: each request's update is processed before the request is answered (`accept`).

    def _sift(self, body: bytes) -> bytes:
        """A getUpdates answer, before PTB reads it: plain text messages (nearly all updates)
        become Inbounds here, straight from the JSON, and PTB gets only their update ids. It
        still runs the polling (offsets, retries) and builds its objects for everything else;
        building them for every message took a tenth of the CPU time of a command."""
        try:
            answer = json.loads(body)
            updates = answer["result"]
        except (ValueError, KeyError, TypeError):
            return body  # PTB reports what is wrong with it
        if not isinstance(updates, list):
            return body
        now = self.clock.now()
        sifted = False
        for index, update in enumerate(updates):
            if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
                continue
            message = convert.plain_text_message(update)
            if message is None:
                continue
            update_id = update["update_id"]
            self._sifted[update_id] = convert.json_message_inbound(
                update_id, message, self.username, now
            )
            updates[index] = {"update_id": update_id}
            sifted = True
        return json.dumps(answer).encode() if sifted else body

    def collect(self, update: Update) -> None:
        self._backlog.append(update)
        if self._worker is None or self._worker.done():
            worker = asyncio.create_task(self._work(), name="tg-updates")
            self._worker = worker
            self._inflight.add(worker)
            worker.add_done_callback(self._finished)

    async def _stored(self) -> None:
        """Before each getUpdates: the updates fetched before are stored (or given up, and then
        the request fails, so that their offset is not confirmed)."""
        worker = self._worker
        if worker is not None and not worker.done():
            await asyncio.wait({worker})
        if self._abandoned:
            raise NetworkError("updates fetched before were not stored")

    async def _work(self) -> None:
        try:
            while self._backlog:
                batch = self._backlog[:]
                self._backlog.clear()
                await self._process_batch(batch)
        except BaseException:
            self._abandoned = True
            self._backlog.clear()
            self._sifted.clear()  # not confirmed: getUpdates hands them over again
            raise

    async def _process_batch(self, updates: list[Update]) -> None:
        """In order: runs of plain messages as groups, anything else (buttons, membership,
        group upgrades) one by one."""
        run: list[Inbound] = []
        for update in updates:
            if update.update_id in self._sifted:  # a plain message, read by _sift
                sifted = self._sifted.pop(update.update_id)
                if sifted is not None:
                    run.append(sifted)
                continue
            message = update.message
            if message is None or convert.chat_migration(message) is not None:
                await self._process_group(run)
                run = []
                await self._process(update)
                continue
            inbound = self._message_inbound(update.update_id, message)
            if inbound is not None:
                run.append(inbound)
        await self._process_group(run)

    async def _process_group(self, inbounds: list[Inbound]) -> None:
        """Up to GROUP_MAX messages at a time in one unit of work; one by one (with retries)
        when there is no group handler, a single message, or the group failed."""
        for start in range(0, len(inbounds), GROUP_MAX):
            group = inbounds[start : start + GROUP_MAX]
            if len(group) > 1 and self._on_group is not None:
                try:
                    async with self._order:
                        await self._on_group(group)
                    continue
                except Exception:
                    log.warning(
                        "telegram: updates not processed together, one by one",
                        extra={"updates": len(group)},
                    )
            for inbound in group:
                await self._retrying(inbound.update_id, partial(self._deliver, inbound))

    async def accept(self, update: Update) -> None:
        """Process one update; returns when the core has committed it. The work runs in its own
        task so that stopping the Updater mid-update lets it finish instead of tearing it."""
        task = asyncio.create_task(self._process(update), name=f"tg-update-{update.update_id}")
        self._inflight.add(task)
        task.add_done_callback(self._finished)
        await asyncio.shield(task)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._inflight.discard(task)
        if not task.cancelled():
            task.exception()  # retrieved: it was logged, and re-raised to a waiting webhook

    async def _process(self, update: Update) -> None:
        await self._retrying(str(update.update_id), partial(self._dispatch, update))

    async def _retrying(self, update_id: str, action: Callable[[], Awaitable[None]]) -> None:
        async with self._order:  # one update at a time, in the order Telegram sent them
            attempt = 0
            while True:
                try:
                    await action()
                    return
                except Exception:
                    attempt += 1
                    log.exception(
                        "telegram: update not processed",
                        extra={"update_id": update_id, "attempt": attempt},
                    )
                    # A webhook answers 500 and Telegram sends the update again later.
                    if self.config.mode == "webhook" or self._stopping.is_set():
                        raise
                    if attempt >= MAX_UPDATE_ATTEMPTS:
                        log.error("telegram: update dropped", extra={"update_id": update_id})
                        return
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(
                            self._stopping.wait(), min(30.0, 2.0 ** (attempt - 1))
                        )
                    if self._stopping.is_set():
                        raise

    async def _dispatch(self, update: Update) -> None:
        if update.callback_query is not None:
            await self._button(update.update_id, update.callback_query)
        elif update.my_chat_member is not None:
            await self._membership(update.my_chat_member)
        elif update.message is not None:
            moved = convert.chat_migration(update.message)
            if moved is not None:
                await self._migrated(*moved)
                return
            inbound = self._message_inbound(update.update_id, update.message)
            if inbound is not None:
                await self._deliver(inbound)

    def _message_inbound(self, update_id: int, message: Message) -> Inbound | None:
        """A message as the core sees it (None: nothing for the core, e.g. a service message)."""
        return convert.message_inbound(update_id, message, self.username, self.clock.now())

    async def _deliver(self, inbound: Inbound) -> None:
        if self._on_inbound is None:
            raise RuntimeError("telegram platform is not started")
        await self._on_inbound(inbound)

    async def _button(self, update_id: int, query: CallbackQuery) -> None:
        bot = self._bot()
        with contextlib.suppress(TelegramError):  # too old, or answered before a re-delivery
            await bot.answer_callback_query(query.id)
        press = convert.parse_callback_data(query.data)
        if press is None:
            return
        key = press.key
        if key is None and press.index is not None and press.question is not None:
            key = await self._long_key(press.question, press.index)
        label = convert.pressed_label(query)
        inbound = convert.button_inbound(update_id, query, press, key, label, self.clock.now())
        if inbound is None:
            return
        await self._deliver(inbound)
        message = query.message
        # In a group someone else may press a button meant for another person (the core turns
        # that down), so only private questions are marked as answered.
        if isinstance(message, Message) and message.chat.type == ChatType.PRIVATE and label:
            await self._mark_answered(message, label)

    async def _mark_answered(self, message: Message, label: str) -> None:
        """Show the chosen answer under the question and remove its keyboard."""
        bot = self._bot()
        shown = convert.answered_text(message.text, label) if message.text else None
        try:
            if shown is not None:
                await bot.edit_message_text(
                    shown, chat_id=message.chat.id, message_id=message.message_id
                )
            else:
                await bot.edit_message_reply_markup(
                    chat_id=message.chat.id, message_id=message.message_id, reply_markup=None
                )
        except TelegramError as error:  # e.g. already edited before a re-delivery
            log.info("telegram: question not marked", extra={"error": type(error).__name__})

    async def _membership(self, change: ChatMemberUpdated) -> None:
        """A person blocked (or unblocked) the bot, or the bot joined or left a group."""
        status = change.new_chat_member.status
        present = status not in (ChatMemberStatus.BANNED, ChatMemberStatus.LEFT)
        if change.chat.type == ChatType.PRIVATE:
            if self.reachability is not None:
                await self.reachability.set_reachable(NAME, str(change.from_user.id), present)
            return
        # Groups: nothing to record; a coordinator links the group with /bindchat.
        log.info("telegram: group membership", extra={"chat": change.chat.id, "present": present})

    async def _migrated(self, old: str, new: str) -> None:
        """A group was upgraded to a supergroup, which has a new chat id: the core moves the
        cohort binding and the messages on their way. Both service messages (one in each chat)
        report the same move; the second finds nothing left to do."""
        if self.chat_moves is not None:
            await self.chat_moves.chat_moved(NAME, old, new)

    # Sending ---------------------------------------------------------------------------------
    def _bot(self) -> Bot:
        if self._app is None:
            raise RuntimeError("telegram platform is not started")
        bot: Bot = self._app.bot
        return bot

    async def _long_key(self, question: QuestionRef, index: int) -> str | None:
        stored = await self.state.get(STATE, _key_table(question))
        if stored is None:
            return None
        keys = json.loads(stored)
        return str(keys[index]) if isinstance(keys, list) and 0 <= index < len(keys) else None

    async def send(self, message: Outbound) -> SendResult:
        if self._app is None:
            return SendResult(SendStatus.TRANSIENT, reason="not started")
        bot = self._bot()
        chat_id = convert.chat_id_of(message.to.chat_id)
        if chat_id is None:
            return SendResult(SendStatus.PERMANENT, reason="not a telegram chat id")
        if message.to.is_group:  # a member's @name in what the bot echoes would ping them
            message = replace(message, text=convert.quiet_mentions(message.text, self.username))
        parts = _parts(message)
        if not parts:
            return SendResult(SendStatus.PERMANENT, reason="empty message")
        if message.question is not None and convert.needs_key_table(
            message.question, message.choices
        ):
            keys = [c.key for c in message.choices]
            await self.state.put(STATE, _key_table(message.question), json.dumps(keys))
        done = 0
        if len(parts) > 1:  # a retried long message goes on where it stopped
            done = int(await self.state.get(STATE, f"parts:{message.key}") or 0)
        markup = convert.keyboard(message.question, message.choices)
        last: int | None = None
        for index in range(done, len(parts)):
            text, attachment = parts[index]
            buttons = markup if index == len(parts) - 1 else None  # under the last part
            try:
                last = await _send_part(bot, chat_id, text, attachment, buttons, message.protect)
            except TelegramError as error:
                if index > done:
                    await self.state.put(STATE, f"parts:{message.key}", str(index))
                return classify(error)
        return SendResult.sent(str(last) if last is not None else None)


class UnreadableUpdateFilter(logging.Filter):
    """PTB's webhook server logs an update it cannot read at CRITICAL, with the whole update
    (a person's text and name) and a traceback. That is a malformed request, not a crisis: it
    becomes one WARNING line with the error's type and nothing of the update (PTB answers it
    with 400 and nothing is processed)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.CRITICAL and "data received from Telegram" in str(record.msg):
            error = record.exc_info[1] if record.exc_info else None
            record.msg = "telegram: a webhook update could not be read; not processed"
            record.args = None
            record.exc_info = None
            record.exc_text = None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.error = type(error).__name__ if error is not None else "unknown"
        return True


def quiet_unreadable_updates() -> None:
    """Install UnreadableUpdateFilter on PTB's Updater logger (once)."""
    updater_log = logging.getLogger(PTB_UPDATER_LOGGER)
    if not any(isinstance(f, UnreadableUpdateFilter) for f in updater_log.filters):
        updater_log.addFilter(UnreadableUpdateFilter())


def _key_table(question: QuestionRef) -> str:
    """Where the choice keys too long for a button's data are kept (per question and tag)."""
    return f"choices:{question.id}.{question.tag}"


def _check_port(listen: str, port: int) -> None:
    """Fail before setWebhook points Telegram at a server that cannot start: one line naming
    the key (`cohortbot run` exits 2), never a bot that runs but hears nothing."""
    try:
        with socket.create_server((listen, port), reuse_port=False):
            pass
    except socket.gaierror:
        raise ConfigError("telegram.listen", f"{listen!r} is not an address to listen on") from None
    except OSError as error:
        if error.errno == errno.EADDRNOTAVAIL:
            raise ConfigError("telegram.listen", f"this machine has no address {listen}") from None
        reason = error.strerror or type(error).__name__
        raise ConfigError("telegram.port", f"cannot listen on {listen}:{port} ({reason})") from None


def _parts(message: Outbound) -> list[tuple[str, Attachment | None]]:
    """What one Outbound becomes: text messages of at most 4096 characters, and a document that
    carries the text as its caption when it is short enough."""
    attachment = message.attachment
    text = message.text.strip()
    if attachment is None:
        return [(part, None) for part in convert.split_text(text)]
    if len(text) <= convert.MAX_CAPTION:
        return [(text, attachment)]
    return [*((part, None) for part in convert.split_text(text)), ("", attachment)]


async def _send_part(
    bot: Bot,
    chat_id: int,
    text: str,
    attachment: Attachment | None,
    markup: InlineKeyboardMarkup | None,
    protect: bool = False,
) -> int:
    """Sends one part; returns its message id. `protect`: Telegram's protect_content (the
    message cannot be forwarded or saved), for cohorts in discreet mode."""
    if attachment is None:
        return await _send_text(bot, chat_id, text, markup, protect)
    document = InputFile(attachment.content, filename=attachment.filename)
    sent = await bot.send_document(
        chat_id,
        document,
        caption=text or None,
        reply_markup=markup,
        protect_content=True if protect else None,
    )
    return sent.message_id


async def _send_text(
    bot: Bot,
    chat_id: int,
    text: str,
    markup: InlineKeyboardMarkup | None,
    protect: bool = False,
) -> int:
    """sendMessage through PTB's request layer (`BaseRequest.post`: the same request, the same
    errors as `Bot.send_message`), without turning the answer into a `Message`: of the sent
    message only its id is kept, and parsing it took a third of the CPU time of a send."""
    parameters = [
        RequestParameter.from_input("chat_id", chat_id),
        RequestParameter.from_input("text", text),
    ]
    if markup is not None:
        parameters.append(RequestParameter.from_input("reply_markup", markup))
    if protect:
        parameters.append(RequestParameter.from_input("protect_content", True))
    sent = await bot.request.post(f"{bot.base_url}/sendMessage", RequestData(parameters))
    if not isinstance(sent, dict) or not isinstance(sent.get("message_id"), int):
        raise TelegramError("sendMessage answered without a message id")
    return int(sent["message_id"])


def classify(error: TelegramError) -> SendResult:
    """A Bot API error as the delivery layer understands it. The reason never holds the text."""
    reason = type(error).__name__
    if isinstance(error, RetryAfter):
        wait = error.retry_after
        seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
        return SendResult(SendStatus.RETRY_AFTER, retry_after=seconds, reason=reason)
    if isinstance(error, Forbidden):  # blocked by the user, or removed from the group
        return SendResult(SendStatus.BLOCKED, reason=f"{reason}: {error.message}"[:200])
    if isinstance(error, ChatMigrated):  # the group is a supergroup now, with a new id
        return SendResult(SendStatus.MOVED, moved_to=str(error.new_chat_id), reason=reason)
    if isinstance(error, BadRequest):
        return SendResult(SendStatus.PERMANENT, reason=f"{reason}: {error.message}"[:200])
    # NetworkError (TimedOut, 5xx answers), a refused token, anything new: try again later.
    return SendResult(SendStatus.TRANSIENT, reason=reason)
