"""How scheduling shows times, durations, rules and answers to one reader (Babel-formatted,
in the reader's language and zone)."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel import dates as babel_dates

from bot.i18n import Translator, _
from bot.messages import Choice
from bot.timeparse import parse_rrule
from storage.models.scheduling import ScheduledSession

ANSWER_IDS = {
    "yes": _("scheduling.answer_yes"),
    "no": _("scheduling.answer_no"),
    "maybe": _("scheduling.answer_maybe"),
}


def when_local(tr: Translator, instant: datetime, zone: ZoneInfo) -> str:
    """Like "Tuesday, December 8, 2026 at 6:00 PM (GMT+1)": for lists whose header names the zone."""
    return tr.datetime(instant, zone)


def when_full(tr: Translator, instant: datetime, zone: ZoneInfo) -> str:
    """Like "Tuesday, December 8, 2026 at 6:00 PM (Europe/Berlin, GMT+1)"."""
    local = instant.astimezone(zone)
    offset = tr.utc_offset(local)
    base = tr.datetime(instant, zone)
    suffix = f" ({offset})"
    if base.endswith(suffix):
        base = base[: -len(suffix)]
    return tr.t(_("scheduling.when_zone"), when=base, zone=zone.key, offset=offset)


def when_short(tr: Translator, instant: datetime, zone: ZoneInfo) -> str:
    """Like "Tue, Dec 8, 2026, 6:00 PM"."""
    return tr.memo(("when_short", instant, zone.key), lambda: _when_short(tr, instant, zone))


def _when_short(tr: Translator, instant: datetime, zone: ZoneInfo) -> str:
    local = instant.astimezone(zone)
    day = tr.skeleton("yMMMEd", local)
    clock = babel_dates.format_time(local, format="short", locale=tr.locale)
    pattern = str(babel_dates.get_datetime_format("medium", tr.locale)).replace("'", "")
    return pattern.replace("{1}", day).replace("{0}", clock)


def day_short(tr: Translator, instant: datetime, zone: ZoneInfo) -> str:
    """Like "Tue, Dec 8"."""
    return tr.skeleton("MMMEd", instant.astimezone(zone))


def clock(tr: Translator, instant: datetime, zone: ZoneInfo) -> str:
    return tr.time(instant.astimezone(zone))


def span(
    tr: Translator, start: datetime, end: datetime, zone: ZoneInfo, *, with_zone: bool = True
) -> str:
    """Like "Tue, Dec 8, 2026, 6:00 PM–7:30 PM (Europe/Berlin, GMT+1)"; the zone left out when
    the reader knows it."""
    offset = tr.utc_offset(start.astimezone(zone))
    base = f"{when_short(tr, start, zone)}–{clock(tr, end, zone)}"
    if not with_zone:
        return f"{base} ({offset})"
    return tr.t(_("scheduling.when_zone"), when=base, zone=zone.key, offset=offset)


def duration_text(tr: Translator, value: timedelta, *, days_too: bool = True) -> str:
    """A duration in words: "1 hour and 30 minutes", "2 days" ("48 hours" without
    `days_too`)."""
    total = int(value.total_seconds() // 60)
    return tr.memo(("duration", total, days_too), lambda: _duration(tr, total, days_too))


def _duration(tr: Translator, total: int, days_too: bool) -> str:
    days, rest = divmod(total, 1440) if days_too else (0, total)
    hours, minutes = divmod(rest, 60)
    parts = []
    # Plural messages, not CLDR's unit patterns: those give the Arabic dual in the nominative
    # ("ساعتان"), where every sentence of ours needs it after a preposition ("ساعتين").
    if days:
        parts.append(tr.tn(_("scheduling.duration_days"), days))
    if hours:
        parts.append(tr.tn(_("scheduling.duration_hours"), hours))
    if minutes or not parts:
        parts.append(tr.tn(_("scheduling.duration_minutes"), minutes))
    return tr.join(parts)


def until_text(tr: Translator, value: timedelta) -> str:
    """How long until something, rounded for reading: "3 days", "24 hours", "1 hour and 5
    minutes"."""
    if value >= timedelta(hours=48):
        return duration_text(tr, timedelta(days=round(value / timedelta(days=1))))
    if value >= timedelta(hours=3):
        hours = timedelta(hours=round(value / timedelta(hours=1)))
        return duration_text(tr, hours, days_too=False)
    minutes = timedelta(minutes=max(1, round(value / timedelta(minutes=1))))
    return duration_text(tr, minutes, days_too=False)


def repeat_text(tr: Translator, session: ScheduledSession, zone: ZoneInfo) -> str:
    """Like "every week until Tue, Jan 26, 2027" in the reader's words, or "" for a one-off."""
    if session.rrule is None:
        return ""
    rule = parse_rrule(session.rrule)
    if rule.freq == "DAILY":
        every = tr.tn(_("scheduling.every_days"), rule.interval)
    else:
        every = tr.tn(_("scheduling.every_weeks"), rule.interval)
    if rule.until is None:
        return every
    last_day = tr.skeleton("yMMMEd", rule.until.astimezone(ZoneInfo(session.zone)))
    return tr.t(_("scheduling.repeat_until"), every=every, date=last_day)


def answer_label(tr: Translator, answer: str | None) -> str:
    if answer is None:
        return tr.t(_("scheduling.answer_none"))
    return tr.t(ANSWER_IDS[answer])


@lru_cache(maxsize=64)
def answer_choices(tr: Translator) -> tuple[Choice, ...]:
    """The answers to a reminder, in the reader's language (the same for every reader of a
    language: worked out once per translator)."""
    return tuple(Choice(key, tr.t(msgid)) for key, msgid in ANSWER_IDS.items())
