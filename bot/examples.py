"""Example dates in help texts and error replies, relative to today in the reader's zone and
written as the parsers accept them (ISO): an example copied from a reply always works. Messages
name them as placeholders ({ex_when}, {ex_date}...); Context.t fills them in."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

EXAMPLE_TIME = "18:00"


def _when(day: date) -> str:
    return f"{day.isoformat()} {EXAMPLE_TIME}"


def example_dates(now: datetime, zone: ZoneInfo) -> dict[str, str]:
    """ex_date: tomorrow; ex_when: tomorrow 18:00; ex_next / ex_next_when: the day after;
    ex_to / ex_to_far: 4 and 13 days after tomorrow (a find-a-time range, a long one);
    ex_until: 8 weeks after tomorrow (the end of a series, a commitment's date);
    ex_past: a week ago (an earlier meeting)."""
    today = now.astimezone(zone).date()
    tomorrow = today + timedelta(days=1)
    after = tomorrow + timedelta(days=1)
    return {
        "ex_date": tomorrow.isoformat(),
        "ex_when": _when(tomorrow),
        "ex_next": after.isoformat(),
        "ex_next_when": _when(after),
        "ex_to": (tomorrow + timedelta(days=4)).isoformat(),
        "ex_to_far": (tomorrow + timedelta(days=13)).isoformat(),
        "ex_until": (tomorrow + timedelta(weeks=8)).isoformat(),
        "ex_past": (today - timedelta(days=7)).isoformat(),
    }
