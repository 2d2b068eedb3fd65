"""Scheduling arithmetic without I/O: occurrences of a session, reminder instants, quiet-hour
overlap, public holidays. Everything takes "now" as an argument and works on aware UTC
instants; wall-clock rules run in the session's own zone (bot.timeparse).

Rules worth knowing (documented for coordinators in the README):

* A wall time in a spring-forward gap moves forward by the gap (02:30 -> 03:30); a wall
  time in a fall-back overlap takes the first (earlier) instant. The coordinator is told.
* An occurrence is identified by (session id, the instant its rule generated), which
  survives moves: ``Occurrence.key``. ``Occurrence.start_key`` also names where it is now.
* A reminder that would fall in a person's quiet hours moves to the last minute before
  those hours began; it is never after the start; two reminders closer than an hour are
  merged into the later one; a reminder whose moment has passed is dropped.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property, lru_cache
from zoneinfo import ZoneInfo

import holidays

from bot.timeparse import (
    expand_recurrence,
    in_quiet_hours,
    parse_rrule,
    resolve_wall_time,
    shift_out_of_quiet,
    stamp,
)
from storage.models.cohorts import Role
from storage.models.scheduling import (
    OCCURRENCE_CANCELLED,
    SESSION_CANCELLED,
    ScheduledSession,
    SessionOccurrence,
)

DEFAULT_DURATION = timedelta(minutes=90)
MAX_SESSION_DURATION = timedelta(hours=24)
REMINDER_LEADS = (timedelta(hours=24), timedelta(hours=1))
MIN_REMINDER_GAP = timedelta(hours=1)
# Occurrences are materialized (rows, reminder jobs, events) this far ahead, by a roll job
# that runs once a day per cohort: at least 7 days' notice for anything a subscriber schedules.
HORIZON = timedelta(days=8)
# How far ahead a session's dates are looked at to list them or to find its next one (for
# `sessions`, RSVPs, the roster, consent reports, broadcasts by RSVP): a year and a month.
LOOK_AHEAD = timedelta(days=400)
ROLL_EVERY = timedelta(days=1)
# How many occurrences of a new series are checked for night, holiday and DST notes.
CHECK_OCCURRENCES = 12
SESSION_ROLES = (Role.COORDINATOR, Role.FACILITATOR, Role.MENTOR, Role.PARTICIPANT)


def first_zone(*names: str | None) -> ZoneInfo:
    """The first zone that is set (a person's, then the cohort's...), else UTC."""
    for name in names:
        if name:
            return ZoneInfo(name)
    return ZoneInfo("UTC")


@dataclass(frozen=True)
class Occurrence:
    """One meeting of a session, as other capabilities see it."""

    session_id: int
    cohort_id: int
    number: int  # the session's short number in its cohort
    title: str
    zone: str
    original_start: datetime  # identity: what the rule generated (UTC)
    start: datetime  # where it is now (UTC)
    end: datetime
    recorded: bool
    recurring: bool
    row_id: int | None = None  # SessionOccurrence.id once materialized
    cancelled: bool = False
    moved: bool = False

    @cached_property
    def key(self) -> str:
        """Stable identifier, e.g. ``s12-20261208T170000Z``: use it in idempotency keys for
        things that happen once per occurrence whatever its time."""
        return f"s{self.session_id}-{stamp(self.original_start)}"

    @cached_property
    def start_key(self) -> str:
        """``key@start``: changes when the occurrence moves; use it in keys of jobs whose due
        time depends on the start, so a moved occurrence gets fresh jobs."""
        return f"{self.key}@{stamp(self.start)}"

    @property
    def duration(self) -> timedelta:
        return self.end - self.start


def session_wall(session: ScheduledSession) -> datetime:
    return datetime.fromisoformat(session.start_wall)


def session_duration(session: ScheduledSession) -> timedelta:
    return timedelta(minutes=session.duration_minutes)


def occurrence_of(
    session: ScheduledSession,
    original: datetime,
    start: datetime,
    row: SessionOccurrence | None,
    cancelled: bool,
) -> Occurrence:
    return Occurrence(
        session_id=session.id,
        cohort_id=session.cohort_id,
        number=session.number,
        title=session.title,
        zone=session.zone,
        original_start=original,
        start=start,
        end=start + session_duration(session),
        recorded=session.recorded,
        recurring=session.rrule is not None,
        row_id=row.id if row is not None else None,
        cancelled=cancelled,
        moved=bool(row is not None and row.moved),
    )


def rule_starts(session: ScheduledSession, low: datetime, high: datetime) -> list[datetime]:
    """Instants the session's rule generates in [low, high), before any exception."""
    zone = ZoneInfo(session.zone)
    if session.rrule is None:
        return expand_recurrence(session_wall(session), zone, None, between=(low, high))
    rule = parse_rrule(session.rrule)
    return expand_recurrence(
        session_wall(session),
        zone,
        rule.freq,
        between=(low, high),
        until=rule.until,
        count=rule.count,
        interval=rule.interval,
    )


