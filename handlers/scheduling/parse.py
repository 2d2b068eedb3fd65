"""Reading what coordinators type after `addsession`, `movesession`, `rsvp`, `findtime`:
the structure first (which words are the title, the date-time, the zone...), then values.
Every mistake is a UserError whose reply says what to type instead; nothing is saved."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.commands import ClauseError, Clauses, pick_number, split_clauses
from bot.errors import UserError
from bot.i18n import _
from bot.sanitize import clean_name
from bot.timeparse import (
    LocalResult,
    ParseError,
    parse_date,
    parse_duration,
    parse_local_datetime,
    resolve_wall_time,
)

VALUED = frozenset({"for", "every", "until"})
FLAGS = frozenset({"recorded", "weekly", "daily"})
REPEATS = ("weekly", "daily", "every")
_OFFSET = r"(?:[zZ]|[+-]\d{1,2}(?::?\d{2})?)?"
DATE_WORD = re.compile(r"\d{4}-\d{1,2}-\d{1,2}$")
DATETIME_WORD = re.compile(r"\d{4}-\d{1,2}-\d{1,2}[tT]\d{1,2}:\d{2}(?::\d{2})?" + _OFFSET + "$")
TIME_WORD = re.compile(r"\d{1,2}:\d{2}(?::\d{2})?" + _OFFSET + "$")
RELATIVE_DAYS = frozenset({"today", "tomorrow"})
EXAMPLE_ZONE = "Europe/Berlin"
MAX_TITLE = 200


@dataclass(frozen=True)
class SessionWords:
    title: str
    when: str
    zone: str | None = None
    duration: str | None = None
    freq: str | None = None  # "DAILY" | "WEEKLY"
    interval: int = 1
    until: str | None = None
    recorded: bool = False


def _starts_when(word: str) -> bool:
    lowered = word.lower()
    return bool(DATE_WORD.match(word) or DATETIME_WORD.match(word) or lowered in RELATIVE_DAYS)


def take_when(words: Sequence[str], index: int) -> tuple[str, int]:
    """The date-time starting at words[index] (one or two words) and the index after it."""
    first = words[index]
    if DATETIME_WORD.match(first):
        return first, index + 1
    if index + 1 < len(words) and TIME_WORD.match(words[index + 1]):
        return f"{first} {words[index + 1]}", index + 2
    return first, index + 1


def split_addsession(words: Sequence[str]) -> SessionWords:
    """`"TITLE" DATETIME [ZONE] [for DURATION] [every [N] day|week] [until DATE] [recorded]`.
    An unquoted title runs up to the first date."""
    return _read_parts(_session_parts(words))


@dataclass(frozen=True)
class _SessionParts:
    """addsession's words by role, not read yet: the title, the date-time, then the zone's
    words and each keyword with its words."""

    title: str
    when: str
    clauses: Clauses


def _session_parts(words: Sequence[str]) -> _SessionParts:
    """Where the title ends (the first date), the date-time's one or two words, and the
    clauses after them."""
    at = next((i for i in range(1, len(words)) if _starts_when(words[i])), None)
    if not words or not words[0].strip():
        raise UserError(_("scheduling.addsession_usage"))
    if at is None:
        if len(words) < 2:
            raise UserError(_("scheduling.addsession_usage"))
        raise UserError(_("scheduling.bad_datetime"), text=words[1], title=words[0])
    title = clean_name(" ".join(words[:at]), limit=None)  # one line, nothing invisible
    if not title:
        raise UserError(_("scheduling.addsession_usage"))
    if len(title) > MAX_TITLE:
        raise UserError(_("scheduling.title_too_long"), limit=MAX_TITLE)
    when, index = take_when(words, at)
    try:
        clauses = split_clauses(words[index:], VALUED, FLAGS)
    except ClauseError as error:
        if error.problem == "repeated":
            raise UserError(_("scheduling.repeated_word"), word=error.word, title=title) from None
        raise UserError(_("scheduling.missing_value"), word=error.word, title=title) from None
    return _SessionParts(title, when, clauses)


def _read_parts(parts: _SessionParts) -> SessionWords:
    """What the clauses say: one way of repeating at most, every keyword with a value, and
    `until` only for a repeating session."""
    title, given = parts.title, parts.clauses.values
    repeats = [word for word in given if word in REPEATS]
    if len(repeats) > 1:  # one of weekly, daily and every
        raise UserError(_("scheduling.repeated_word"), word=repeats[1], title=title)
    freq, interval = (None, 1)
    if "every" in given:
        freq, interval = _every(list(given["every"]), title)
    elif repeats:
        freq = "WEEKLY" if repeats[0] == "weekly" else "DAILY"
    for keyword in ("for", "until"):
        if keyword in given and not given[keyword]:
            raise UserError(_("scheduling.missing_value"), word=keyword, title=title)
    if "until" in given and freq is None:
        raise UserError(_("scheduling.until_without_every"), title=title)
    return SessionWords(
        title=title,
        when=parts.when,
        zone=" ".join(parts.clauses.lead) or None,
        duration=" ".join(given["for"]) if "for" in given else None,
        freq=freq,
        interval=interval,
        until=" ".join(given["until"]) if "until" in given else None,
        recorded="recorded" in given,
    )


_UNITS = {"day": "DAILY", "days": "DAILY", "week": "WEEKLY", "weeks": "WEEKLY"}


def _every(value: Sequence[str], title: str) -> tuple[str, int]:
    words = [w.lower() for w in value]
    interval = 1
    if len(words) == 2 and pick_number(words[0]) is not None:
        interval = pick_number(words[0]) or 0
        words = words[1:]
    if len(words) != 1 or words[0] not in _UNITS or not 1 <= interval <= 52:
        raise UserError(_("scheduling.bad_every"), text=" ".join(value), title=title)
    return _UNITS[words[0]], interval


def parse_when(text: str, zone: ZoneInfo, today: date, title: str) -> LocalResult:
    """ISO date-time (`2026-12-08 18:00`, `2026-12-08T18:00`, with an optional offset) or
    `today 18:00` / `tomorrow 18:00`, in `zone`."""
    try:
        return parse_local_datetime(text, zone)
    except ParseError:
        pass
    day_word, _sep, clock = text.partition(" ")
    try:
        day = parse_date(day_word, today) if day_word.lower() in RELATIVE_DAYS else None
        if day is not None and TIME_WORD.match(clock) and clock[-1].isdigit():
            hour, minute = (int(part) for part in clock.split(":")[:2])
            return resolve_wall_time(datetime.combine(day, time(hour, minute)), zone)
    except (ParseError, ValueError):
        pass
    raise UserError(_("scheduling.bad_datetime"), text=text, title=title)


def parse_session_duration(text: str | None, default: timedelta, limit: timedelta) -> timedelta:
    if text is None:
        return default
    try:
        value = parse_duration(text)
    except ParseError as error:
        if error.code == "time.duration_too_long":
            raise UserError(_("scheduling.duration_too_long"), text=text) from None
        raise UserError(_("scheduling.bad_duration"), text=text) from None
    if value > limit:
        raise UserError(_("scheduling.duration_too_long"), text=text)
    if value < timedelta(minutes=1):
        raise UserError(_("scheduling.bad_duration"), text=text)
    return value


def parse_until(text: str, today: date, title: str) -> date:
    try:
        return parse_date(text, today)
    except ParseError:
        raise UserError(_("scheduling.bad_until"), text=text, title=title) from None


def parse_number(text: str | None) -> int | None:
    return pick_number(text)
