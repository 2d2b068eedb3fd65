"""What the fake bot publishes of itself: its commands per scope and language, its
descriptions and names (setMyCommands, getMyDescription, setMyName ...), checked as Telegram
checks them."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from typing import Any

from tests.fakes.telegram_api.config import JSON, MAX_COMMANDS
from tests.fakes.telegram_api.errors import _bad
from tests.fakes.telegram_api.requests import _Args
from tests.fakes.telegram_api.state import _Chat, _check_language_code, _Handler, _scope_key


class BotProfile:
    def __init__(self, first_name: str, resolve_chat: Callable[[_Args], _Chat]) -> None:
        self._first_name = first_name
        self._resolve_chat = resolve_chat
        self.commands: dict[tuple[str, str], list[JSON]] = {}
        self.descriptions: dict[str, str] = {}
        self.short_descriptions: dict[str, str] = {}
        self.names: dict[str, str] = {}

    def methods(self) -> dict[str, _Handler]:
        return {
            "setmycommands": self._m_set_my_commands,
            "getmycommands": self._m_get_my_commands,
            "deletemycommands": self._m_delete_my_commands,
            "setmydescription": self._m_set_my_description,
            "getmydescription": self._m_get_my_description,
            "setmyshortdescription": self._m_set_my_short_description,
            "getmyshortdescription": self._m_get_my_short_description,
            "setmyname": self._m_set_my_name,
            "getmyname": self._m_get_my_name,
        }

    def _command_key(self, args: _Args) -> tuple[str, str]:
        scope, chat_ref = _scope_key(args.get("scope"))
        language = args.get("language_code")
        _check_language_code(language)
        if chat_ref is not None:
            chat = self._resolve_chat(_Args({"chat_id": str(chat_ref)}, {}))
            if chat.type == "private" and not scope.startswith("chat:"):
                raise _bad("can't use specified scope in private chats")
        return scope, language

    async def _m_set_my_commands(self, args: _Args) -> tuple[Any, str | None]:
        raw = args.get("commands")
        commands: list[JSON] = []
        if raw:
            try:
                value = json.loads(raw)
            except ValueError as exc:
                raise _bad("can't parse commands JSON object") from exc
            if not isinstance(value, list):
                raise _bad("expected an Array of BotCommand")
            for item in value:
                if not isinstance(item, dict):
                    raise _bad("can't parse BotCommand: expected an Object")
                command = item.get("command")
                description = item.get("description")
                if not isinstance(command, str) or not isinstance(description, str):
                    raise _bad('can\'t parse BotCommand: Field "command" must be a String')
                commands.append({"command": command, "description": description})
        key = self._command_key(args)
        cleaned: list[JSON] = []
        for item in commands:
            command = item["command"].strip().removeprefix("/")
            description = item["description"].strip()
            if not command:
                raise _bad("command must be non-empty")
            if len(command) > 32:
                raise _bad("command length must not exceed 32")
            if not description:
                raise _bad("command description must be non-empty")
            if len(description) > 256:
                raise _bad("command description length must not exceed 256")
            if not re.fullmatch(r"[a-z0-9_]+", command):
                raise _bad("BOT_COMMAND_INVALID")
            cleaned.append({"command": command, "description": description})
        if len(cleaned) > MAX_COMMANDS:
            raise _bad("BOT_COMMANDS_TOO_MUCH")
        if cleaned:
            self.commands[key] = cleaned
        else:
            self.commands.pop(key, None)
        return True, None

    async def _m_get_my_commands(self, args: _Args) -> tuple[Any, str | None]:
        return copy.deepcopy(self.commands.get(self._command_key(args), [])), None

    async def _m_delete_my_commands(self, args: _Args) -> tuple[Any, str | None]:
        self.commands.pop(self._command_key(args), None)
        return True, None

    def _set_text_setting(
        self, store: dict[str, str], args: _Args, field_name: str, limit: int
    ) -> tuple[Any, str | None]:
        language = args.get("language_code")
        _check_language_code(language)
        value = args.get(field_name)
        if len(value) > limit:
            raise _bad(f"{field_name.replace('_', ' ')} is too long")
        if value:
            store[language] = value
        else:
            store.pop(language, None)
        return True, None

    def _get_text_setting(
        self, store: dict[str, str], args: _Args, field_name: str
    ) -> tuple[Any, str | None]:
        language = args.get("language_code")
        _check_language_code(language)
        return {field_name: store.get(language, store.get("", ""))}, None

    async def _m_set_my_description(self, args: _Args) -> tuple[Any, str | None]:
        return self._set_text_setting(self.descriptions, args, "description", 512)

    async def _m_get_my_description(self, args: _Args) -> tuple[Any, str | None]:
        return self._get_text_setting(self.descriptions, args, "description")

    async def _m_set_my_short_description(self, args: _Args) -> tuple[Any, str | None]:
        return self._set_text_setting(self.short_descriptions, args, "short_description", 120)

    async def _m_get_my_short_description(self, args: _Args) -> tuple[Any, str | None]:
        return self._get_text_setting(self.short_descriptions, args, "short_description")

    async def _m_set_my_name(self, args: _Args) -> tuple[Any, str | None]:
        return self._set_text_setting(self.names, args, "name", 64)

    async def _m_get_my_name(self, args: _Args) -> tuple[Any, str | None]:
        language = args.get("language_code")
        _check_language_code(language)
        default = self._first_name
        return {"name": self.names.get(language, self.names.get("", default))}, None
