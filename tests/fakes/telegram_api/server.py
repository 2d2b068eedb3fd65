"""FakeTelegram: the HTTP app, the method table and dispatch, and the server's lifecycle."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp
from aiohttp import web

from tests.fakes.telegram_api.chats import _Chats
from tests.fakes.telegram_api.config import JSON, MAX_UPLOAD_BYTES
from tests.fakes.telegram_api.core import _json_response
from tests.fakes.telegram_api.errors import ApiError
from tests.fakes.telegram_api.files import _Files
from tests.fakes.telegram_api.records import Rejection
from tests.fakes.telegram_api.requests import _Args, _read_request
from tests.fakes.telegram_api.state import _Handler
from tests.fakes.telegram_api.webhooks import _Webhooks

_LOG = logging.getLogger(__name__)


class FakeTelegram(_Files, _Chats, _Webhooks):
    """A Telegram Bot API server on 127.0.0.1 for one bot, driven by tests.

    Not emulated: MarkdownV2/Markdown parsing (text is taken as it is), media other than
    documents, inline mode, payments, forum topics, channels, the anti-busy-loop minimum
    timeout of getUpdates, setWebhook's DNS/TLS checks (plain http is accepted unless
    ``allow_http_webhook=False``), callback-query expiry, and automatic URL/e-mail detection
    beyond explicit http(s) links. Webhooks are only ever delivered to loopback addresses: any
    other URL is recorded as a delivery error without a connection being made.
    """

    def _method_table(self) -> dict[str, _Handler]:
        return {
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
