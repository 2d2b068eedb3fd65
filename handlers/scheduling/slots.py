"""Find-a-time: score candidate slots for a group spread over many zones, pure functions.

A person is inconvenienced by a slot when any part of it is in their night (quiet hours, or
the default night when they turned quiet hours off) or when it touches a public holiday in
their country (local date of the start or the end).

Ranking, best first, by
1. the burden score: the sum, over inconvenienced people, of ``1 + burden``, where
   ``burden`` (0..1) is the share of the cohort's recent sessions that already inconvenienced
   that person. Equal counts are thus broken in favour of sparing people who have been up
   late recently, and a slot that wakes one person who always gets the late slot can lose
   to one that inconveniences two who never do: the inconvenience rotates;
2. then the number of people inconvenienced;
3. then how deep into anyone's night the slot reaches (an hour at the edge of someone's
   night, 22:00-23:00, beats the same hour at 03:00), then the earlier start.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.timeparse import resolve_wall_time
from handlers.scheduling.core import HolidayBook, quiet_intervals


@dataclass(frozen=True)
class Attendee:
    key: int
    zone: ZoneInfo
    night: tuple[time, time]
    country: str | None = None
    burden: float = 0.0  # share of recent sessions that inconvenienced them, 0..1


@dataclass(frozen=True)
class Slot:
    start: datetime
    end: datetime
    night: tuple[int, ...]  # attendee keys whose night it touches
    holidays: tuple[tuple[int, str], ...]  # (attendee key, holiday name)
    score: float
    depth: float = 0.0  # minutes: how far into the night it reaches, summed over people

    @property
    def inconvenienced(self) -> tuple[int, ...]:
        keys = dict.fromkeys(self.night)
        keys.update(dict.fromkeys(k for k, _name in self.holidays))
        return tuple(keys)

    @property
    def rank_key(self) -> tuple[float, int, float, datetime]:
        return (round(self.score, 9), len(self.inconvenienced), round(self.depth, 3), self.start)


Situation = tuple[str, tuple[time, time], str | None]  # zone, night, country


def situation(person: Attendee) -> Situation:
    """People in the same zone with the same night and country fare the same in any slot."""
    return (person.zone.key, person.night, person.country)


class NightIndex:
    """Quiet intervals over a window per situation (zone and night), for fast overlap tests."""

    def __init__(self, attendees: Sequence[Attendee], low: datetime, high: datetime) -> None:
        self._starts: dict[Situation, list[datetime]] = {}
        self._ends: dict[Situation, list[datetime]] = {}
        for person in attendees:
            key = situation(person)
            if key in self._starts:
                continue
            intervals = quiet_intervals(person.zone, person.night, low, high)
            self._starts[key] = [s for s, _e in intervals]
            self._ends[key] = [e for _s, e in intervals]

    def overlaps(self, key: Situation, start: datetime, end: datetime) -> bool:
        ends = self._ends[key]
        index = bisect.bisect_right(ends, start)  # first interval ending after start
        return index < len(ends) and self._starts[key][index] < end

    def depth(self, key: Situation, start: datetime, end: datetime) -> float:
        """Minutes from the nearer edge of the night to the slot's deepest moment in it."""
        starts, ends = self._starts[key], self._ends[key]
        deepest = 0.0
        index = bisect.bisect_right(ends, start)
        while index < len(ends) and starts[index] < end:
            night_start, night_end = starts[index], ends[index]
            middle = night_start + (night_end - night_start) / 2
            point = min(max(middle, max(start, night_start)), min(end, night_end))
            reach = min(point - night_start, night_end - point) / timedelta(minutes=1)
            deepest = max(deepest, reach)
            index += 1
        return deepest


def score_slot(
    start: datetime,
    end: datetime,
    attendees: Sequence[Attendee],
    nights: NightIndex,
    book: HolidayBook,
) -> Slot:
    night: list[int] = []
    on_holiday: list[tuple[int, str]] = []
    score = 0.0
    depth = 0.0
    seen: dict[Situation, tuple[bool, float, str | None]] = {}
    for person in attendees:
        key = situation(person)
        if key not in seen:
            in_night = nights.overlaps(key, start, end)
            reach = nights.depth(key, start, end) if in_night else 0.0
            holiday = None
            days = {start.astimezone(person.zone).date(), end.astimezone(person.zone).date()}
            for day in sorted(days):
                holiday = book.holiday(person.country, day)
                if holiday is not None:
                    break
            seen[key] = (in_night, reach, holiday)
        in_night, reach, holiday = seen[key]
        if in_night:
            night.append(person.key)
            depth += reach
        if holiday is not None:
            on_holiday.append((person.key, holiday))
        if in_night or holiday is not None:
            score += 1.0 + min(1.0, max(0.0, person.burden))
    return Slot(start, end, tuple(night), tuple(on_holiday), score, depth)


def candidate_starts(
    first_day: date, last_day: date, zone: ZoneInfo, step: timedelta, after: datetime
) -> list[datetime]:
    """Wall-clock grid in the asker's zone (every `step` from midnight), as UTC instants after
    `after`; wall times in a DST gap are skipped, repeated ones counted once."""
    found: dict[datetime, None] = {}
    day = first_day
    while day <= last_day:
        moment = datetime.combine(day, time(0))
        while moment.date() == day:
            result = resolve_wall_time(moment, zone)
            if result.adjustment != "gap" and result.instant > after:
                found[result.instant] = None
            moment += step
        day += timedelta(days=1)
    return sorted(found)


def rank_slots(
    starts: Iterable[datetime],
    duration: timedelta,
    attendees: Sequence[Attendee],
    book: HolidayBook,
    *,
    busy: Sequence[tuple[datetime, datetime]] = (),
    limit: int = 5,
    per_day: int = 2,
    day_zone: ZoneInfo | None = None,
) -> list[Slot]:
    """The best `limit` slots: not clashing with `busy` intervals, not overlapping each other,
    at most `per_day` on one local day of `day_zone`, best first."""
    ordered = sorted(starts)
    if not ordered:
        return []
    # A day either side, so nights are whole (their depth is measured from both edges).
    margin = timedelta(days=1)
    nights = NightIndex(attendees, ordered[0] - margin, ordered[-1] + duration + margin)
    scored = [
        score_slot(start, start + duration, attendees, nights, book)
        for start in ordered
        if not any(start < b_end and start + duration > b_start for b_start, b_end in busy)
    ]
    scored.sort(key=lambda slot: slot.rank_key)
    chosen: list[Slot] = []
    per: dict[date, int] = {}
    for slot in scored:
        if len(chosen) == limit:
            break
        if any(slot.start < c.end and slot.end > c.start for c in chosen):
            continue
        day = slot.start.astimezone(day_zone).date() if day_zone else slot.start.date()
        if per.get(day, 0) >= per_day:
            continue
        per[day] = per.get(day, 0) + 1
        chosen.append(slot)
    return chosen
