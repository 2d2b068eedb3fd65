"""`calendar`: an iCalendar file of the person's sessions (every cohort they are in).

One VEVENT per session, with DTSTART in the session's own zone (TZID + VTIMEZONE), so a
weekly 18:00 Berlin session stays 18:00 Berlin in every calendar app across DST; RRULE for
series, EXDATE for cancelled occurrences, and an overriding VEVENT (RECURRENCE-ID) for each
moved one. UID and SEQUENCE are stable, so importing a newer file updates the events."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone, vRecur

from bot.commands import Args
from bot.context import Context
from bot.i18n import Translator, _
from bot.messages import Attachment
from bot.router import Router
from bot.timeparse import parse_rrule, rrule_string
from handlers.scheduling.core import session_wall
from handlers.scheduling.feed import feed as calendar_feed
from storage.models import Cohort
from storage.models.scheduling import (
    OCCURRENCE_CANCELLED,
    SESSION_CANCELLED,
    ScheduledSession,
    SessionOccurrence,
)
from storage.repositories.scheduling import occurrence_rows, sessions_of_person

router = Router()

FILENAME = "cohort-sessions.ics"
MIME = "text/calendar"
PRODID = "-//cohortbot//sessions//EN"


def _local(instant: datetime, zone: ZoneInfo) -> datetime:
    return instant.astimezone(zone)


def _uid(session: ScheduledSession) -> str:
    return f"session-{session.id}@cohortbot"


def _base_event(session: ScheduledSession, cohort: Cohort, tr: Translator, now: datetime) -> Event:
    event = Event()
    event.add("uid", _uid(session))
    event.add("dtstamp", now)
    event.add("last-modified", session.updated_at)
    event.add("sequence", session.sequence)
    event.add("summary", session.title)
    description = [
        tr.t(_("scheduling.calendar_description"), cohort=cohort.name, number=session.number)
    ]
    if session.recorded:
        description.append(tr.t(_("scheduling.recorded_note")))
    event.add("description", "\n".join(description))
    event.add("duration", timedelta(minutes=session.duration_minutes))
    return event


def session_events(
    session: ScheduledSession,
    cohort: Cohort,
    rows: Sequence[SessionOccurrence],
    tr: Translator,
    now: datetime,
) -> list[Event]:
    zone = ZoneInfo(session.zone)
    master = _base_event(session, cohort, tr, now)
    wall = session_wall(session).replace(tzinfo=zone)
    if session.rrule is None:
        row = rows[0] if rows else None
        moved = row is not None and row.moved
        master.add("dtstart", _local(row.start, zone) if row is not None and moved else wall)
        gone = session.status == SESSION_CANCELLED or (
            row is not None and row.status == OCCURRENCE_CANCELLED
        )
        master.add("status", "CANCELLED" if gone else "CONFIRMED")
        return [master]
    master.add("dtstart", wall)
    rule = parse_rrule(session.rrule)
    until = rule.until
    if session.status == SESSION_CANCELLED and session.cancelled_at is not None:
        stop = session.cancelled_at - timedelta(seconds=1)
        until = stop if until is None else min(until, stop)
    if until is not None and until < session.starts_at:
        master.add("rrule", vRecur.from_ical(session.rrule))
        master.add("status", "CANCELLED")
        return [master]
    value = rrule_string(rule.freq, until, count=rule.count, interval=rule.interval)
    master.add("rrule", vRecur.from_ical(value))
    master.add("status", "CONFIRMED")
    cancelled = [_local(r.original_start, zone) for r in rows if r.status == OCCURRENCE_CANCELLED]
    if cancelled:
        master.add("exdate", cancelled)
    events = [master]
    for row in rows:
        if not row.moved or row.status == OCCURRENCE_CANCELLED:
            continue
        override = _base_event(session, cohort, tr, now)
        override.add("recurrence-id", _local(row.original_start, zone))
        override.add("dtstart", _local(row.start, zone))
        override.add("status", "CONFIRMED")
        events.append(override)
    return events


def build_calendar(
    entries: Sequence[tuple[ScheduledSession, Cohort, Sequence[SessionOccurrence]]],
    tr: Translator,
    now: datetime,
    *,
    zone: str | None = None,
) -> bytes:
    """The calendar of `entries`; with `zone` (a live feed: the reader's zone) the calendar
    names it as its own (X-WR-TIMEZONE) and carries its VTIMEZONE too."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", tr.t(_("scheduling.calendar_name")))
    if zone:
        calendar.add("x-wr-timezone", zone)
    for session, cohort, rows in entries:
        for event in session_events(session, cohort, rows, tr, now):
            calendar.add_component(event)
    first = min((s.starts_at for s, _c, _r in entries), default=now) - timedelta(days=366)
    last = max(
        [now + timedelta(days=3 * 366)]
        + [s.ends_at + timedelta(days=366) for s, _c, _r in entries if s.ends_at is not None]
    )
    # Transitions for the years the events span, not the library's default 1970-2038.
    calendar.add_missing_timezones(first_date=first.date(), last_date=last.date())
    if zone and zone not in {tz.tz_name for tz in calendar.timezones}:
        calendar.add_component(
            Timezone.from_tzid(zone, first_date=first.date(), last_date=last.date())
        )
    data: bytes = calendar.to_ical()
    return data


@router.command("calendar", usage="[feed [off]]", help_id=_("scheduling.help_calendar"))
async def calendar(ctx: Context, args: Args) -> None:
    if args.words and args.words[0].lower() == "feed":
        await calendar_feed(ctx, args.words[1:])
        return
    person = ctx.require_person()
    entries = []
    for session, cohort in await sessions_of_person(ctx.session, person.id):
        entries.append((session, cohort, await occurrence_rows(ctx.session, session.id)))
    live = [s for s, _c, _r in entries if s.status != SESSION_CANCELLED]
    if not live:
        await ctx.reply(_("scheduling.calendar_empty"))
        return
    content = build_calendar(entries, ctx.tr, ctx.now)
    await ctx.say(
        ctx.tn(_("scheduling.calendar_sent"), len(live)),
        attachment=Attachment(FILENAME, content, MIME),
    )