def expand_session(
    session: ScheduledSession,
    rows: Iterable[SessionOccurrence],
    low: datetime,
    high: datetime,
    *,
    include_cancelled: bool = False,
) -> list[Occurrence]:
    """Occurrences overlapping [low, high) (end > low and start < high), sorted by start,
    with cancelled and moved occurrences applied."""
    duration = session_duration(session)
    by_original = {row.original_start: row for row in rows}
    series_gone = session.cancelled_at if session.status == SESSION_CANCELLED else None
    found: list[Occurrence] = []

    def add(original: datetime, start: datetime, row: SessionOccurrence | None) -> None:
        cancelled = row is not None and row.status == OCCURRENCE_CANCELLED
        if series_gone is not None and start >= series_gone:
            cancelled = True
        if cancelled and not include_cancelled:
            return
        if start + duration > low and start < high:
            found.append(occurrence_of(session, original, start, row, cancelled))

    for original in rule_starts(session, low - duration, high):
        row = by_original.get(original)
        if row is None or not row.moved:
            add(original, original, row)
    for row in by_original.values():
        if row.moved:
            add(row.original_start, row.start, row)
    found.sort(key=lambda o: (o.start, o.session_id))
    return found


def series_end(session: ScheduledSession) -> datetime | None:
    """End of the last occurrence by the rule, None for an open-ended series."""
    duration = session_duration(session)
    if session.rrule is None:
        return session.starts_at + duration
    rule = parse_rrule(session.rrule)
    if rule.until is None and rule.count is None:
        return None
    last_possible = rule.until + timedelta(seconds=1) if rule.until is not None else None
    high = last_possible or session.starts_at + timedelta(days=3700)
    starts = rule_starts(session, session.starts_at, high)
    return (starts[-1] if starts else session.starts_at) + duration


# --------------------------------------------------------------------------- quiet hours


def _offset(zone: ZoneInfo, instant: datetime) -> timedelta | None:
    return instant.astimezone(zone).utcoffset()


def _transition_in(zone: ZoneInfo, low: datetime, high: datetime) -> datetime | None:
    """First instant in (low, high] whose UTC offset differs from low's (to the second)."""
    base = _offset(zone, low)
    if _offset(zone, high) == base:
        return None
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if _offset(zone, middle) == base:
            low = middle
        else:
            high = middle
    return high


def quiet_intervals(
    zone: ZoneInfo, quiet: tuple[time, time], low: datetime, high: datetime
) -> list[tuple[datetime, datetime]]:
    """The parts of [low, high) whose local wall time is inside the quiet hours, as merged
    UTC intervals. Exact across DST: quiet status can only change where the wall clock
    shows the start or end of the quiet hours (either fold) or at a clock change, so it is
    constant between those breakpoints and read at each piece's midpoint."""
    if low >= high:
        return []
    points = {low, high}
    day = low.astimezone(zone).date() - timedelta(days=1)
    last = high.astimezone(zone).date() + timedelta(days=1)
    while day <= last:
        for moment in quiet:
            wall = datetime.combine(day, moment.replace(tzinfo=None))
            for fold in (0, 1):
                instant = wall.replace(tzinfo=zone, fold=fold).astimezone(UTC)
                if low < instant < high:
                    points.add(instant)
        day += timedelta(days=1)
    ordered = sorted(points)
    for left, right in itertools.pairwise(ordered):
        change = _transition_in(zone, left, right)
        while change is not None and change < right:
            points.add(change)
            change = _transition_in(zone, change, right)
    ordered = sorted(points)
    found: list[tuple[datetime, datetime]] = []
    for left, right in itertools.pairwise(ordered):
        middle = left + (right - left) / 2
        if not in_quiet_hours(middle.astimezone(zone), *quiet):
            continue
        if found and found[-1][1] == left:
            found[-1] = (found[-1][0], right)
        else:
            found.append((left, right))
    return found


