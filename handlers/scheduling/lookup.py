"""Finding what a scheduling command or answer is about: the cohort (open?), the session by
its number, an occurrence by date; shared by the session, RSVP and change commands."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.context import Context
from bot.errors import UserError
from bot.i18n import _
from bot.timeparse import (
    ParseError,
)
from handlers.cohorts import require_open as cohort_open
from handlers.scheduling.api import (
    occurrences_between,
)
from handlers.scheduling.core import (
    LOOK_AHEAD,
    Occurrence,
)
from handlers.scheduling.parse import (
    EXAMPLE_ZONE,
    parse_number,
)
from handlers.scheduling.text import (
    day_short,
)
from storage.models import STAFF_ROLES, Cohort
from storage.models.scheduling import (
    SESSION_ACTIVE,
    ScheduledSession,
)
from storage.repositories.cohorts import membership
from storage.repositories.scheduling import (
    ensure_occurrence_row,
    session_by_number,
)


def require_open(ctx: Context) -> Cohort:
    """The current cohort; a closed one refuses new or changed sessions (cohorts' rule)."""
    return cohort_open(ctx)


def resolve_zone_text(ctx: Context, text: str) -> str:
    try:
        resolution = ctx.services.zones.resolve(text)
    except ParseError:
        raise UserError(_("scheduling.unknown_zone"), zone=text, example=EXAMPLE_ZONE) from None
    if resolution.zone is None:
        options = ", ".join(c.zone for c in resolution.candidates)
        raise UserError(
            _("scheduling.zone_ambiguous"),
            zone=text,
            options=options,
            example=resolution.candidates[0].zone,
        )
    return str(resolution.zone)


def example_later(now: datetime, zone: ZoneInfo) -> str:
    tomorrow: date = now.astimezone(zone).date() + timedelta(days=1)
    return f"{tomorrow.isoformat()} 18:00"


async def find_session(ctx: Context, word: str | None) -> ScheduledSession:
    cohort = ctx.require_cohort()
    number = parse_number(word)
    session = await session_by_number(ctx.session, cohort.id, number) if number else None
    if session is None or session.status != SESSION_ACTIVE:
        raise UserError(_("scheduling.no_such_session"), number=word or "")
    return session


async def pick_occurrence(ctx: Context, session: ScheduledSession, word: str) -> Occurrence:
    """The occurrence on a local date (the sender's zone, or the session's)."""
    try:
        wanted = date.fromisoformat(word)
    except ValueError:
        raise UserError(
            _("scheduling.bad_occurrence_date"), text=word, number=session.number
        ) from None
    upcoming = await occurrences_between(ctx.session, session, ctx.now, ctx.now + LOOK_AHEAD)
    for zone in (ctx.zone, ZoneInfo(session.zone)):
        for occurrence in upcoming:
            if occurrence.start.astimezone(zone).date() == wanted:
                return occurrence
    dates = ", ".join(day_short(ctx.tr, o.start, ctx.zone) for o in upcoming[:4]) or "—"
    raise UserError(_("scheduling.no_occurrence_on"), date=word, number=session.number, dates=dates)


async def next_occurrence(ctx: Context, session: ScheduledSession) -> Occurrence:
    upcoming = await occurrences_between(ctx.session, session, ctx.now, ctx.now + LOOK_AHEAD)
    future = [o for o in upcoming if o.start > ctx.now]
    if not future:
        raise UserError(_("scheduling.nothing_ahead"), number=session.number)
    return future[0]


async def occurrence_at(ctx: Context, session: ScheduledSession, original: datetime) -> Occurrence:
    """The occurrence with this identity, materialized (it gets a row if it had none)."""
    around = await occurrences_between(
        ctx.session,
        session,
        ctx.now,
        ctx.now + LOOK_AHEAD,
    )
    for occurrence in around:
        if occurrence.original_start == original:
            if occurrence.row_id is None:
                row, _new = await ensure_occurrence_row(
                    ctx.session, session.id, original, occurrence.start, occurrence.end, ctx.now
                )
                occurrence = replace(occurrence, row_id=row.id)
            return occurrence
    raise UserError(_("scheduling.question_stale"))


async def enter_cohort_of_question(ctx: Context, cohort_id: int | None) -> None:
    """Questions are answered outside a command: find the cohort again (the question's, else
    the person's active one), and check the person is still staff there."""
    cohort_id = cohort_id or (ctx.person.active_cohort_id if ctx.person else None)
    if not isinstance(cohort_id, int):
        raise UserError(_("scheduling.question_stale"))
    cohort = await ctx.session.get(Cohort, cohort_id)
    member = await membership(ctx.session, cohort_id, ctx.require_person().id)
    if cohort is None or member is None or member.role not in STAFF_ROLES:
        raise UserError(_("scheduling.question_stale"))
    ctx.cohort, ctx.role = cohort, member.role
    require_open(ctx)


async def session_of_question(ctx: Context, session_id: int | None) -> ScheduledSession:
    """The active session a question is about, in its cohort (entered, as a command would)."""
    session = await ctx.session.get(ScheduledSession, session_id) if session_id else None
    if session is None or session.status != SESSION_ACTIVE:
        raise UserError(_("scheduling.question_stale"))
    await enter_cohort_of_question(ctx, session.cohort_id)
    return session


def bump(ctx: Context, session: ScheduledSession) -> None:
    session.sequence += 1
    session.updated_at = ctx.now
