"""Parsing and arithmetic for times people type: durations, local date-times, dates,
quiet-hour ranges, and DST-correct recurrence expansion.

Pure functions, no I/O, no clock: anything that needs "now" takes it as an argument.
Every user mistake raises :class:`ParseError` with a message id (``code``) and named
placeholders (``params``) for the i18n layer.

The local-time rule, used everywhere a wall-clock time becomes an instant:

* a nonexistent local time (in the gap when clocks spring forward) is moved FORWARD by
  the length of the gap: 02:30 on the spring-forward day in Europe/Berlin becomes
  03:30 CEST (``adjustment="gap"``);
* an ambiguous local time (in the overlap when clocks fall back) takes the FIRST
  occurrence, the earlier instant (``adjustment="fold"``).

This is what ``zoneinfo`` does for ``fold=0`` (PEP 495), and what iCalendar (RFC 5545,
section 3.3.5) prescribes, so calendar apps agree with us.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from functools import lru_cache
from types import MappingProxyType
from typing import Literal
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from dateutil.rrule import DAILY, WEEKLY, rrule

__all__ = [
    "Adjustment",
    "Direction",
    "Frequency",
    "LocalResult",
    "ParseError",
    "RecurrenceRule",
    "expand_recurrence",
    "format_duration",
    "format_local_datetime",
    "format_quiet_range",
    "in_quiet_hours",
    "next_quiet_end",
    "parse_date",
    "parse_duration",
    "parse_local_datetime",
    "parse_quiet_range",
    "parse_rrule",
    "resolve_wall_time",
    "rrule_string",
    "shift_out_of_quiet",
    "until_instant",
]

Adjustment = Literal["gap", "fold"]
Frequency = Literal["DAILY", "WEEKLY"]
Direction = Literal["before", "after"]

DURATION_EXAMPLE = "1h30m"
QUIET_EXAMPLE = "22:00-08:00"
# No duration a person types is longer; bigger values would overflow date arithmetic.
MAX_DURATION = timedelta(days=3660)
# Nothing a person plans lies further ahead than this (sessions and their series' end,
# announcements, the days findtime searches). It also keeps the arithmetic that follows (a week
# of checks, a reminder's lead, a zone's offset) far from the calendar's end in year 9999.
PLAN_AHEAD = timedelta(days=3653)


class ParseError(Exception):
    """A user's input could not be understood.

    ``code`` is a message id (e.g. ``"time.bad_datetime"``); ``params`` are the named
    placeholders for that message, always strings.
    """

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.params: dict[str, str] = {key: str(value) for key, value in params.items()}

    def __repr__(self) -> str:
        return f"ParseError({self.code!r}, **{self.params!r})"


# --------------------------------------------------------------------------- durations

_DURATION_UNITS: Mapping[str, str] = MappingProxyType(
    {
        "d": "days",
        "day": "days",
        "days": "days",
        "h": "hours",
        "hr": "hours",
        "hrs": "hours",
        "hour": "hours",
        "hours": "hours",
        "m": "minutes",
        "min": "minutes",
        "mins": "minutes",
        "minute": "minutes",
        "minutes": "minutes",
        "s": "seconds",
        "sec": "seconds",
        "secs": "seconds",
        "second": "seconds",
        "seconds": "seconds",
    }
)
_DURATION_TOKEN = re.compile(r"(\d{1,9}(?:[.,]\d{1,6})?)\s*([a-z]*)\s*")
_DURATION_CLOCK = re.compile(r"(\d{1,4}):([0-5]\d)(?::([0-5]\d))?")


def parse_duration(text: str, *, max_value: timedelta | None = None) -> timedelta:
    """Parse ``90m``, ``1h30m``, ``1h 30m``, ``1h30``, ``2h``, ``45min``, ``1.5h``, ``1:30``.

    Units: d, h, m (min), s; each at most once. The result is > 0 and at most
    ``max_value`` (and never more than ``MAX_DURATION``, about ten years).

    Errors: ``time.bad_duration`` (text, example), ``time.duration_too_long`` (text, max).
    """
    cleaned = text.strip().lower()
    value = _duration_from_clock(cleaned)
    if value is None:
        value = _duration_from_units(cleaned, text)
    if value <= timedelta(0):
        raise ParseError("time.bad_duration", text=text, example=DURATION_EXAMPLE)
    limit = MAX_DURATION if max_value is None else min(max_value, MAX_DURATION)
    if value > limit:
        raise ParseError("time.duration_too_long", text=text, max=format_duration(limit))
    return value


def _duration_from_clock(cleaned: str) -> timedelta | None:
    match = _DURATION_CLOCK.fullmatch(cleaned)
    if match is None:
        return None
    hours, minutes, seconds = match.groups()
    return timedelta(hours=int(hours), minutes=int(minutes), seconds=int(seconds or 0))


def _duration_from_units(cleaned: str, original: str) -> timedelta:
    parts: dict[str, float] = {}
    position = 0
    previous_unit: str | None = None
    while position < len(cleaned):
        match = _DURATION_TOKEN.match(cleaned, position)
        if match is None:
            raise ParseError("time.bad_duration", text=original, example=DURATION_EXAMPLE)
        number, unit_word = match.groups()
        position = match.end()
        if unit_word:
            unit = _DURATION_UNITS.get(unit_word)
        elif previous_unit == "hours" and position == len(cleaned) and number.isdigit():
            # "1h30" means one hour thirty minutes, as people write it.
            unit = "minutes"
        else:
            unit = None
        if unit is None or unit in parts:
            raise ParseError("time.bad_duration", text=original, example=DURATION_EXAMPLE)
        parts[unit] = float(number.replace(",", "."))
        previous_unit = unit
    if not parts:
        raise ParseError("time.bad_duration", text=original, example=DURATION_EXAMPLE)
    try:
        return timedelta(**parts)
    except OverflowError:
        limit = format_duration(MAX_DURATION)
        raise ParseError("time.duration_too_long", text=original, max=limit) from None


def format_duration(value: timedelta) -> str:
    """Canonical compact form that :func:`parse_duration` reads back: ``1h30m``, ``2d3h``.

    Sub-second parts are dropped; zero is ``0m``.
    """
    total = int(value.total_seconds())
    sign = "-" if total < 0 else ""
    total = abs(total)
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    pieces = [
        f"{amount}{unit}"
        for amount, unit in ((days, "d"), (hours, "h"), (minutes, "m"), (seconds, "s"))
        if amount
    ]
    return sign + ("".join(pieces) or "0m")


# --------------------------------------------------------------------------- date-times


@dataclass(frozen=True)
class LocalResult:
    """A wall-clock time in a zone, resolved to one instant.

    ``instant`` is aware UTC; ``wall`` is the naive local time as written (before any
    gap adjustment); ``adjustment`` says whether the gap or fold rule was applied;
    ``offset`` is the UTC offset written in the text, if there was one (then the
    instant honours it and no adjustment applies).
    """

    instant: datetime
    zone: ZoneInfo
    wall: datetime
    adjustment: Adjustment | None = None
    offset: timedelta | None = None

    @property
    def local(self) -> datetime:
        """The instant as an aware datetime in ``zone`` (03:30 CEST for a gap-moved 02:30)."""
        return self.instant.astimezone(self.zone)


def resolve_wall_time(wall: datetime, zone: ZoneInfo) -> LocalResult:
    """Turn a naive wall-clock time in ``zone`` into an instant (gap forward, fold first)."""
    if wall.tzinfo is not None:
        raise TypeError("resolve_wall_time expects a naive wall-clock datetime")
    naive = wall.replace(fold=0)
    first = naive.replace(tzinfo=zone)
    second = naive.replace(tzinfo=zone, fold=1)
    # For fold=0 zoneinfo uses the offset in force before the transition: in a gap that
    # lands the gap's length later, in an overlap it is the earlier of the two instants.
    instant = first.astimezone(UTC)
    adjustment: Adjustment | None = None
    if first.utcoffset() != second.utcoffset():
        round_trip = instant.astimezone(zone).replace(tzinfo=None)
        adjustment = "fold" if round_trip == naive else "gap"
    return LocalResult(instant=instant, zone=zone, wall=naive, adjustment=adjustment)


_DATETIME = re.compile(
    r"(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})"
    r"(?:[tT]|\s+)(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?"
    r"\s*(?P<offset>[zZ]|(?:UTC|GMT|utc|gmt)?[+-]\d{1,2}(?::?\d{2})?)?"
)


def parse_local_datetime(text: str, zone: ZoneInfo) -> LocalResult:
    """Parse ``2026-12-03 15:00``, ``2026-12-03T15:00``, ``2026-12-03 15:00:00`` in ``zone``.

    A trailing ``Z`` or offset (``+02:00``, ``+0200``, ``-05``) is honoured: the
    instant is taken from it and ``zone`` is kept for display. Otherwise the time is a
    wall-clock time in ``zone``, with the gap/fold rule described in the module doc.

    Error: ``time.bad_datetime`` (text, example).
    """
    match = _DATETIME.fullmatch(text.strip())
    if match is None:
        raise ParseError("time.bad_datetime", text=text)
    try:
        # A wall-clock time on purpose: the zone is applied below.
        wall = datetime(  # noqa: DTZ001
            int(match["year"]),
            int(match["month"]),
            int(match["day"]),
            int(match["hour"]),
            int(match["minute"]),
            int(match["second"] or 0),
        )
        offset = _parse_offset(match["offset"])
        if offset is None:
            return resolve_wall_time(wall, zone)
        instant = wall.replace(tzinfo=timezone(offset)).astimezone(UTC)
    except (ValueError, OverflowError):
        raise ParseError("time.bad_datetime", text=text) from None
    return LocalResult(instant=instant, zone=zone, wall=wall, offset=offset)


def _parse_offset(raw: str | None) -> timedelta | None:
    if raw is None:
        return None
    if raw in ("z", "Z"):
        return timedelta(0)
    digits = raw.upper().removeprefix("UTC").removeprefix("GMT")
    sign = -1 if digits[0] == "-" else 1
    body = digits[1:].replace(":", "")
    if len(body) <= 2:
        hours, minutes = int(body), 0
    else:
        hours, minutes = int(body[:-2]), int(body[-2:])
    if minutes >= 60 or hours >= 24:
        raise ValueError("offset out of range")
    return sign * timedelta(hours=hours, minutes=minutes)


def format_local_datetime(value: datetime) -> str:
    """``YYYY-MM-DD HH:MM`` (``:SS`` when non-zero) of the wall time; readable back by
    :func:`parse_local_datetime`. An aware value is formatted as its own wall time."""
    text = f"{value.year:04d}-{value.month:02d}-{value.day:02d} {value.hour:02d}:{value.minute:02d}"
    return f"{text}:{value.second:02d}" if value.second else text


# --------------------------------------------------------------------------- dates

_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_RELATIVE_UNITS: Mapping[str, relativedelta] = MappingProxyType(
    {
        "day": relativedelta(days=1),
        "week": relativedelta(weeks=1),
        "month": relativedelta(months=1),
        "year": relativedelta(years=1),
    }
)
_RELATIVE_DATE = re.compile(
    r"in\s+(\d{1,5}|an?|one)\s+(day|days|week|weeks|month|months|year|years)"
)


def parse_date(text: str, today: date | None = None) -> date:
    """Parse ``2026-12-03``; with ``today`` also ``today``, ``tomorrow``, ``in 3 days``,
    ``in 2 weeks``, ``in 3 months``, ``in 1 year`` (month arithmetic clamps to the end of
    the month: Jan 31 + 1 month = Feb 28/29).

    Error: ``time.bad_date`` (text, example).
    """
    cleaned = " ".join(text.strip().lower().split())
    iso = _ISO_DATE.fullmatch(cleaned)
    try:
        if iso is not None:
            return date(int(iso[1]), int(iso[2]), int(iso[3]))
        if today is not None:
            if cleaned == "today":
                return today
            if cleaned == "tomorrow":
                return today + timedelta(days=1)
            relative = _RELATIVE_DATE.fullmatch(cleaned)
            if relative is not None:
                amount = 1 if relative[1] in ("a", "an", "one") else int(relative[1])
                result: date = today + _RELATIVE_UNITS[relative[2].rstrip("s")] * amount
                return result
    except (ValueError, OverflowError):
        pass
    raise ParseError("time.bad_date", text=text)


# --------------------------------------------------------------------------- quiet hours

_QUIET_POINT = r"(\d{1,2})(?:[:.h](\d{2}))?h?"
_QUIET = re.compile(_QUIET_POINT + r"\s*(?:-|–|—|to)\s*" + _QUIET_POINT)


@lru_cache(maxsize=256)
def parse_quiet_range(text: str) -> tuple[time, time]:
    """Parse ``22:00-08:00``, ``22-8``, ``23:30-07:00`` (also ``22h-8h``, ``22.00 - 08.00``,
    ``22:00 to 08:00``; ``24:00`` means midnight). Start and end must differ.

    Error: ``time.bad_quiet`` (text, example).
    """
    match = _QUIET.fullmatch(text.strip().lower())
    if match is None:
        raise ParseError("time.bad_quiet", text=text, example=QUIET_EXAMPLE)
    start = _quiet_point(match[1], match[2])
    end = _quiet_point(match[3], match[4])
    if start is None or end is None or start == end:
        raise ParseError("time.bad_quiet", text=text, example=QUIET_EXAMPLE)
    return start, end


def _quiet_point(hour_text: str, minute_text: str | None) -> time | None:
    hour, minute = int(hour_text), int(minute_text or 0)
    if hour == 24 and minute == 0:
        return time(0, 0)
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def format_quiet_range(start: time, end: time) -> str:
    """``HH:MM-HH:MM``, readable back by :func:`parse_quiet_range`."""
    return f"{start:%H:%M}-{end:%H:%M}"


def in_quiet_hours(local: time | datetime, start: time, end: time) -> bool:
    """Whether a local wall time is in ``[start, end)``, wrapping past midnight when
    ``start > end``. ``start == end`` means no quiet hours. A datetime counts by its own
    wall-clock time (pass it already converted to the person's zone)."""
    moment = local.time() if isinstance(local, datetime) else local.replace(tzinfo=None)
    start, end = start.replace(tzinfo=None), end.replace(tzinfo=None)
    if start == end:
        return False
    if start < end:
        return start <= moment < end
    return moment >= start or moment < end


# Compact UTC timestamps --------------------------------------------------------------------
STAMP_FORMAT = "%Y%m%dT%H%M%SZ"


@lru_cache(maxsize=4096)
def stamp(instant: datetime) -> str:
    """The compact UTC form used in job keys, payloads and RRULE's UNTIL: 20261208T170000Z."""
    return f"{instant.astimezone(UTC):{STAMP_FORMAT}}"


def parse_stamp(value: object) -> datetime | None:
    """A `stamp` read back (aware, UTC); None for anything that is not a string."""
    if not isinstance(value, str):
        return None
    return datetime.strptime(value, "%Y%m%dT%H%M%S%z")


# Offsets are found by sampling; no zone changes its offset twice within this step.
_SCAN_STEP = timedelta(hours=1)
# Quiet hours end within a day; a few extra days cover any pile-up of transitions.
_SEARCH_HORIZON = timedelta(days=10)
_TICK = timedelta(microseconds=1)


def _require_aware(value: datetime, name: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise TypeError(f"{name} must be an aware datetime")
    return value.astimezone(UTC)


def _offset_at(zone: ZoneInfo, instant: datetime) -> timedelta:
    offset = instant.astimezone(zone).utcoffset()
    assert offset is not None  # a ZoneInfo always has an offset for an aware instant
    return offset


def _wall_at(instant: datetime, offset: timedelta) -> datetime:
    return (instant + offset).replace(tzinfo=None)


def _first_change(zone: ZoneInfo, low: datetime, high: datetime) -> datetime:
    """Earliest instant in (low, high] whose offset differs from the offset at ``low``
    (the caller knows the offset at ``high`` differs)."""
    base = _offset_at(zone, low)
    low_us, high_us = 0, (high - low) // _TICK
    while high_us - low_us > 1:
        middle = (low_us + high_us) // 2
        if _offset_at(zone, low + middle * _TICK) == base:
            low_us = middle
        else:
            high_us = middle
    return low + high_us * _TICK


def _next_transition(zone: ZoneInfo, after: datetime, limit: datetime) -> datetime | None:
    """First offset change in (after, limit], or None."""
    base = _offset_at(zone, after)
    low = after
    while low < limit:
        high = min(low + _SCAN_STEP, limit)
        if _offset_at(zone, high) != base:
            return _first_change(zone, low, high)
        low = high
    return None


def _previous_transition(zone: ZoneInfo, before: datetime, limit: datetime) -> datetime | None:
    """Latest offset change in (limit, before]: the first instant of ``before``'s offset."""
    base = _offset_at(zone, before)
    high = before
    while high > limit:
        low = max(high - _SCAN_STEP, limit)
        if _offset_at(zone, low) != base:
            return _first_change(zone, low, high)
        high = low
    return None


def _quiet_end_wall(wall: datetime, start: time, end: time) -> datetime:
    """Wall time at which the quiet period containing ``wall`` ends."""
    day = wall.date()
    if start > end and wall.time() >= start:
        day += timedelta(days=1)
    return datetime.combine(day, end)


def _quiet_start_wall(wall: datetime, start: time, end: time) -> datetime:
    """Wall time at which the quiet period containing ``wall`` began."""
    day = wall.date()
    if start > end and wall.time() < end:
        day -= timedelta(days=1)
    return datetime.combine(day, start)


def _earliest_not_quiet(instant: datetime, zone: ZoneInfo, start: time, end: time) -> datetime:
    start, end = start.replace(tzinfo=None), end.replace(tzinfo=None)
    cursor = instant
    while cursor < instant + _SEARCH_HORIZON:
        offset = _offset_at(zone, cursor)
        wall = _wall_at(cursor, offset)
        if not in_quiet_hours(wall, start, end):
            return cursor
        # While the offset holds, the wall clock runs on to the end of the quiet period;
        # a transition on the way may jump it out (or past) earlier.
        candidate = (_quiet_end_wall(wall, start, end) - offset).replace(tzinfo=UTC)
        transition = _next_transition(zone, cursor, candidate)
        cursor = candidate if transition is None else transition
    raise RuntimeError("no time outside quiet hours found")  # unreachable: start != end


def _latest_not_quiet(
    bound: datetime, zone: ZoneInfo, start: time, end: time, margin: timedelta
) -> datetime:
    start, end = start.replace(tzinfo=None), end.replace(tzinfo=None)
    cursor = bound
    while cursor > bound - _SEARCH_HORIZON:
        offset = _offset_at(zone, cursor)
        wall = _wall_at(cursor, offset)
        if not in_quiet_hours(wall, start, end):
            return cursor
        began = (_quiet_start_wall(wall, start, end) - offset).replace(tzinfo=UTC)
        transition = _previous_transition(zone, cursor, began)
        if transition is None:
            cursor = began - margin
        elif in_quiet_hours(
            _wall_at(transition - _TICK, _offset_at(zone, transition - _TICK)), start, end
        ):
            # Already quiet before the clocks changed: keep walking back.
            cursor = transition - _TICK
        else:
            # The clock change itself jumped into quiet hours.
            cursor = transition - margin
    raise RuntimeError("no time outside quiet hours found")  # unreachable: start != end


def next_quiet_end(instant_utc: datetime, zone: ZoneInfo, start: time, end: time) -> datetime:
    """The UTC instant at which the quiet period containing ``instant_utc`` ends: the first
    moment the local wall clock shows a time outside ``[start, end)`` (DST-correct: if the
    end time falls in a spring-forward gap, that is the moment the clocks jump). Returns
    ``instant_utc`` itself (in UTC) when it is not in quiet hours."""
    return _earliest_not_quiet(_require_aware(instant_utc, "instant_utc"), zone, start, end)


def shift_out_of_quiet(
    instant_utc: datetime,
    zone: ZoneInfo,
    start: time,
    end: time,
    not_after: datetime | None = None,
    direction: Direction = "before",
    *,
    margin: timedelta = timedelta(minutes=1),
) -> datetime:
    """Move an instant out of a person's quiet hours; returns an aware UTC instant that is
    never inside quiet hours and never after ``not_after``.

    * ``direction="before"`` (reminders): the latest moment not in quiet hours at or
      before ``min(instant_utc, not_after)`` -- for an instant inside quiet hours, that is
      ``margin`` before the quiet period began (e.g. 21:59 for quiet hours from 22:00).
    * ``direction="after"`` (prompts): the end of the quiet period (see
      :func:`next_quiet_end`); if that would be after ``not_after``, falls back to the
      latest moment not in quiet hours at or before ``not_after``.

    The result may lie in the past relative to the caller's clock; deciding what to do
    then (send now, skip) is the caller's business.
    """
    instant = _require_aware(instant_utc, "instant_utc")
    limit = None if not_after is None else _require_aware(not_after, "not_after")
    if margin <= timedelta(0):
        raise ValueError("margin must be positive")
    if direction not in ("before", "after"):
        raise ValueError(f"unknown direction {direction!r}")
    if direction == "after":
        candidate = _earliest_not_quiet(instant, zone, start, end)
        if limit is None or candidate <= limit:
            return candidate
        return _latest_not_quiet(limit, zone, start, end, margin)
    bound = instant if limit is None else min(instant, limit)
    return _latest_not_quiet(bound, zone, start, end, margin)


# --------------------------------------------------------------------------- recurrence

_END_OF_DAY = time(23, 59, 59)


@dataclass(frozen=True)
class RecurrenceRule:
    """The subset of an RFC 5545 RRULE that sessions use."""

    freq: Frequency
    until: datetime | None = None  # aware UTC, inclusive
    count: int | None = None
    interval: int = 1


def until_instant(until: date, zone: ZoneInfo) -> datetime:
    """UTC instant of the last second of local day ``until`` (an inclusive series end)."""
    return resolve_wall_time(datetime.combine(until, _END_OF_DAY), zone).instant


def expand_recurrence(
    start_local: datetime,
    zone: ZoneInfo,
    freq: Frequency | None,
    *,
    between: tuple[datetime, datetime],
    until: date | datetime | None = None,
    count: int | None = None,
    exdates: Iterable[datetime] = (),
    interval: int = 1,
) -> list[datetime]:
    """Occurrences of a (possibly recurring) session, as sorted, unique, aware UTC instants
    in ``[between[0], between[1])``.

    The rule runs on wall-clock times in ``zone`` (a weekly 18:00 Berlin session stays at
    18:00 Berlin across DST); each occurrence is then resolved with the gap/fold rule.
    ``start_local`` is aware (converted to ``zone``'s wall time; fold is not kept) or a
    naive wall time. Microseconds are dropped.

    ``until``: a ``date`` ends the series after that local day (inclusive); an aware
    datetime ends it at that instant (inclusive, like RRULE UNTIL). ``count`` counts
    occurrences before ``exdates`` are removed (RFC 5545). ``exdates``: aware values are
    matched by instant, naive ones by wall time. ``freq=None`` is a one-off session.
    """
    low = _require_aware(between[0], "between[0]")
    high = _require_aware(between[1], "between[1]")
    if interval < 1:
        raise ValueError("interval must be >= 1")
    if start_local.tzinfo is None:
        first_wall = start_local
    else:
        first_wall = start_local.astimezone(zone).replace(tzinfo=None)
    first_wall = first_wall.replace(microsecond=0, fold=0)
    if low >= high:
        return []

    until_wall: datetime | None = None
    until_utc: datetime | None = None
    if isinstance(until, datetime):
        until_utc = _require_aware(until, "until")
    elif isinstance(until, date):
        until_wall = datetime.combine(until, _END_OF_DAY)

    # Generous wall-clock window; exact filtering happens on instants below.
    pad = timedelta(days=2)
    window_low = _wall_at(low, _offset_at(zone, low)) - pad
    window_high = _wall_at(high, _offset_at(zone, high)) + pad
    if until_wall is not None:
        window_high = min(window_high, until_wall)

    if freq is None:
        walls = [first_wall] if window_low <= first_wall <= window_high else []
    else:
        rule = rrule(
            DAILY if freq == "DAILY" else WEEKLY,
            dtstart=first_wall,
            interval=interval,
            count=count,
            cache=False,
        )
        walls = rule.between(window_low, window_high, inc=True)

    excluded_instants = {_require_aware(e, "exdate") for e in exdates if e.tzinfo is not None}
    excluded_walls = {e.replace(fold=0) for e in exdates if e.tzinfo is None}
    result: set[datetime] = set()
    for wall in walls:
        if wall in excluded_walls or (until_wall is not None and wall > until_wall):
            continue
        instant = resolve_wall_time(wall, zone).instant
        if instant in excluded_instants or not low <= instant < high:
            continue
        if until_utc is not None and instant > until_utc:
            continue
        result.add(instant)
    return sorted(result)


def rrule_string(
    freq: Frequency,
    until_utc: datetime | None = None,
    *,
    count: int | None = None,
    interval: int = 1,
) -> str:
    """An RFC 5545 RRULE value, e.g. ``FREQ=WEEKLY;UNTIL=20270101T000000Z``.

    ``until_utc`` must be aware (it is written in UTC, as RFC 5545 requires when DTSTART
    has a TZID); UNTIL and COUNT are mutually exclusive.
    """
    if until_utc is not None and count is not None:
        raise ValueError("UNTIL and COUNT are mutually exclusive in RFC 5545")
    if interval < 1:
        raise ValueError("interval must be >= 1")
    parts = [f"FREQ={freq}"]
    if interval != 1:
        parts.append(f"INTERVAL={interval}")
    if until_utc is not None:
        parts.append(f"UNTIL={stamp(_require_aware(until_utc, 'until_utc'))}")
    if count is not None:
        parts.append(f"COUNT={count}")
    return ";".join(parts)


_RRULE_UNTIL = re.compile(r"(\d{8})(?:T(\d{6})Z)?")


def parse_rrule(value: str) -> RecurrenceRule:
    """Read back what :func:`rrule_string` writes (FREQ DAILY/WEEKLY, UNTIL in UTC or as a
    date, COUNT, INTERVAL). Error: ``time.bad_rrule`` (text)."""
    fields: dict[str, str] = {}
    for part in value.strip().removeprefix("RRULE:").split(";"):
        name, separator, content = part.partition("=")
        if not separator or name.upper() in fields:
            raise ParseError("time.bad_rrule", text=value)
        fields[name.upper()] = content.strip()
    freq = fields.pop("FREQ", "").upper()
    try:
        interval = int(fields.pop("INTERVAL", "1"))
        count = int(fields["COUNT"]) if "COUNT" in fields else None
        until = _parse_rrule_until(fields["UNTIL"]) if "UNTIL" in fields else None
    except ValueError:
        raise ParseError("time.bad_rrule", text=value) from None
    fields.pop("COUNT", None)
    fields.pop("UNTIL", None)
    if fields or interval < 1 or (count is not None and (count < 1 or until is not None)):
        raise ParseError("time.bad_rrule", text=value)
    if freq == "DAILY":
        return RecurrenceRule("DAILY", until=until, count=count, interval=interval)
    if freq == "WEEKLY":
        return RecurrenceRule("WEEKLY", until=until, count=count, interval=interval)
    raise ParseError("time.bad_rrule", text=value)


def _parse_rrule_until(raw: str) -> datetime:
    match = _RRULE_UNTIL.fullmatch(raw)
    if match is None:
        raise ValueError(raw)
    if match[2] is None:
        # A DATE value: the whole day is included; UTC is the best reading without a zone.
        return datetime.strptime(match[1], "%Y%m%d").replace(tzinfo=UTC) + timedelta(
            days=1, seconds=-1
        )
    return datetime.strptime(match[1] + match[2], "%Y%m%d%H%M%S").replace(tzinfo=UTC)
