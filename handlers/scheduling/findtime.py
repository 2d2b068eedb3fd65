"""`findtime DURATION [from DATE to DATE]`: ranked slot suggestions for the whole cohort, shown
in the asker's zone with who each one inconveniences. The command gathers the people, their
recent burden and the sessions already planned; reading the request (findtime_request.py),
choosing the slots (findtime_search.py, slots.py) and wording them (findtime_text.py) are
separate."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from bot.commands import Args
from bot.context import Context
from bot.i18n import _
from bot.profile import zone_of
from bot.router import Router
from handlers.scheduling.api import session_members, upcoming_occurrences
from handlers.scheduling.checks import burden_of, night_of
from handlers.scheduling.core import HolidayBook, Occurrence, occurrence_of
from handlers.scheduling.findtime_request import Refusal, parse_request
from handlers.scheduling.findtime_search import propose_slots, slot_search
from handlers.scheduling.findtime_text import no_slots_error, refusal_error, suggestions_text
from handlers.scheduling.lookup import require_open
from handlers.scheduling.slots import Attendee
from storage.models import Person
from storage.repositories.people import display_name
from storage.repositories.scheduling import past_occurrences

router = Router()

HISTORY = timedelta(days=90)
HISTORY_SESSIONS = 20


@router.command(
    "findtime", usage="DURATION [from DATE to DATE]", help_id=_("scheduling.help_findtime")
)
async def findtime(ctx: Context, args: Args) -> None:
    cohort = require_open(ctx)
    request = parse_request(args.words, ctx.now.astimezone(ctx.zone).date())
    if isinstance(request, Refusal):
        raise refusal_error(ctx.tr, request)
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
    search = slot_search(request, ctx.zone, ctx.now)
    start, end = search.busy_window(ctx.now)
    busy = [
        (o.start, o.end) for o in await upcoming_occurrences(ctx.session, cohort.id, start, end)
    ]
    slots = propose_slots(search, attendees, book, busy)
    if not slots:
        raise no_slots_error(request)
    names = {person.id: await display_name(ctx.session, person.id) for person in members}
    await ctx.say(suggestions_text(ctx, request, slots, attendees, names))


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
