"""What the fake records of the bot's calls, for tests to assert on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tests.fakes.telegram_api.config import JSON

# --------------------------------------------------------------------------- records


def _buttons(markup: JSON | None) -> list[JSON]:
    if not markup:
        return []
    rows = markup.get("inline_keyboard") or []
    return [button for row in rows for button in row]


@dataclass(frozen=True)
class SentMessage:
    """One message the bot sent (sendMessage, sendDocument)."""

    method: str
    chat_id: int
    message_id: int
    text: str | None
    """The text the user sees (after entity parsing and trimming); the caption for documents."""
    entities: tuple[JSON, ...]
    raw_text: str | None
    parse_mode: str | None
    reply_markup: JSON | None
    reply_to_message_id: int | None
    document_filename: str | None
    document_bytes: bytes | None
    document_mime_type: str | None
    at: datetime
    protect_content: bool = False  # no forwarding or saving (the bot's discreet mode)

    @property
    def callback_data(self) -> list[str]:
        return [b["callback_data"] for b in _buttons(self.reply_markup) if "callback_data" in b]

    @property
    def button_texts(self) -> list[str]:
        return [str(b["text"]) for b in _buttons(self.reply_markup)]


@dataclass(frozen=True)
class EditRecord:
    method: str
    chat_id: int
    message_id: int
    text: str | None
    entities: tuple[JSON, ...]
    reply_markup: JSON | None
    at: datetime


@dataclass(frozen=True)
class CallbackAnswer:
    callback_query_id: str
    text: str | None
    show_alert: bool
    url: str | None
    cache_time: int
    at: datetime


@dataclass(frozen=True)
class ChatActionRecord:
    chat_id: int
    action: str
    at: datetime


@dataclass(frozen=True)
class DeletionRecord:
    chat_id: int
    message_id: int
    at: datetime


@dataclass(frozen=True)
class Rejection:
    """A request the fake refused, with the status and description it answered."""

    method: str
    error_code: int
    description: str
    at: datetime


@dataclass(frozen=True)
class UploadedFile:
    field_name: str
    filename: str
    content_type: str
    data: bytes
