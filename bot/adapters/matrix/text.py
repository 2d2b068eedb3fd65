"""What the Matrix adapter puts into and reads out of `m.room.message` events, without nio.

Replies are `m.notice` events (bots answer with notices so that other bots do not answer back)
with a plain `body` and an HTML `formatted_body`. Every piece of text goes into the HTML through
`html.escape`: nothing a person typed can become markup. Choices are a numbered list, answered
by number or label.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from typing import Any

from bot.messages import Choice

NOTICE = "m.notice"
HTML_FORMAT = "org.matrix.custom.html"
# Far below Synapse's 64 KiB event limit, even after encryption (base64 adds a third).
MAX_EVENT_TEXT = 16_000

_TXN_SAFE = re.compile(r"[A-Za-z0-9_-]")


def txn_id(key: str, part: str = "") -> str:
    """The Matrix transaction id for an outbox idempotency key (plus a part suffix when one
    outbox row becomes several events). Injective and made of URL-safe characters only:
    everything outside [A-Za-z0-9_-] becomes ~XX (its UTF-8 bytes), and `.` separates parts."""
    encoded = "".join(
        ch if _TXN_SAFE.fullmatch(ch) else "".join(f"~{b:02X}" for b in ch.encode("utf-8"))
        for ch in key
    )
    return f"{encoded}.{part}" if part else encoded


def _html_lines(text: str) -> str:
    return "<br>\n".join(html.escape(line, quote=False) for line in text.split("\n"))


def split_text(text: str, limit: int = MAX_EVENT_TEXT) -> list[str]:
    """Cut a long text into pieces of at most `limit` characters, at line breaks when possible."""
    if len(text) <= limit:
        return [text]
    pieces: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = rest.rfind("\n", 0, limit)
        if cut <= 0:
            cut = limit
        pieces.append(rest[:cut])
        rest = rest[cut:].lstrip("\n")
    if rest:
        pieces.append(rest)
    return pieces


# A command written "/name" in the catalogs, standing on its own (start of text, after a space,
# an opening bracket or quote, or a directional isolate) -- not inside URLs, paths or dates.
_SLASH_COMMAND = re.compile(r"(?:(?<=^)|(?<=[\s(\[\"'«“\u2066\u2068]))/(?=[a-z][a-z0-9_]*\b)")


def matrix_commands(text: str) -> str:
    """Messages name commands as "/help"; on Matrix they are "!help" (Element keeps "/" for its
    own commands, and "/me" would be an emote)."""
    return _SLASH_COMMAND.sub("!", text)


# "@room" anywhere in a message's body notifies everyone in the room (the push rule clients and
# servers still apply to events without `m.mentions`). A word joiner after the "@" keeps what a
# person typed (an announcement, a session title, a name) readable and silent.
_ROOM_MENTION = re.compile(r"@(?=room)", re.IGNORECASE)
WORD_JOINER = "\u2060"


def quiet_mentions(text: str) -> str:
    return _ROOM_MENTION.sub("@" + WORD_JOINER, text)


def notice_content(text: str, choices: Sequence[Choice] = ()) -> dict[str, Any]:
    """An m.notice with plain and HTML bodies; choices become a numbered list. It mentions
    nobody: `m.mentions` is empty (clients and servers then ignore names and "@room" in the
    body), and "@room" is broken up in both bodies for those that do not know `m.mentions`."""
    text = quiet_mentions(matrix_commands(text))
    labels = [quiet_mentions(c.label) for c in choices]
    body = text
    formatted = _html_lines(text)
    if labels:
        numbered = "\n".join(f"{i}. {label}" for i, label in enumerate(labels, start=1))
        body = f"{text}\n\n{numbered}" if text else numbered
        items = "".join(f"<li>{html.escape(label, quote=False)}</li>" for label in labels)
        formatted = f"{formatted}<ol>{items}</ol>" if text else f"<ol>{items}</ol>"
    return {
        "msgtype": NOTICE,
        "body": body,
        "format": HTML_FORMAT,
        "formatted_body": formatted,
        "m.mentions": {},
    }


def file_content(
    filename: str, mime_type: str, size: int, url: str, keys: Mapping[str, Any] | None
) -> dict[str, Any]:
    """An m.file event for an uploaded file; in encrypted rooms `keys` describe the encryption
    and the URL travels inside `file` instead of `url`."""
    content: dict[str, Any] = {
        "msgtype": "m.file",
        "body": filename,
        "filename": filename,
        "info": {"mimetype": mime_type, "size": size},
    }
    if keys is not None:
        content["file"] = {**keys, "url": url}
    else:
        content["url"] = url
    return content


def strip_reply_fallback(body: str) -> str:
    """A reply's body starts with the quoted original ("> <@user> text" lines, a blank line);
    what the person typed comes after it."""
    lines = body.split("\n")
    index = 0
    while index < len(lines) and lines[index].startswith(">"):
        index += 1
    if index == 0:
        return body
    if index < len(lines) and lines[index].strip() == "":
        index += 1
    return "\n".join(lines[index:])


def strip_mention(text: str, names: Sequence[str]) -> str:
    """ "Cohort Bot: !help" or "@bot:example.org !help" -> "!help" (only before a command)."""
    folded = text.casefold()
    for name in sorted((n for n in names if n), key=len, reverse=True):
        if not folded.startswith(name.casefold()):
            continue
        rest = text[len(name) :].lstrip(":, \t")
        if rest.startswith(("!", "/")):
            return rest
    return text


def inbound_text(content: Mapping[str, Any], body: str, names: Sequence[str]) -> str | None:
    """The text a person meant to send, or None for events the bot should not answer (edits)."""
    relates = content.get("m.relates_to")
    if isinstance(relates, Mapping):
        if relates.get("rel_type") == "m.replace":
            return None
        if "m.in_reply_to" in relates:
            body = strip_reply_fallback(body)
    return strip_mention(body.strip(), names)