def overlaps_quiet(
    start: datetime, end: datetime, zone: ZoneInfo, quiet: tuple[time, time]
) -> bool:
    """Whether any moment of [start, end) is inside the daily local quiet hours."""
    return bool(quiet_intervals(zone, quiet, start, end))


def plan_reminders(
    start: datetime,
    zone: ZoneInfo,
    quiet: tuple[time, time] | None,
    now: datetime,
    leads: Sequence[timedelta] = REMINDER_LEADS,
) -> list[tuple[timedelta, datetime]]:
    """(lead, due instant) for each reminder worth sending, earliest first. (Everyone of a
    zone and quiet hours gets the same plan for an occurrence: it is worked out once.)"""
    return list(_plan(start, zone, quiet, now, tuple(leads)))


@lru_cache(maxsize=4096)
def _plan(
    start: datetime,
    zone: ZoneInfo,
    quiet: tuple[time, time] | None,
    now: datetime,
    leads: tuple[timedelta, ...],
) -> tuple[tuple[timedelta, datetime], ...]:
    planned: list[tuple[timedelta, datetime]] = []
    for lead in sorted(leads, reverse=True):
        ideal = start - lead
        if quiet is None:
            due = ideal
        else:
            due = shift_out_of_quiet(ideal, zone, *quiet, not_after=start, direction="before")
        if due < now or due >= start:
            continue
        if planned and due - planned[-1][1] < MIN_REMINDER_GAP:
            planned.pop()
        planned.append((lead, due))
    return tuple(planned)


# --------------------------------------------------------------------------- holidays


class HolidayBook:
    """Public holidays by country, names in one language when the data has it.
    One instance per unit of work; it keeps what it loaded."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self._years: dict[tuple[str, int], dict[date, str] | None] = {}

    def _load(self, country: str, year: int) -> dict[date, str] | None:
        key = (country, year)
        if key not in self._years:
            try:
                probe = holidays.country_holidays(country)
                supported = tuple(getattr(probe, "supported_languages", ()) or ())
                # Always name a language: with None the package follows the process locale
                # (LANG), which is how English names leaked into Spanish and French replies.
                own = getattr(probe, "default_language", None)
                language = self._pick_language(supported) or own
                table = holidays.country_holidays(country, years=year, language=language)
                self._years[key] = {day: str(name) for day, name in table.items()}
            except (NotImplementedError, KeyError, AttributeError):
                self._years[key] = None
        return self._years[key]

    def _pick_language(self, supported: tuple[str, ...]) -> str | None:
        """The reader's language when the data has it (exact, then the same base language);
        otherwise None (the caller then uses the country's own language), never English
        by default."""
        if self.lang in supported:
            return self.lang
        base = self.lang.split("_")[0]
        for lang in supported:
            if lang.split("_")[0] == base:
                return lang
        return None

    def holiday(self, country: str | None, day: date) -> str | None:
        if not country:
            return None
        table = self._load(country.upper(), day.year)
        return None if table is None else table.get(day)


# --------------------------------------------------------------------------- DST notes


@dataclass(frozen=True)
class WallNote:
    """A planned wall time that does not exist (gap) or exists twice (fold) on a day."""

    wall: datetime
    instant: datetime
    adjustment: str  # "gap" | "fold"


def wall_notes(session: ScheduledSession, low: datetime, high: datetime) -> list[WallNote]:
    """Gap/fold adjustments among the session's occurrences in [low, high)."""
    zone = ZoneInfo(session.zone)
    planned = session_wall(session).time()
    notes: list[WallNote] = []
    for start in rule_starts(session, low, high):
        local = start.astimezone(zone)
        for day in (local.date(), local.date() - timedelta(days=1)):
            result = resolve_wall_time(datetime.combine(day, planned), zone)
            if result.instant == start and result.adjustment is not None:
                notes.append(WallNote(result.wall, start, result.adjustment))
                break
    return notes
