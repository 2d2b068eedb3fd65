"""A session as typed and checked but not saved yet: parsed from `addsession` words, kept in a
confirmation question's payload until the coordinator confirms."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.commands import Args
from bot.context import Context
from bot.errors import UserError
from bot.i18n import _
from bot.payloads import Payload
from bot.timeparse import (
    PLAN_AHEAD,
    Frequency,
    LocalResult,
    rrule_string,
    until_instant,
)
from handlers.scheduling.core import DEFAULT_DURATION, MAX_SESSION_DURATION
from handlers.scheduling.lookup import example_later, require_open, resolve_zone_text
from handlers.scheduling.parse import (
    EXAMPLE_ZONE,
    SessionWords,
    parse_session_duration,
    parse_until,
    parse_when,
    split_addsession,
)
from handlers.scheduling.text import when_full
from storage.models import Cohort
from storage.models.scheduling import SESSION_ACTIVE, ScheduledSession

CONFIRM = "scheduling.confirm"


@dataclass(frozen=True)
class Draft(Payload):
    """A session as typed, checked, not saved yet (carried by the confirmation question)."""

    title: str
    zone: str
    start_wall: str
    starts_at: datetime
    duration_minutes: int
    rrule: str | None
    recorded: bool
    adjustment: str | None = None

    def transient(self, cohort_id: int, session_id: int = 0, number: int = 0) -> ScheduledSession:
        """An unsaved session object, for expansion and checks."""
        return ScheduledSession(
            id=session_id,
            cohort_id=cohort_id,
            number=number,
            title=self.title,
            zone=self.zone,
            start_wall=self.start_wall,
            starts_at=self.starts_at,
            duration_minutes=self.duration_minutes,
            rrule=self.rrule,
            recorded=self.recorded,
            status=SESSION_ACTIVE,
            cancelled_at=None,
            sequence=0,
        )


def default_zone(ctx: Context, cohort: Cohort) -> str | None:
    person = ctx.require_person()
    return person.timezone or cohort.zone or None


def wall_of(result: LocalResult, zone: ZoneInfo) -> datetime:
    """The planned wall time: as typed (kept in a DST gap), or the instant's, for an offset."""
    if result.offset is not None:
        return result.instant.astimezone(zone).replace(tzinfo=None)
    return result.wall


def build_draft(ctx: Context, args: Args) -> Draft:
    cohort = require_open(ctx)
    words = split_addsession(args.words)
    zone_name = _zone_name(ctx, cohort, words)
    zone = ZoneInfo(zone_name)
    today = ctx.now.astimezone(zone).date()
    when = parse_when(words.when, zone, today, words.title)
    if when.instant <= ctx.now:
        raise UserError(
            _("scheduling.in_past"),
            when=when_full(ctx.tr, when.instant, zone),
            now=when_full(ctx.tr, ctx.now, zone),
            title=words.title,
            example=example_later(ctx.now, zone),
        )
    if when.instant > ctx.now + PLAN_AHEAD:
        raise UserError(_("time.too_far"), when=when_full(ctx.tr, when.instant, zone))
    duration = parse_session_duration(words.duration, DEFAULT_DURATION, MAX_SESSION_DURATION)
    wall = wall_of(when, zone)
    return Draft(
        title=words.title,
        zone=zone_name,
        start_wall=wall.isoformat(timespec="seconds"),
        starts_at=when.instant,
        duration_minutes=int(duration.total_seconds() // 60),
        rrule=_rule(ctx, words, when, zone, today),
        recorded=words.recorded,
        adjustment=when.adjustment,
    )


def _zone_name(ctx: Context, cohort: Cohort, words: SessionWords) -> str:
    """The zone typed, else the coordinator's, else the cohort's."""
    if words.zone is not None:
        return resolve_zone_text(ctx, words.zone)
    found = default_zone(ctx, cohort)
    if found is None:
        raise UserError(
            _("scheduling.no_zone"), title=words.title, when=words.when, example=EXAMPLE_ZONE
        )
    return found


def _rule(
    ctx: Context, words: SessionWords, when: LocalResult, zone: ZoneInfo, today: date
) -> str | None:
    """The recurrence rule of a repeating session (its `until` checked), None for one time."""
    if words.freq is None:
        return None
    until = None
    if words.until is not None:
        until_day = parse_until(words.until, today, words.title)
        if until_day > today + PLAN_AHEAD:
            raise UserError(_("time.too_far"), when=ctx.tr.date(until_day))
        until = until_instant(until_day, zone)
        if until < when.instant:
            raise UserError(
                _("scheduling.until_before_start"),
                until=until_day.isoformat(),
                start=when_full(ctx.tr, when.instant, zone),
                example=(when.instant.astimezone(zone).date() + timedelta(weeks=8)).isoformat(),
            )
    freq: Frequency = "DAILY" if words.freq == "DAILY" else "WEEKLY"
    return rrule_string(freq, until, interval=words.interval)


def moved_series_draft(
    session: ScheduledSession, new_start: datetime, zone_name: str
) -> ScheduledSession:
    zone = ZoneInfo(zone_name)
    wall = new_start.astimezone(zone).replace(tzinfo=None)
    return Draft(
        title=session.title,
        zone=zone_name,
        start_wall=wall.isoformat(timespec="seconds"),
        starts_at=new_start,
        duration_minutes=session.duration_minutes,
        rrule=session.rrule,
        recorded=session.recorded,
    ).transient(session.cohort_id, session.id, session.number)
