"""Reading a request's arguments (JSON, urlencoded, multipart) and its reply markup."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from tests.fakes.telegram_api.config import JSON, MAX_CALLBACK_DATA_BYTES, MAX_INLINE_BUTTONS
from tests.fakes.telegram_api.entities import _normalize_url
from tests.fakes.telegram_api.errors import _bad
from tests.fakes.telegram_api.records import UploadedFile, _buttons

# --------------------------------------------------------------------------- request arguments


_INT_PREFIX = re.compile(r"\s*([+-]?\d+)")


class _Args:
    """Request arguments as the real server sees them: every value is a string."""

    def __init__(self, values: Mapping[str, str], files: Mapping[str, UploadedFile]) -> None:
        self._values = dict(values)
        self._files = dict(files)

    def get(self, name: str) -> str:
        return self._values.get(name, "")

    def has(self, name: str) -> bool:
        return name in self._values

    def get_int(self, name: str, default: int = 0) -> int:
        raw = self._values.get(name, "")
        if raw == "":
            return default
        match = _INT_PREFIX.match(raw)
        return int(match.group(1)) if match else 0

    def get_bool(self, name: str) -> bool:
        return self._values.get(name, "").strip().lower() in {"true", "1"}

    def get_file(self, name: str) -> UploadedFile | None:
        if name in self._files:
            return self._files[name]
        value = self._values.get(name, "")
        if value.startswith("attach://"):
            return self._files.get(value[len("attach://") :])
        return None


def _json_arg_to_str(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return json.dumps(value)
    return json.dumps(value, ensure_ascii=False)


async def _read_request(request: web.Request) -> _Args:
    values: dict[str, str] = dict(request.query.items())
    files: dict[str, UploadedFile] = {}
    if request.method == "POST" and request.can_read_body:
        ctype = request.content_type
        if ctype == "application/json":
            try:
                body = json.loads(await request.text())
            except ValueError as exc:
                raise _bad("can't parse JSON encoded request") from exc
            if not isinstance(body, dict):
                raise _bad("can't parse JSON encoded request")
            for key, value in body.items():
                converted = _json_arg_to_str(value)
                if converted is not None:
                    values[str(key)] = converted
        elif ctype in {"application/x-www-form-urlencoded", "multipart/form-data"}:
            form = await request.post()
            for key, item in form.items():
                if isinstance(item, web.FileField):
                    files[key] = UploadedFile(
                        field_name=key,
                        filename=item.filename,
                        content_type=item.content_type,
                        data=item.file.read(),
                    )
                elif isinstance(item, bytes | bytearray):
                    values[key] = item.decode("utf-8", "replace")
                else:
                    values[key] = item
    return _Args(values, files)


# --------------------------------------------------------------------------- reply markup


def _parse_reply_markup(raw: str) -> JSON | None:
    """Validate reply_markup; return the inline keyboard as messages echo it, else None."""
    if not raw:
        return None
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise _bad("can't parse reply keyboard markup JSON object") from exc
    if not isinstance(value, dict):
        raise _bad("object expected as reply markup")
    keyboard = value.get("keyboard")
    if keyboard is not None:
        if not isinstance(keyboard, list) or not all(isinstance(r, list) for r in keyboard):
            raise _bad('field "keyboard" must be an Array of Arrays')
        for row in keyboard:
            for button in row:
                if isinstance(button, dict):
                    if not isinstance(button.get("text"), str):
                        raise _bad('can\'t parse keyboard button: Field "text" must be a String')
                elif not isinstance(button, str):
                    raise _bad(
                        "can't parse keyboard button: KeyboardButton must be a String or an Object"
                    )
        if keyboard and any(keyboard):
            return None
    inline = value.get("inline_keyboard")
    if inline is None:
        return None
    if not isinstance(inline, list) or not all(isinstance(r, list) for r in inline):
        raise _bad('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays')
    rows: list[list[JSON]] = []
    count = 0
    for row in inline:
        new_row: list[JSON] = []
        for button in row:
            new_row.append(_parse_inline_button(button))
            count += 1
        rows.append(new_row)
    if count == 0:
        return None
    if count > MAX_INLINE_BUTTONS:
        raise _bad("reply markup is too long")
    return {"inline_keyboard": rows}


_BUTTON_KINDS = (
    "callback_game",
    "pay",
    "switch_inline_query",
    "switch_inline_query_chosen_chat",
    "switch_inline_query_current_chat",
    "login_url",
    "web_app",
    "copy_text",
)


def _parse_inline_button(button: Any) -> JSON:
    prefix = "can't parse inline keyboard button: "
    if not isinstance(button, dict):
        raise _bad(prefix + "InlineKeyboardButton must be an Object")
    text = button.get("text")
    if not isinstance(text, str):
        raise _bad(prefix + 'Field "text" must be a String')
    out: JSON = {"text": text}
    url = button.get("url")
    if isinstance(url, str) and url:
        if _normalize_url(url) is None:
            raise _bad("BUTTON_URL_INVALID")
        out["url"] = url
        return out
    data = button.get("callback_data")
    if isinstance(data, str) and data:
        out["callback_data"] = data
        return out
    for kind in _BUTTON_KINDS:
        if kind in button:
            out[kind] = button[kind]
            return out
    raise _bad(prefix + "Text buttons are unallowed in the inline keyboard")


def _check_button_data(markup: JSON | None) -> None:
    # The Telegram server, not the Bot API layer, refuses oversized callback data.
    for button in _buttons(markup):
        data = button.get("callback_data")
        if isinstance(data, str) and len(data.encode("utf-8")) > MAX_CALLBACK_DATA_BYTES:
            raise _bad("BUTTON_DATA_INVALID")
