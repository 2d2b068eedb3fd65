"""What a coordinator must hear before members are told: who has the session in their night
(quiet hours), who has a public holiday that day, which planned wall times fall in a DST
gap or overlap, and whether the same session (title and start) is already scheduled."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.config import BotConfig, Config
from bot.context import Context
from bot.i18n import Translator, _
from bot.profile import default_quiet_hours, quiet_hours, zone_of
from bot.timeparse import parse_quiet_range
from handlers.scheduling.api import session_members
from handlers.scheduling.core import (
    CHECK_OCCURRENCES,
    HolidayBook,
    Occurrence,
    expand_session,
    overlaps_quiet,
    wall_notes,
)
from handlers.scheduling.text import clock, day_short, span
from storage.models import Cohort, Person
from storage.models.scheduling import SESSION_ACTIVE, ScheduledSession
from storage.repositories.people import display_name

CHECK_SPAN = timedelta(days=120)
NOTE_SPAN = timedelta(days=366)


def night_of(person: Person, config: Config) -> tuple[time, time]:
    """A person's quiet hours, or the default night when they (or the configuration) turned
    quiet hours off: a session at 03:00 is still at night for them."""
    return (
        quiet_hours(person, config)
        or default_quiet_hours(config)
        or parse_quiet_range(BotConfig().quiet_hours)  # the default's night
    )


@dataclass(frozen=True)
class PersonBurden:
    """How a set of occurrences lands for one person."""

    person: Person
    zone: ZoneInfo
    night: tuple[Occurrence, ...]
    holidays: tuple[tuple[Occurrence, str], ...]


def burden_of(
    person: Person,
    zone: ZoneInfo,
    occurrences: list[Occurrence],
    config: Config,
    book: HolidayBook,
    country: str | None,
) -> PersonBurden:
    night = night_of(person, config)
    in_night = tuple(o for o in occurrences if overlaps_quiet(o.start, o.end, zone, night))
    on_holiday: list[tuple[Occurrence, str]] = []
    for occurrence in occurrences:
        days: list[date] = sorted(
            {occurrence.start.astimezone(zone).date(), occurrence.end.astimezone(zone).date()}
        )
        for day in days:
            name = book.holiday(country, day)
            if name is not None:
                on_holiday.append((occurrence, name))
                break
    return PersonBurden(person, zone, in_night, tuple(on_holiday))


async def warnings_for(ctx: Context, draft: ScheduledSession, cohort: Cohort) -> list[str]:
    """One line per member who has the session (its first dates, for a series) in their night
    or on a public holiday, in the coordinator's language."""
    tr = ctx.tr
    occurrences = expand_session(draft, [], draft.starts_at, draft.starts_at + CHECK_SPAN)
    occurrences = occurrences[:CHECK_OCCURRENCES]
    if not occurrences:
        return []
    book = HolidayBook(tr.lang)
    lines: list[str] = []
    for person in await session_members(ctx.session, cohort.id):
        zone = zone_of(person, cohort.zone)
        burden = burden_of(person, zone, occurrences, ctx.config, book, person.country)
        if not burden.night and not burden.holidays:
            continue
        name = await display_name(ctx.session, person.id)
        if burden.night:
            first = burden.night[0]
            local = span(tr, first.start, first.end, zone)
            if len(occurrences) == 1:
                lines.append(tr.t(_("scheduling.warn_night"), name=name, time=local, zone=zone.key))
            else:
                lines.append(
                    tr.tn(
                        _("scheduling.warn_night_series"),
                        len(occurrences),
                        name=name,
                        count=tr.number(len(burden.night)),
                        time=local,
                        zone=zone.key,
                    )
                )
        for occurrence, holiday in burden.holidays[:3]:
            lines.append(
                tr.t(
                    _("scheduling.warn_holiday"),
                    name=name,
                    holiday=holiday,
                    date=day_short(tr, occurrence.start, zone),
                    country=tr.country_name(person.country or ""),
                )
            )
    return lines


def dst_notes(tr: Translator, draft: ScheduledSession, adjustment: str | None) -> list[str]:
    """The gap/fold rule, told: which planned wall times do not exist or exist twice."""
    zone = ZoneInfo(draft.zone)
    notes: list[str] = []
    if draft.rrule is None:
        if adjustment is None:
            return []
        walls = wall_notes(draft, draft.starts_at, draft.starts_at + timedelta(seconds=1))
    else:
        walls = wall_notes(draft, draft.starts_at, draft.starts_at + NOTE_SPAN)
    for note in walls[:4]:
        common = {
            "date": day_short(tr, note.instant, zone),
            "wall": tr.time(note.wall),
            "zone": zone.key,
            "actual": clock(tr, note.instant, zone),
        }
        if note.adjustment == "gap":
            notes.append(tr.t(_("scheduling.note_gap"), **common))
        else:
            notes.append(tr.t(_("scheduling.note_fold"), **common))
    return notes


async def duplicate_of(
    ctx: Context, draft: ScheduledSession, cohort: Cohort
) -> ScheduledSession | None:
    """An active session of the cohort with the same title (ignoring case and spacing) and the
    same start: saving the draft would schedule it twice and tell every member twice."""
    found = await ctx.session.execute(
        select(ScheduledSession).where(
            ScheduledSession.cohort_id == cohort.id,
            ScheduledSession.status == SESSION_ACTIVE,
            ScheduledSession.starts_at == draft.starts_at,
        )
    )
    wanted = " ".join(draft.title.split()).casefold()
    for session in found.scalars():
        if " ".join(session.title.split()).casefold() == wanted:
            return session
    return None
