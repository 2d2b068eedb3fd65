"""Pure translations between Bot API objects and the core's values: updates to Inbound, long
texts to message-sized parts, choices to inline keyboards and callback data back to choices.

Nothing here does I/O; telegram.py calls the Bot API with what these functions return."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from telegram import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    User,
)
from telegram.constants import ChatType

from bot.messages import Address, Choice, Inbound, QuestionRef
from bot.question_tags import TAG_PATTERN

PLATFORM = "telegram"
MAX_TEXT = 4096  # characters (code points) of a message, after Telegram trims it
MAX_CAPTION = 1024  # characters of a document's caption
MAX_CALLBACK_BYTES = 64  # bytes of an inline button's callback_data
MAX_LABEL = 64  # characters we show on a button; Telegram cuts longer labels off anyway
CHECK = "✓"

_COMMAND = re.compile(r"^/[A-Za-z0-9_]+(?:@([A-Za-z0-9_]+))?(?=\s|$)")


# Text ---------------------------------------------------------------------------------------
def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """`text` in parts of at most `limit` characters, cut at a paragraph, line or word break
    when one is in the second half of the part. Telegram trims each message, so the parts are
    trimmed too, and blank parts are left out."""
    parts: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        cut = -1
        for separator in ("\n\n", "\n", " "):
            found = rest.rfind(separator, 0, limit + 1)
            if found >= limit // 2:
                cut = found
                break
        if cut <= 0:
            cut = limit
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].strip()
    if rest:
        parts.append(rest)
    return parts


# "@name" in a group message notifies that member. What the bot writes into groups echoes what
# people typed (announcements, session titles, names): a word joiner after the "@" keeps it
# plain text. The bot's own @name stays (it is how people find the bot).
_MENTION = re.compile(r"(?<![A-Za-z0-9_])@([A-Za-z0-9_]{1,32})")
WORD_JOINER = "\u2060"


def quiet_mentions(text: str, keep: str | None = None) -> str:
    kept = keep.casefold() if keep else None

    def quiet(match: re.Match[str]) -> str:
        name = match.group(1)
        return match.group(0) if name.casefold() == kept else f"@{WORD_JOINER}{name}"

    return _MENTION.sub(quiet, text)


def label_text(label: str) -> str:
    label = " ".join(label.split())
    return label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1] + "…"


def answered_text(question: str, label: str) -> str | None:
    """The question as it reads once answered, or None if that would be too long."""
    shown = f"{question}\n\n{CHECK} {label}"
    return shown if len(shown) <= MAX_TEXT else None


# Buttons ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ButtonPress:
    """What a pressed button's callback data says.

    With a question: `key` is the choice key, or `index` (0-based) when the key was too long
    to travel in the data. Without one: `key` or `index` is answered like a typed reply."""

    question: QuestionRef | None
    key: str | None = None
    index: int | None = None


def _fits(data: str) -> bool:
    return len(data.encode("utf-8")) <= MAX_CALLBACK_BYTES


def _question_part(question: QuestionRef) -> str:
    return f"q{question.id}.{question.tag}"


def callback_data(question: QuestionRef | None, index: int, key: str) -> str:
    """`q<question id>.<tag>:<key>`, else `q<question id>.<tag>#<index>`; without a question
    `k:<key>` or `n<index>`. Every form fits Telegram's 64 bytes."""
    if question is not None:
        data = f"{_question_part(question)}:{key}"
        return data if _fits(data) else f"{_question_part(question)}#{index}"
    data = f"k:{key}"
    return data if _fits(data) else f"n{index}"


_QUESTION_DATA = re.compile(
    rf"q(\d{{1,18}})(?:\.({TAG_PATTERN}))?(?::(.*)|#(\d{{1,3}}))", flags=re.DOTALL
)


def parse_callback_data(data: str | None) -> ButtonPress | None:
    """A button made before buttons carried a tag (`q<id>:<key>`) names its question with an
    empty tag, which matches no question: it is answered as expired."""
    if not data:
        return None
    if data.startswith("k:"):
        return ButtonPress(None, key=data[2:])
    match = re.fullmatch(r"n(\d{1,3})", data)
    if match:
        return ButtonPress(None, index=int(match.group(1)))
    match = _QUESTION_DATA.fullmatch(data)
    if match is None:
        return None
    question = QuestionRef(int(match.group(1)), match.group(2) or "")
    if match.group(4) is not None:
        return ButtonPress(question, index=int(match.group(4)))
    return ButtonPress(question, key=match.group(3))


def needs_key_table(question: QuestionRef | None, choices: tuple[Choice, ...]) -> bool:
    """True when some choice key is too long for the callback data and must be looked up."""
    return question is not None and any(
        not _fits(f"{_question_part(question)}:{c.key}") for c in choices
    )


def keyboard(
    question: QuestionRef | None, choices: tuple[Choice, ...]
) -> InlineKeyboardMarkup | None:
    """One button per row, in the order given."""
    if not choices:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    label_text(c.label), callback_data=callback_data(question, i, c.key)
                )
            ]
            for i, c in enumerate(choices)
        ]
    )


def pressed_label(query: CallbackQuery) -> str | None:
    """The text of the button that was pressed, read from the message's own keyboard."""
    message = query.message
    if not isinstance(message, Message) or message.reply_markup is None:
        return None
    for row in message.reply_markup.inline_keyboard:
        for button in row:
            if button.callback_data == query.data:
                return button.text
    return None


