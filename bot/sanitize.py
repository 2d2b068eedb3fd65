"""What people send, made storable and harmless before the core reads a byte of it.

Every adapter's `Inbound` passes through `clean_inbound` at the pipeline's door, so no platform
can hand the database a value it refuses (PostgreSQL rejects U+0000 in text and values longer
than their column; neither backend can store a lone UTF-16 surrogate) and no name can forge a
line of a roster or reverse the text around it:

- texts keep their lines and tabs but lose U+0000, the other control characters, lone
  surrogates and Unicode non-characters;
- names (a person's display name, a cohort's or a session's title) become one line: controls
  and line breaks turn into spaces, bidirectional overrides and invisible characters go (a
  zero-width joiner stays between two visible characters, where emoji and some scripts need
  it), runs of spaces collapse, and the result is clipped to a sane length; a name of nothing
  but invisible characters is no name at all;
- identifiers (update, user and chat ids, usernames, button keys) are clipped to their columns.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace

from bot.messages import Address, Inbound

NAME_MAX = 64  # characters of a person's name that the bot keeps and shows
TITLE_MAX = 120  # characters of a cohort's or a session's title
ID_MAX = 255  # platform ids (user, chat): the width of their columns
UPDATE_ID_MAX = 128
USERNAME_MAX = 64
LANGUAGE_MAX = 16
KEY_MAX = 64  # a button's choice key

_ZW_JOINERS = "\u200c\u200d"  # zero-width non-joiner and joiner: meaningful between letters
# Invisible or direction-changing characters that are not format characters (category Cf),
# or fillers that render as nothing.
_INVISIBLE_EXTRA = frozenset("\u115f\u1160\u3164\uffa0\u2800\u180e\u034f\u17b4\u17b5")
_SPACES = re.compile(r"\s+")


def _unstorable(char: str) -> bool:
    code = ord(char)
    return (
        0xD800 <= code <= 0xDFFF  # a lone surrogate: no UTF-8 encoding exists
        or 0xFDD0 <= code <= 0xFDEF
        or (code & 0xFFFE) == 0xFFFE  # U+FFFE, U+FFFF and their kind in every plane
    )


def storable_text(text: str) -> str:
    """`text` with its lines and tabs, without what a database or a chat cannot carry."""
    if text.isprintable() and text.isascii():
        return text  # the usual case, at once
    return "".join(
        char
        for char in text
        if char in "\n\t" or not (_unstorable(char) or unicodedata.category(char) == "Cc")
    )


def _invisible(char: str) -> bool:
    return unicodedata.category(char) in ("Cf", "Cc", "Zl", "Zp") or char in _INVISIBLE_EXTRA


def clean_name(name: str | None, limit: int | None = NAME_MAX) -> str | None:
    """`name` as one harmless line of at most `limit` characters (any length with None); None
    when nothing visible is left."""
    if name is None:
        return None
    name = unicodedata.normalize("NFC", storable_text(name))
    chars = list(name)
    kept: list[str] = []
    for index, char in enumerate(chars):
        if char in "\n\t" or unicodedata.category(char) in ("Zl", "Zp"):
            kept.append(" ")
        elif char in _ZW_JOINERS:
            before = kept[-1] if kept else " "
            after = chars[index + 1] if index + 1 < len(chars) else " "
            if not (before.isspace() or _invisible(before) or after.isspace() or _invisible(after)):
                kept.append(char)
        elif not _invisible(char):
            kept.append(char)
    line = _SPACES.sub(" ", "".join(kept)).strip()
    if limit is not None and len(line) > limit:
        line = line[:limit].rstrip()
        while line and unicodedata.combining(line[-1]):  # no mark left without its letter
            line = line[:-1]
    if not line or all(_invisible(c) or c.isspace() for c in line):
        return None
    return line


def clean_token(value: str | None, limit: int) -> str | None:
    """An identifier: storable, no whitespace at its ends, at most `limit` characters."""
    if value is None:
        return None
    return storable_text(value).strip()[:limit] or None


def clean_inbound(inbound: Inbound) -> Inbound:
    """`inbound` with every field storable and every name harmless (the same object when
    nothing needed changing)."""
    text = storable_text(inbound.text)
    name = clean_name(inbound.display_name)
    username = clean_token(inbound.username, USERNAME_MAX)
    hint = clean_token(inbound.language_hint, LANGUAGE_MAX)
    key = clean_token(inbound.choice_key, KEY_MAX)
    user_id = clean_token(inbound.user_id, ID_MAX) or "?"
    update_id = clean_token(inbound.update_id, UPDATE_ID_MAX) or "?"
    chat_id = clean_token(inbound.chat.chat_id, ID_MAX) or "?"
    if (
        text == inbound.text
        and name == inbound.display_name
        and username == inbound.username
        and hint == inbound.language_hint
        and key == inbound.choice_key
        and user_id == inbound.user_id
        and update_id == inbound.update_id
        and chat_id == inbound.chat.chat_id
    ):
        return inbound
    chat = inbound.chat
    if chat_id != chat.chat_id:
        chat = Address(chat.platform, chat_id, chat.is_group)
    return replace(
        inbound,
        text=text,
        display_name=name,
        username=username,
        language_hint=hint,
        choice_key=key,
        user_id=user_id,
        update_id=update_id,
        chat=chat,
    )
