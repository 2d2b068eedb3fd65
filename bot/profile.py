"""Derived facts about a person that several capabilities need: zone, quiet hours, language."""

from __future__ import annotations

from datetime import time
from zoneinfo import ZoneInfo

from bot.config import Config
from bot.timeparse import parse_quiet_range
from storage.models import Person

QUIET_OFF = "off"


def quiet_hours(person: Person, config: Config) -> tuple[time, time] | None:
    """The person's quiet hours (local), the configured default when unset, None when off."""
    if person.quiet_start == QUIET_OFF:
        return None
    if person.quiet_start and person.quiet_end:
        return time.fromisoformat(person.quiet_start), time.fromisoformat(person.quiet_end)
    return parse_quiet_range(config.bot.quiet_hours)


def zone_of(person: Person, fallback: str = "UTC") -> ZoneInfo:
    return ZoneInfo(person.timezone or fallback)
