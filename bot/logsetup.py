"""Structured key=value logs with correlation ids that never carry message text, tokens,
passwords, access tokens or invite codes.

Two layers keep secrets out:
- code never logs message text (the pipeline and delivery log ids, statuses and counts), and
- a RedactingFilter on every handler replaces known secrets (from the config), secret-shaped
  strings (bot tokens, access tokens, `password=...`, invite codes, SQL parameters in
  exception text) and the text of the update being handled (held in a context variable while
  it is handled) with `[redacted]`.

`log_scope(...)` sets the correlation id of one update or job; every record logged inside it
carries `correlation_id=...`, the same reference a person is shown when something breaks.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import IO

REDACTED = "[redacted]"
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}

# Invite codes use handlers.cohorts.codes.CODE_ALPHABET (no 0/O, 1/I/L), 8 characters. The
# core may not import handlers, so the shape is repeated here: 8 such characters with a letter
# and a digit.
_INVITE_CODE = r"\b(?=[A-Z2-9]*[2-9])(?=[A-Z2-9]*[A-Z])[A-HJKMNP-Z2-9]{8}\b"

# Secret-shaped strings. Patterns with two groups keep the first (the key) and redact the second.
_PATTERNS = [
    # Telegram bot token, also inside a Bot API URL (".../bot<token>/sendMessage")
    re.compile(r"(?<![0-9])\d{5,}:[A-Za-z0-9_-]{20,}(?![A-Za-z0-9_-])"),
    re.compile(r"\bsy[tdr]_[A-Za-z0-9_]+\b"),  # Synapse access / device / refresh token
    re.compile(r"(?i)\b(bearer)\s+([A-Za-z0-9._~+/=-]{8,})"),  # Authorization: Bearer ...
    re.compile(
        r"(?i)\b(access_token|token|password|passwd|secret|secret_token|pickle_key)"
        r"[\"']?\s*[=:]\s*[\"']?([^&\s\"',}]+)"
    ),
    re.compile(_INVITE_CODE),
    # SQLAlchemy puts the statement's parameters (message texts, names) into exception text.
    re.compile(r"(\[parameters: )[^\n]*"),
]

# Loggers that log request URLs (the Bot API URL holds the token) or request bodies (message
# texts) at INFO or DEBUG: kept at WARNING whatever the configured level.
QUIET_LOGGERS = (
    "httpx",
    "httpcore",
    "hpack",
    "telegram",
    "telegram.ext",
    "telegram.ext.Updater",
    "apscheduler",
    "aiohttp.access",
    "aiohttp.client",
    "nio",
    "peewee",
    "sqlalchemy.engine",
    "sqlalchemy.pool",
    "aiosqlite",
    "asyncpg",
)


@dataclass(frozen=True)
class LogScope:
    """What is being handled right now: its correlation id and strings that must not be logged
    (the update's text, the sender's name and platform id)."""

    correlation_id: str
    sensitive: tuple[str, ...] = ()


_SCOPE: ContextVar[LogScope | None] = ContextVar("cohortbot_log_scope", default=None)

# Shorter strings are not redacted as free text: "ok" or "ana" would garble every log line.
MIN_SENSITIVE = 4
# Words of the update's text this long are redacted on their own too (an argument such as a
# code, a name or a token may show up in an exception message without the rest of the text).
MIN_SENSITIVE_WORD = 8


def sensitive_parts(*texts: str | None) -> tuple[str, ...]:
    parts: set[str] = set()
    for text in texts:
        if not text:
            continue
        stripped = text.strip()
        if len(stripped) >= MIN_SENSITIVE:
            parts.add(stripped)
        for word in re.split(r"[\s\"'“”«»„‘’]+", stripped):
            if len(word) >= MIN_SENSITIVE_WORD:
                parts.add(word)
    return tuple(sorted(parts, key=len, reverse=True))


def strings_in(value: object) -> tuple[str, ...]:
    """Every string inside a JSON-like value (a job's payload), to redact from its logs."""
    if isinstance(value, str):
        return (value,)
    if isinstance(value, dict):
        return tuple(s for v in value.values() for s in strings_in(v))
    if isinstance(value, list | tuple):
        return tuple(s for v in value for s in strings_in(v))
    return ()


@contextmanager
def log_scope(correlation_id: str, *sensitive: str | None) -> Iterator[LogScope]:
    """Everything logged inside carries `correlation_id`; `sensitive` strings are redacted."""
    scope = LogScope(correlation_id, sensitive_parts(*sensitive))
    token = _SCOPE.set(scope)
    try:
        yield scope
    finally:
        _SCOPE.reset(token)


def current_correlation_id() -> str | None:
    scope = _SCOPE.get()
    return scope.correlation_id if scope is not None else None


class RedactingFilter(logging.Filter):
    """Replaces known secrets (from the config), secret-shaped strings and the current update's
    text with [redacted], in the message, its arguments, `extra` values and exception text.
    Also stamps the record with the current correlation id."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = sorted(
            {s for s in secrets if s and len(s) >= MIN_SENSITIVE}, key=len, reverse=True
        )

    def redact(self, text: str) -> str:
        scope = _SCOPE.get()
        extra = scope.sensitive if scope is not None else ()
        for secret in (*self.secrets, *extra):
            text = text.replace(secret, REDACTED)
        for pattern in _PATTERNS:
            if pattern.groups == 2:
                text = pattern.sub(lambda m: f"{m.group(1)}={REDACTED}", text)
            elif pattern.groups == 1:
                text = pattern.sub(lambda m: f"{m.group(1)}{REDACTED}]", text)
            else:
                text = pattern.sub(REDACTED, text)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_cohortbot_redacted", False):
            return True  # several handlers share one record: redact once
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not hide the record
            message = f"{record.msg!r} (unformattable arguments)"
        record.msg = self.redact(message)
        record.args = None
        for key, value in list(record.__dict__.items()):
            if key not in _STANDARD and isinstance(value, str):
                setattr(record, key, self.redact(value))
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = self.redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        if getattr(record, "correlation_id", None) is None:
            correlation = current_correlation_id()
            if correlation is not None:
                record.correlation_id = correlation
        record._cohortbot_redacted = True
        return True


class KeyValueFormatter(logging.Formatter):
    """`ts=... level=... logger=... msg="..." key=value ...` on one line (tracebacks below)."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage().replace("\\", "\\\\").replace('"', '\\"')
        parts = [
            f"ts={self.formatTime(record, '%Y-%m-%dT%H:%M:%S')}",
            f"level={record.levelname.lower()}",
            f"logger={record.name}",
            f'msg="{message}"',
        ]
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                parts.append(f"{key}={_value(value)}")
        line = " ".join(parts)
        if record.exc_text:
            line += "\n" + record.exc_text
        if record.stack_info:
            line += "\n" + record.stack_info
        return line


def _value(value: object) -> str:
    text = str(value)
    if not text or any(c.isspace() or c in '"=' for c in text):
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return text


_OURS = "_cohortbot_handler"


def setup_logging(level: str, secrets: Iterable[str] = (), stream: IO[str] | None = None) -> None:
    """Log key=value lines to `stream` (stderr). The redacting filter goes on this handler and on
    every other handler already attached to the root logger (e.g. a test's capture handler)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(KeyValueFormatter())
    setattr(handler, _OURS, True)
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, _OURS, False):
            root.removeHandler(old)
    root.addHandler(handler)
    redacting = RedactingFilter(secrets)
    for each in root.handlers:
        for old_filter in list(each.filters):
            if isinstance(old_filter, RedactingFilter):
                each.removeFilter(old_filter)
        each.addFilter(redacting)
    root.setLevel(level)
    for noisy in QUIET_LOGGERS:
        logging.getLogger(noisy).setLevel(logging.WARNING)
