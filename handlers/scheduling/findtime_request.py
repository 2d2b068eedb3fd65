"""Reading `findtime DURATION [from DATE to DATE]`: the request it asks for, or why it cannot be
answered (a refusal the command turns into a localized reply)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from bot.commands import ClauseError, split_clauses
from bot.errors import UserError
from bot.i18n import _
from bot.timeparse import PLAN_AHEAD, ParseError, parse_date
from handlers.scheduling.core import MAX_SESSION_DURATION
from handlers.scheduling.parse import parse_session_duration

DEFAULT_DAYS = 7
MAX_DAYS = 31
DEFAULT_DURATION = timedelta(minutes=90)
RANGE_WORDS = frozenset({"from", "to"})


@dataclass(frozen=True)
class FindTimeRequest:
    """A session of `duration` to place on a day from `first` to `last` (the asker's dates)."""

    duration: timedelta
    first: date
    last: date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


@dataclass(frozen=True)
class Refusal:
    """Why a request cannot be answered: a message id and its values; `dates` are shown in the
    reader's language."""

    message_id: str
    values: Mapping[str, object] = field(default_factory=dict)
    dates: Mapping[str, date] = field(default_factory=dict)


def parse_request(words: Sequence[str], today: date) -> FindTimeRequest | Refusal:
    """The request the words make, with `today` the asker's date; checked in this order: the
    duration, the dates as written, a start before today, a date too far, the order, the span."""
    if not words:
        return Refusal(_("scheduling.findtime_usage"))
    try:
        duration = parse_session_duration(words[0], DEFAULT_DURATION, MAX_SESSION_DURATION)
    except UserError as error:
        return Refusal(error.message_id, dict(error.params))
    texts = _split_range(words[1:])
    if isinstance(texts, Refusal):
        return texts
    first_text, last_text = texts
    first = _day(first_text, today) if first_text else today
    if isinstance(first, Refusal):
        return first
    last = _day(last_text, today) if last_text else first + timedelta(days=DEFAULT_DAYS - 1)
    if isinstance(last, Refusal):
        return last
    return _check_range(FindTimeRequest(duration, first, last), today)


def _split_range(words: Sequence[str]) -> tuple[str | None, str | None] | Refusal:
    """`from DATE to DATE` (either part optional; DATE may be several words: `in 2 weeks`)."""
    try:
        clauses = split_clauses(words, RANGE_WORDS)
    except ClauseError:
        return Refusal(_("scheduling.findtime_usage"))
    parts = clauses.values
    if clauses.lead or any(not value for value in parts.values()):
        return Refusal(_("scheduling.findtime_usage"))
    start = " ".join(parts["from"]) if "from" in parts else None
    end = " ".join(parts["to"]) if "to" in parts else None
    return start, end


def _day(text: str, today: date) -> date | Refusal:
    try:
        return parse_date(text, today)
    except ParseError:
        return Refusal(_("scheduling.findtime_bad_date"), {"text": text})


def _check_range(request: FindTimeRequest, today: date) -> FindTimeRequest | Refusal:
    first, last = request.first, request.last
    if first < today:
        example = (today + timedelta(days=1)).isoformat()
        return Refusal(
            _("scheduling.findtime_past"), {"date": first.isoformat(), "example": example}
        )
    if max(first, last) > today + PLAN_AHEAD:
        return Refusal(_("time.too_far"), dates={"when": max(first, last)})
    if last < first:
        return Refusal(
            _("scheduling.findtime_order"), {"start": first.isoformat(), "end": last.isoformat()}
        )
    if request.days > MAX_DAYS:
        return Refusal(_("scheduling.findtime_span"), {"days": MAX_DAYS})
    return request
