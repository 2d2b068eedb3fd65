"""Run the fake Telegram Bot API server standalone, to try the bot by hand.

    python -m tests.fakes.telegram_cli --port 8081

It prints the root URL and the token it accepts; start the bot against it with
``COHORTBOT_TELEGRAM_BASE_URL=http://127.0.0.1:8081 COHORTBOT_TELEGRAM_TOKEN=<token>
cohortbot run``. Then act as users through the control endpoint, e.g.

    curl -s localhost:8081/_control/message -d '{"user_id": 1, "text": "/start"}'
    curl -s localhost:8081/_control/message -d '{"user_id": 1, "chat_id": -5, "text": "/help"}'
    curl -s localhost:8081/_control/press -d '{"user_id": 1, "message_id": 2, "data": "yes"}'
    curl -s localhost:8081/_control/block -d '{"user_id": 1}'
    curl -s 'localhost:8081/_control/sent?chat_id=1'

Every message the bot sends is echoed on stdout (``--quiet`` turns that off).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from aiohttp import web

from tests.fakes.telegram_api import FakeTelegram, Limits, SentMessage

_ControlHandler = Callable[[dict[str, Any]], Any]


class ControlApi:
    """HTTP endpoints under /_control/ that drive the fake's injection API."""

    def __init__(self) -> None:
        self.fake: FakeTelegram | None = None

    def routes(self) -> list[web.RouteDef]:
        return [
            web.post("/_control/message", self._wrap(self._message)),
            web.post("/_control/press", self._wrap(self._press)),
            web.post("/_control/block", self._wrap(self._block)),
            web.post("/_control/unblock", self._wrap(self._unblock)),
            web.post("/_control/added", self._wrap(self._added)),
            web.get("/_control/sent", self._sent),
            web.get("/_control/state", self._state),
        ]

    def _fake(self) -> FakeTelegram:
        if self.fake is None:
            raise RuntimeError("the control API is not attached to a server")
        return self.fake

    def _wrap(self, action: _ControlHandler) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def handler(request: web.Request) -> web.Response:
            try:
                body = json.loads(await request.text() or "{}")
                if not isinstance(body, dict):
                    raise ValueError("expected a JSON object")
                result = action(body)
            except (ValueError, KeyError, TypeError) as exc:
                return web.json_response({"ok": False, "error": str(exc)}, status=400)
            return web.json_response({"ok": True, "result": result})

        return handler

    def _user(self, body: dict[str, Any]) -> int:
        fake = self._fake()
        user_id = int(body["user_id"])
        if "first_name" in body or "language_code" in body or "username" in body:
            fake.add_user(
                user_id,
                str(body.get("first_name", f"User{user_id}")),
                language_code=body.get("language_code", "en"),
                username=body.get("username"),
            )
        return user_id

    def _message(self, body: dict[str, Any]) -> Any:
        fake = self._fake()
        user_id = self._user(body)
        text = str(body["text"])
        reply_to = body.get("reply_to_message_id")
        chat_id = body.get("chat_id")
        if chat_id is None or int(chat_id) == user_id:
            return fake.send_private(user_id, text, reply_to_message_id=reply_to)
        return fake.send_group(
            int(chat_id),
            user_id,
            text,
            title=str(body.get("title", "Group")),
            reply_to_message_id=reply_to,
        )

    def _press(self, body: dict[str, Any]) -> Any:
        user_id = int(body["user_id"])
        chat_id = int(body.get("chat_id", user_id))
        return self._fake().press_button(
            user_id, int(body["message_id"]), chat_id, str(body["data"])
        )

    def _block(self, body: dict[str, Any]) -> Any:
        return self._fake().block(int(body["user_id"]))

    def _unblock(self, body: dict[str, Any]) -> Any:
        return self._fake().unblock(int(body["user_id"]))

    def _added(self, body: dict[str, Any]) -> Any:
        return self._fake().bot_added_to_group(
            int(body["chat_id"]), self._user(body), title=str(body.get("title", "Group"))
        )

    async def _sent(self, request: web.Request) -> web.Response:
        fake = self._fake()
        chat = request.query.get("chat_id")
        records = fake.sent if chat is None else fake.messages_to(int(chat))
        return web.json_response({"ok": True, "result": [_describe(r) for r in records]})

    async def _state(self, request: web.Request) -> web.Response:
        fake = self._fake()
        state = {
            "webhook_url": fake.webhook_url,
            "pending_updates": len(fake.pending_updates),
            "count_429": fake.count_429,
            "commands": {f"{scope}/{lang}": cmds for (scope, lang), cmds in fake.commands.items()},
            "calls": dict(fake.calls),
        }
        return web.json_response({"ok": True, "result": state})


def _describe(record: SentMessage) -> dict[str, Any]:
    return {
        "method": record.method,
        "chat_id": record.chat_id,
        "message_id": record.message_id,
        "text": record.text,
        "buttons": [
            {"text": text, "callback_data": data}
            for text, data in zip(record.button_texts, record.callback_data, strict=False)
        ],
        "document": record.document_filename,
        "at": record.at.isoformat(),
    }


def _echo(record: SentMessage) -> None:
    line = f"-> chat {record.chat_id} #{record.message_id}: {record.text or ''}"
    if record.document_filename:
        line += f" [file {record.document_filename}]"
    if record.callback_data:
        line += " [buttons " + ", ".join(record.callback_data) + "]"
    print(line, flush=True)


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.fakes.telegram_cli",
        description="Run the fake Telegram Bot API server standalone.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081, help="0 picks a free port")
    parser.add_argument("--token", default="123:ABC")
    parser.add_argument("--username", default="cohort_test_bot")
    parser.add_argument("--no-limits", action="store_true", help="disable flood limits")
    parser.add_argument("--quiet", action="store_true", help="do not echo sent messages")
    parser.add_argument(
        "--users",
        default="",
        metavar="FIRST:COUNT",
        help="users who have opened their chat with the bot (ids FIRST.., e.g. a benchmark's)",
    )
    return parser.parse_args(argv)


def _known_users(spec: str) -> range:
    if not spec:
        return range(0)
    first, _, count = spec.partition(":")
    return range(int(first), int(first) + int(count))


async def serve(args: argparse.Namespace) -> None:
    control = ControlApi()
    fake = FakeTelegram(
        token=args.token,
        bot_username=args.username,
        limits=Limits.off() if args.no_limits else Limits(),
        host=args.host,
        port=args.port,
        extra_routes=control.routes(),
        on_sent=None if args.quiet else _echo,
    )
    control.fake = fake
    for user_id in _known_users(args.users):
        fake.add_user(user_id, f"User{user_id}", started=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await fake.start()
    try:
        print(f"Fake Telegram Bot API on {fake.url}", flush=True)
        print(f"token: {fake.token}", flush=True)
        print(
            f"run the bot with COHORTBOT_TELEGRAM_BASE_URL={fake.url} "
            f"COHORTBOT_TELEGRAM_TOKEN={fake.token}",
            flush=True,
        )
        print(f'inject: POST {fake.url}/_control/message {{"user_id": 1, "text": "/start"}}')
        sys.stdout.flush()
        await stop.wait()
    finally:
        await fake.stop()


def main(argv: Sequence[str] | None = None) -> int:
    asyncio.run(serve(_parse_args(argv)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