# Updates ------------------------------------------------------------------------------------
def chat_id_of(address_chat_id: str) -> int | None:
    """The numeric chat id to send to. `user:<id>` (a person only seen in groups) is their
    private chat, whose id on Telegram is the user id."""
    raw = address_chat_id.removeprefix("user:")
    try:
        return int(raw)
    except ValueError:
        return None


def is_group(chat_type: str) -> bool:
    return chat_type in (ChatType.GROUP, ChatType.SUPERGROUP)


def _address(chat_id: int, chat_type: str) -> Address:
    return Address(PLATFORM, str(chat_id), is_group=is_group(chat_type))


@dataclass(frozen=True)
class _Person:
    user_id: str
    name: str | None
    username: str | None
    language: str | None


def _person(user: User) -> _Person:
    # No username means the person has none (or removed it): the core clears what it had.
    return _Person(
        str(user.id), user.full_name or None, user.username or None, user.language_code or None
    )


@dataclass(frozen=True)
class _MessageFacts:
    """What the core needs of a message: from PTB's Message, or straight from the JSON."""

    sender: _Person | None  # None: no sender, or another bot
    chat_id: int
    chat_type: str
    text: str
    has_content: bool  # text, or a sticker, photo, voice note...


def message_inbound(
    update_id: int, message: Message, bot_username: str | None, now: datetime
) -> Inbound | None:
    """A person's message as the core sees it, or None for what the core has no use for:
    other bots, service messages, and in groups anything that is not a command for us."""
    user = message.from_user
    text = message.text if message.text is not None else (message.caption or "")
    facts = _MessageFacts(
        _person(user) if user is not None and not user.is_bot else None,
        message.chat.id,
        message.chat.type,
        text,
        bool(text) or _has_content(message),
    )
    return _inbound(update_id, facts, bot_username, now)


def plain_text_message(update: dict[str, Any]) -> dict[str, Any] | None:
    """The message of a getUpdates result that is a plain text message (the common case), as
    JSON; None for anything else (buttons, membership, captions, a group's upgrade...), which
    goes through PTB's objects."""
    message = update.get("message")
    if len(update) != 2 or not isinstance(message, dict):
        return None
    text = message.get("text")
    if not isinstance(text, str) or not text or not isinstance(message.get("from"), dict):
        return None
    chat = message.get("chat")
    if not isinstance(chat, dict) or not isinstance(chat.get("id"), int):
        return None
    if "migrate_to_chat_id" in message or "migrate_from_chat_id" in message:
        return None
    return message


def json_message_inbound(
    update_id: int, message: dict[str, Any], bot_username: str | None, now: datetime
) -> Inbound | None:
    """`message_inbound` for a message `plain_text_message` accepted, read from the JSON: the
    same Inbound, without building PTB's objects (a tenth of the CPU time of a command)."""
    user = message["from"]
    first, last = user.get("first_name"), user.get("last_name")
    person = _Person(
        str(user["id"]),
        (f"{first} {last}" if last else first) if first else None,  # as PTB's full_name
        user.get("username") or None,
        user.get("language_code") or None,
    )
    facts = _MessageFacts(
        None if user.get("is_bot") else person,
        message["chat"]["id"],
        str(message["chat"].get("type", "")),
        message["text"],
        True,
    )
    return _inbound(update_id, facts, bot_username, now)


def _inbound(
    update_id: int, facts: _MessageFacts, bot_username: str | None, now: datetime
) -> Inbound | None:
    person = facts.sender
    if person is None:
        return None
    chat_type = facts.chat_type
    if chat_type != ChatType.PRIVATE and not is_group(chat_type):
        return None  # channels
    text = facts.text
    if is_group(chat_type):
        command = _COMMAND.match(text)
        if command is None:
            return None  # in groups the bot acts on commands only
        target = command.group(1)
        if target and bot_username and target.lower() != bot_username.lower():
            return None  # "/help@otherbot" is for another bot in the group
    elif not facts.has_content:
        return None  # a service message (pinned, ...) in a private chat
    return Inbound(
        platform=PLATFORM,
        update_id=str(update_id),
        user_id=person.user_id,
        chat=_address(facts.chat_id, chat_type),
        text=text,
        received_at=now,
        display_name=person.name,
        username=person.username,
        language_hint=person.language,
    )


def chat_migration(message: Message) -> tuple[str, str] | None:
    """(old chat id, new chat id) when `message` is the service message of a group upgraded to
    a supergroup: `migrate_to_chat_id` in the old group, `migrate_from_chat_id` in the new
    supergroup (Telegram sends both)."""
    if message.migrate_to_chat_id:
        return str(message.chat.id), str(message.migrate_to_chat_id)
    if message.migrate_from_chat_id:
        return str(message.migrate_from_chat_id), str(message.chat.id)
    return None


def _has_content(message: Message) -> bool:
    """A sticker, photo, voice note...: the core answers that it only understands text."""
    return message.effective_attachment is not None


def button_inbound(
    update_id: int,
    query: CallbackQuery,
    press: ButtonPress,
    key: str | None,
    label: str | None,
    now: datetime,
) -> Inbound | None:
    """A pressed button. With a question it carries the question id and the choice key;
    without one it reads like the person typed the choice."""
    message = query.message
    if message is None:
        return None
    chat = message.chat
    person = _person(query.from_user)
    question = press.question
    if question is not None:
        text = label or ""
    else:
        text = key if key is not None else str((press.index or 0) + 1)
        key = None
    return Inbound(
        platform=PLATFORM,
        update_id=str(update_id),
        user_id=person.user_id,
        chat=_address(chat.id, chat.type),
        text=text,
        received_at=now,
        display_name=person.name,
        username=person.username,
        language_hint=person.language,
        question=question,
        choice_key=key,
    )
