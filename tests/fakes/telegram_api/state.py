"""The server's state: users, chats, update queues, webhooks, files, callbacks."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from tests.fakes.telegram_api.config import JSON
from tests.fakes.telegram_api.errors import _bad
from tests.fakes.telegram_api.requests import _Args, _json_arg_to_str

# --------------------------------------------------------------------------- server state


@dataclass
class _User:
    data: JSON
    started: bool = False
    blocked: bool = False


@dataclass
class _Chat:
    data: JSON
    next_message_id: int = 1
    messages: dict[int, JSON] = field(default_factory=dict)
    members: dict[int, str] = field(default_factory=dict)
    bot_status: str = "member"
    migrated_to: int | None = None  # a group upgraded to this supergroup

    @property
    def id(self) -> int:
        return int(self.data["id"])

    @property
    def type(self) -> str:
        return str(self.data["type"])


@dataclass
class _Queued:
    update: JSON
    resent: bool = False
    delivered: bool = False
    attempts: int = 0


@dataclass
class _Webhook:
    url: str
    secret_token: str
    max_connections: int
    last_error_date: int | None = None
    last_error_message: str | None = None


@dataclass
class _StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes


@dataclass
class _CallbackState:
    user_id: int
    answered: bool = False


_Handler: TypeAlias = Callable[[_Args], Awaitable[tuple[Any, str | None]]]


def _scope_key(raw: str) -> tuple[str, int | str | None]:
    """The BotCommandScope as a readable key, e.g. "default", "chat:42", "chat_member:42:7"."""
    if not raw:
        return "default", None
    try:
        scope = json.loads(raw)
    except ValueError as exc:
        raise _bad("can't parse BotCommandScope JSON object") from exc
    prefix = "can't parse BotCommandScope: "
    if not isinstance(scope, dict):
        raise _bad(prefix + "BotCommandScope must be an Object")
    kind = scope.get("type")
    if kind in {"default", "all_private_chats", "all_group_chats", "all_chat_administrators"}:
        return str(kind), None
    if kind not in {"chat", "chat_administrators", "chat_member"}:
        raise _bad(prefix + "Unsupported type specified")
    chat_id = _json_arg_to_str(scope.get("chat_id"))
    if not chat_id:
        raise _bad(prefix + "Empty chat_id specified")
    if kind != "chat_member":
        return f"{kind}:{chat_id}", chat_id
    user_id = scope.get("user_id")
    if not isinstance(user_id, int) or user_id <= 0:
        raise _bad(prefix + "Invalid user_id specified")
    return f"chat_member:{chat_id}:{user_id}", chat_id


def _check_language_code(code: str) -> None:
    if code and not re.fullmatch(r"[a-z]{2}", code):
        raise _bad("invalid language code specified")
