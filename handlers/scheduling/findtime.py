"""`findtime DURATION [from DATE to DATE]`: ranked slot suggestions for the whole cohort, shown
in the asker's zone with who each one inconveniences (see handlers/scheduling/slots.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from bot.commands import Args, ClauseError, split_clauses
from bot.context import Context
from bot.errors import UserError
from bot.i18n import _
from bot.profile import zone_of
from bot.router import Router
from bot.timeparse import PLAN_AHEAD, ParseError, format_duration, parse_date
from handlers.scheduling.api import session_members, upcoming_occurrences
from handlers.scheduling.checks import burden_of, night_of
from handlers.scheduling.core import (
    MAX_SESSION_DURATION,
    HolidayBook,
    Occurrence,
    occurrence_of,
)
from handlers.scheduling.lookup import require_open
from handlers.scheduling.parse import parse_session_duration
from handlers.scheduling.slots import Attendee, Slot, candidate_starts, rank_slots
from handlers.scheduling.text import clock, day_short, duration_text, span
from storage.models import Person
from storage.repositories.people import display_name
from storage.repositories.scheduling import past_occurrences

router = Router()

DEFAULT_DAYS = 7
MAX_DAYS = 31
HISTORY = timedelta(days=90)
HISTORY_SESSIONS = 20
STEP = timedelta(minutes=30)
SUGGESTIONS = 5
RANGE_WORDS = frozenset({"from", "to"})


def _split_range(words: Sequence[str]) -> tuple[str | None, str | None]:
    """`from DATE to DATE` (either part optional; DATE may be several words: `in 2 weeks`)."""
    try:
        clauses = split_clauses(words, RANGE_WORDS)
    except ClauseError:
        raise UserError(_("scheduling.findtime_usage")) from None
    parts = clauses.values
    if clauses.lead or any(not value for value in parts.values()):
        raise UserError(_("scheduling.findtime_usage"))
    start = " ".join(parts["from"]) if "from" in parts else None
    end = " ".join(parts["to"]) if "to" in parts else None
    return start, end


def _day(text: str, today: date) -> date:
    try:
        return parse_date(text, today)
    except ParseError:
        raise UserError(_("scheduling.findtime_bad_date"), text=text) from None


@router.command(
    "findtime", usage="DURATION [from DATE to DATE]", help_id=_("scheduling.help_findtime")
)
async def findtime(ctx: Context, args: Args) -> None:
    cohort = require_open(ctx)
    if not args.words:
        raise UserError(_("scheduling.findtime_usage"))
    duration = parse_session_duration(args.words[0], timedelta(minutes=90), MAX_SESSION_DURATION)
    zone = ctx.zone
    today = ctx.now.astimezone(zone).date()
    first_text, last_text = _split_range(args.words[1:])
    first = _day(first_text, today) if first_text else today
    last = _day(last_text, today) if last_text else first + timedelta(days=DEFAULT_DAYS - 1)
    if first < today:
        raise UserError(
            _("scheduling.findtime_past"),
            date=first.isoformat(),
            example=(today + timedelta(days=1)).isoformat(),
        )
    if max(first, last) > today + PLAN_AHEAD:
        raise UserError(_("time.too_far"), when=ctx.tr.date(max(first, last)))
    if last < first:
        raise UserError(
            _("scheduling.findtime_order"), start=first.isoformat(), end=last.isoformat()
        )
    if (last - first).days + 1 > MAX_DAYS:
        raise UserError(_("scheduling.findtime_span"), days=MAX_DAYS)
    members = await session_members(ctx.session, cohort.id)
    book = HolidayBook(ctx.tr.lang)
    burdens = await _recent_burdens(ctx, members, book)
    attendees = [
        Attendee(
            key=person.id,
            zone=zone_of(person, cohort.zone),
            night=night_of(person, ctx.config),
            country=person.country,
            burden=burdens.get(person.id, 0.0),
        )
        for person in members
    ]
    starts = candidate_starts(first, last, zone, STEP, ctx.now + timedelta(minutes=30))
    window_end = (starts[-1] + duration) if starts else ctx.now
    busy = [
        (o.start, o.end)
        for o in await upcoming_occurrences(ctx.session, cohort.id, ctx.now, window_end)
    ]
    days = (last - first).days + 1
    slots = rank_slots(
        starts,
        duration,
        attendees,
        book,
        busy=busy,
        limit=SUGGESTIONS,
        per_day=max(2, -(-SUGGESTIONS // days)),
        day_zone=zone,
    )
    if not slots:
        raise UserError(
            _("scheduling.findtime_none"), start=first.isoformat(), end=last.isoformat()
        )
    by_key = {a.key: a for a in attendees}
    names = {person.id: await display_name(ctx.session, person.id) for person in members}
    lines = [
        ctx.tn(
            _("scheduling.findtime_header"),
            len(members),
            duration=duration_text(ctx.tr, duration),
            start=day_short(ctx.tr, datetime.combine(first, datetime.min.time(), zone), zone),
            end=day_short(ctx.tr, datetime.combine(last, datetime.min.time(), zone), zone),
            zone=zone.key,
        )
    ]
    for index, slot in enumerate(slots, start=1):
        lines.append(_slot_line(ctx, index, slot, by_key, names))
    tired = sorted((p for p in attendees if p.burden > 0), key=lambda p: (-p.burden, names[p.key]))
    if tired:
        shown = ", ".join(f"{names[p.key]} ({round(p.burden * 100)}%)" for p in tired[:6])
        lines.append(ctx.t(_("scheduling.findtime_fairness"), people=shown))
    best = slots[0].start.astimezone(zone)
    lines.append(
        ctx.t(
            _("scheduling.findtime_footer"),
            example=f'/addsession "…" {best:%Y-%m-%d %H:%M} for {format_duration(duration)}',
        )
    )
    await ctx.say("\n".join(lines))


def _slot_line(
    ctx: Context, index: int, slot: Slot, by_key: dict[int, Attendee], names: dict[int, str]
) -> str:
    when = span(ctx.tr, slot.start, slot.end, ctx.zone, with_zone=False)
    if not slot.inconvenienced:
        return ctx.t(_("scheduling.findtime_all_awake"), index=index, when=when)
    holidays = dict(slot.holidays)
    # People with the same reason (same local time, same holiday) are named together.
    groups: dict[str, list[str]] = {}
    for key in slot.inconvenienced:
        person = by_key[key]
        why: list[str] = []
        if key in slot.night:
            local = (
                f"{clock(ctx.tr, slot.start, person.zone)}–{clock(ctx.tr, slot.end, person.zone)}"
            )
            why.append(ctx.t(_("scheduling.findtime_night"), time=local))
        if key in holidays:
            why.append(ctx.t(_("scheduling.findtime_holiday"), holiday=holidays[key]))
        groups.setdefault("; ".join(why), []).append(names[key])
    reasons = [
        ctx.t(_("scheduling.findtime_person"), name=ctx.tr.join(people), why=why)
        for why, people in groups.items()
    ]
    return ctx.tn(
        _("scheduling.findtime_slot"),
        len(slot.inconvenienced),
        index=index,
        when=when,
        who="; ".join(reasons),
    )


async def _recent_burdens(
    ctx: Context, members: Sequence[Person], book: HolidayBook
) -> dict[int, float]:
    """Per person, the share of the cohort's recent sessions that fell in their night or on a
    holiday of theirs (current profiles)."""
    cohort = ctx.require_cohort()
    rows = await past_occurrences(ctx.session, cohort.id, ctx.now - HISTORY, ctx.now)
    recent: list[Occurrence] = [
        occurrence_of(session, row.original_start, row.start, row, False)
        for row, session in rows[-HISTORY_SESSIONS:]
    ]
    if not recent:
        return {}
    shares: dict[int, float] = {}
    for person in members:
        zone = zone_of(person, cohort.zone)
        burden = burden_of(person, zone, recent, ctx.config, book, person.country)
        hit = {o.key for o in burden.night} | {o.key for o, _name in burden.holidays}
        shares[person.id] = len(hit) / len(recent)
    return shares
