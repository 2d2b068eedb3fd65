"""The bot's messages: send, edit, delete, chat actions, callback answers."""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from typing import Any

from tests.fakes.telegram_api.config import CHAT_ACTIONS, JSON, MAX_TEXT_LENGTH, NOT_MODIFIED
from tests.fakes.telegram_api.core import _without_reply
from tests.fakes.telegram_api.entities import format_text
from tests.fakes.telegram_api.errors import ApiError, _bad, _forbidden
from tests.fakes.telegram_api.records import (
    CallbackAnswer,
    ChatActionRecord,
    DeletionRecord,
    EditRecord,
    SentMessage,
)
from tests.fakes.telegram_api.requests import _Args, _check_button_data, _parse_reply_markup
from tests.fakes.telegram_api.state import _Chat
from tests.fakes.telegram_api.updates import _Updates


class _Messages(_Updates):
    """The bot's messages: sending, editing, deleting, chat actions and callback answers,
    with the checks of the real server (reply target, buttons, right to write, flood)."""

    # ------------------------------------------------------------------ what tests read

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

    @property
    def count_429(self) -> int:
        return sum(1 for r in self.rejections if r.error_code == 429)

    async def wait_for_messages(
        self, chat_id: int, count: int = 1, within: float = 5.0
    ) -> list[SentMessage]:
        """Wait until at least ``count`` messages were sent to ``chat_id``; returns them all."""
        await self.wait_until(lambda: len(self.messages_to(chat_id)) >= count, within)
        return self.messages_to(chat_id)

    # ------------------------------------------------------------------ checks every send makes

    def _may_send(self, chat: _Chat, args: _Args, markup: JSON | None) -> JSON | None:
        """The checks every send makes once its own are done, in the real server's order: the
        message replied to, the buttons, the right to write, the flood limits. Returns the
        message replied to."""
        reply_to = self._reply_target(chat, args)
        _check_button_data(markup)
        self._check_can_write(chat)
        self._check_flood(chat)
        return reply_to

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

    # ------------------------------------------------------------------ recording

    def _bot_message(self, chat: _Chat, reply_to: JSON | None) -> JSON:
        message = self._new_message(chat, self.bot_user)
        if reply_to is not None:
            message["reply_to_message"] = _without_reply(reply_to)
        return message

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

    def _record_sent(self, record: SentMessage) -> None:
        self.sent.append(record)
        if self._on_sent is not None:
            self._on_sent(record)

    # ------------------------------------------------------------------ methods

    async def _m_send_message(self, args: _Args) -> tuple[Any, str | None]:
        # Same order of checks as the real server: markup, parse, chat, then tdlib's limits.
        raw, text, entities, markup = _read_text(args)
        chat = self._resolve_chat(args)
        _check_length(text)
        reply_to = self._may_send(chat, args, markup)
        message = self._bot_message(chat, reply_to)
        message["text"] = text
        if entities:
            message["entities"] = entities
        self._sent("sendMessage", chat, message, args, markup, text, entities, raw)
        return copy.deepcopy(message), None

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

    async def _m_edit_message_text(self, args: _Args) -> tuple[Any, str | None]:
        _raw, text, entities, markup = _read_text(args)
        chat, message = self._editable_message(args)
        if "text" not in message:
            raise _bad("there is no text in the message to edit")
        _check_length(text)
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
        return self._edited(chat, message, "editMessageText", markup), None

    async def _m_edit_message_reply_markup(self, args: _Args) -> tuple[Any, str | None]:
        markup = _parse_reply_markup(args.get("reply_markup"))
        chat, message = self._editable_message(args)
        _check_button_data(markup)
        if message.get("reply_markup") == markup:
            raise _bad(NOT_MODIFIED)
        self._check_can_write(chat)
        return self._edited(chat, message, "editMessageReplyMarkup", markup), None

    def _edited(self, chat: _Chat, message: JSON, method: str, markup: JSON | None) -> JSON:
        """The end of an edit: the keyboard replaced (like Telegram, an edit without
        reply_markup removes it), the edit date set and the edit recorded."""
        message.pop("reply_markup", None)
        if markup is not None:
            message["reply_markup"] = markup
        message["edit_date"] = self._date()
        self.edits.append(
            EditRecord(
                method=method,
                chat_id=chat.id,
                message_id=message["message_id"],
                text=message.get("text"),
                entities=tuple(message.get("entities", [])),
                reply_markup=copy.deepcopy(markup),
                at=self._at(),
            )
        )
        return copy.deepcopy(message)

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


def _read_text(args: _Args) -> tuple[str, str, list[JSON], JSON | None]:
    """A message's text as sent (`raw`), as shown with its entities, and its keyboard: the
    checks a sent or edited text meets before its chat is looked at."""
    raw = args.get("text")
    if raw == "":
        raise _bad("message text is empty")
    text, entities = format_text(
        raw, args.get("parse_mode"), args.get("entities"), allow_empty=True
    )
    return raw, text, entities, _parse_reply_markup(args.get("reply_markup"))


def _check_length(text: str) -> None:
    """tdlib's limits on a message's shown text."""
    if not text:
        raise _bad("message must be non-empty")
    if len(text) > MAX_TEXT_LENGTH:
        raise _bad("message is too long")
