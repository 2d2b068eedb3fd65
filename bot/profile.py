"""Derived facts about a person that several capabilities need: zone, quiet hours, language."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from bot.config import Config
from bot.timeparse import in_quiet_hours, next_quiet_end, parse_quiet_range
from storage.models import Person

QUIET_OFF = "off"


def quiet_hours(person: Person, config: Config) -> tuple[time, time] | None:
    """The person's quiet hours (local), the configured default when unset, None when off."""
    if person.quiet_start == QUIET_OFF:
        return None
    if person.quiet_start and person.quiet_end:
        return time.fromisoformat(person.quiet_start), time.fromisoformat(person.quiet_end)
    return default_quiet_hours(config)


def default_quiet_hours(config: Config) -> tuple[time, time] | None:
    """`bot.quiet_hours`: everyone's quiet hours until they set their own; None when "off"."""
    if config.bot.quiet_hours.strip().lower() == QUIET_OFF:
        return None
    return parse_quiet_range(config.bot.quiet_hours)


def zone_of(person: Person, fallback: str | None = None) -> ZoneInfo:
    """The person's zone, else `fallback` (usually their cohort's), else UTC."""
    return ZoneInfo(person.timezone or fallback or "UTC")


def out_of_quiet(person: Person, config: Config, zone: ZoneInfo, instant: datetime) -> datetime:
    """`instant` (in UTC), or the end of the person's quiet hours when it falls inside them."""
    quiet = quiet_hours(person, config)
    if quiet is None:
        return instant.astimezone(UTC)
    return next_quiet_end(instant, zone, *quiet)


def is_quiet(person: Person, config: Config, zone: ZoneInfo, instant: datetime) -> bool:
    """Whether `instant` falls in the person's quiet hours (read in `zone`)."""
    quiet = quiet_hours(person, config)
    return quiet is not None and in_quiet_hours(instant.astimezone(zone), *quiet)
