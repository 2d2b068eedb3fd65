"""cancelsession and movesession: one occurrence or the whole series, members told.

A single occurrence keeps its identity (session id + original start) when moved; moving a
whole series re-plans it from the new start (future occurrence rows are removed, past ones
kept as history)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.commands import Args
from bot.context import Context
from bot.errors import UserError
from bot.i18n import _
from bot.messages import Choice
from bot.router import Answer, Router
from bot.timeparse import PLAN_AHEAD, parse_rrule
from handlers.cohorts import CohortClosed
from handlers.scheduling.api import occurrences_between
from handlers.scheduling.checks import warnings_for
from handlers.scheduling.core import LOOK_AHEAD, Occurrence, series_end
from handlers.scheduling.drafts import CONFIRM, Draft, moved_series_draft
from handlers.scheduling.jobs import (
    CANCEL_ONE,
    CANCEL_SERIES,
    MOVE_ONE,
    MOVE_SERIES,
    ensure_roll,
    materialize,
    notify_members,
    unschedule,
)
from handlers.scheduling.lookup import (
    bump,
    example_later,
    find_session,
    next_occurrence,
    occurrence_at,
    pick_occurrence,
    require_open,
    resolve_zone_text,
    session_of_question,
)
from handlers.scheduling.parse import DATE_WORD, DATETIME_WORD, RELATIVE_DAYS, parse_when, take_when
from handlers.scheduling.payloads import CancelScope, Confirm, MoveScope
from handlers.scheduling.text import day_short, repeat_text, when_full
from storage.models.scheduling import OCCURRENCE_CANCELLED, SESSION_CANCELLED, ScheduledSession
from storage.repositories.scheduling import (
    active_sessions,
    delete_unstarted_rows,
    ensure_occurrence_row,
)

router = Router()

CANCEL_SCOPE = "scheduling.cancel_scope"
MOVE_SCOPE = "scheduling.move_scope"


@router.command(
    "cancelsession", usage="NUMBER [DATE|all]", help_id=_("scheduling.help_cancelsession")
)
async def cancelsession(ctx: Context, args: Args) -> None:
    require_open(ctx)
    if not args.words:
        raise UserError(_("scheduling.cancel_usage"))
    session = await find_session(ctx, args.words[0])
    scope = (args.get(1) or "").lower()
    if session.rrule is None or scope in ("all", "series"):
        await cancel_series(ctx, session)
        return
    if scope:
        await cancel_one(ctx, session, await pick_occurrence(ctx, session, scope))
        return
    upcoming = await next_occurrence(ctx, session)
    day = day_short(ctx.tr, upcoming.start, ctx.zone)
    await ctx.ask(
        CANCEL_SCOPE,
        ctx.t(_("scheduling.cancel_which"), title=session.title, number=session.number),
        [
            Choice("one", ctx.t(_("scheduling.choice_only"), date=day)),
            Choice("series", ctx.t(_("scheduling.choice_series"))),
            Choice("keep", ctx.t(_("scheduling.choice_keep"))),
        ],
        payload=CancelScope(session.id, upcoming.original_start),
        privately=True,
    )


@router.question(CANCEL_SCOPE, payload=CancelScope, dropped=_("scheduling.dropped_cancel"))
async def cancel_scope(ctx: Context, answer: Answer[CancelScope]) -> None:
    if answer.key not in ("one", "series"):
        await ctx.reply(_("scheduling.nothing_changed"))
        return
    session = await session_of_question(ctx, answer.data.session_id)
    if answer.key == "series":
        await cancel_series(ctx, session)
        return
    original = answer.data.original
    assert original is not None
    await cancel_one(ctx, session, await occurrence_at(ctx, session, original))


async def cancel_one(ctx: Context, session: ScheduledSession, occurrence: Occurrence) -> None:
    row, _new = await ensure_occurrence_row(
        ctx.session,
        session.id,
        occurrence.original_start,
        occurrence.start,
        occurrence.end,
        ctx.now,
    )
    row.status = OCCURRENCE_CANCELLED
    row.changed_at = ctx.now
    occurrence = replace(occurrence, row_id=row.id, cancelled=True)
    await unschedule(ctx, occurrence)
    bump(ctx, session)
    told = await notify_members(
        ctx, session, CANCEL_ONE, occurrence=occurrence, old_start=occurrence.start
    )
    await ctx.say(
        "\n".join(
            [
                ctx.t(
                    _("scheduling.cancelled_one"),
                    title=session.title,
                    when=when_full(ctx.tr, occurrence.start, ctx.zone),
                ),
                ctx.tn(_("scheduling.members_told"), told),
            ]
        )
    )


async def cancel_series(ctx: Context, session: ScheduledSession) -> None:
    upcoming = await occurrences_between(ctx.session, session, ctx.now, ctx.now + LOOK_AHEAD)
    future = [o for o in upcoming if o.start > ctx.now]
    for occurrence in future:
        if occurrence.row_id is not None:
            await unschedule(ctx, replace(occurrence, cancelled=True))
    session.status = SESSION_CANCELLED
    session.cancelled_at = ctx.now
    bump(ctx, session)
    told = 0
    if future:
        told = await notify_members(
            ctx, session, CANCEL_SERIES, occurrence=future[0], old_start=future[0].start
        )
    if session.rrule or not future:
        msgid = (
            _("scheduling.cancelled_series") if session.rrule else _("scheduling.cancelled_single")
        )
        done = ctx.t(msgid, title=session.title, number=session.number)
    else:
        when = when_full(ctx.tr, future[0].start, ctx.zone)
        done = ctx.t(_("scheduling.cancelled_one"), title=session.title, when=when)
    await ctx.say(
        "\n".join(
            [
                done,
                ctx.tn(_("scheduling.members_told"), told),
            ]
        )
    )


@router.command(
    "movesession",
    usage="NUMBER [DATE] DATETIME [ZONE]",
    help_id=_("scheduling.help_movesession"),
)
async def movesession(ctx: Context, args: Args) -> None:
    require_open(ctx)
    words = args.words
    if len(words) < 2:
        raise UserError(_("scheduling.move_usage"))
    session = await find_session(ctx, words[0])
    index = 1
    selected: Occurrence | None = None
    if (
        len(words) > 2
        and DATE_WORD.match(words[1])
        and (
            DATE_WORD.match(words[2])
            or DATETIME_WORD.match(words[2])
            or words[2].lower() in RELATIVE_DAYS
        )
    ):
        selected = await pick_occurrence(ctx, session, words[1])
        index = 2
    when_text, index = take_when(words, index)
    explicit = " ".join(words[index:]) or None
    zone_name = (
        resolve_zone_text(ctx, explicit)
        if explicit
        else (ctx.require_person().timezone or session.zone)
    )
    zone = ZoneInfo(zone_name)
    new = parse_when(when_text, zone, ctx.now.astimezone(zone).date(), session.title)
    if new.instant <= ctx.now:
        raise UserError(_("scheduling.move_past"), example=example_later(ctx.now, zone))
    if new.instant > ctx.now + PLAN_AHEAD:
        raise UserError(_("time.too_far"), when=when_full(ctx.tr, new.instant, zone))
    series_zone = zone_name if explicit else session.zone
    if session.rrule is None:
        selected = selected or await next_occurrence(ctx, session)
    if selected is not None:
        await _move_one_checked(ctx, session, selected, new.instant)
        return
    upcoming = await next_occurrence(ctx, session)
    check_series_move(session, new.instant)
    day = day_short(ctx.tr, upcoming.start, ctx.zone)
    await ctx.ask(
        MOVE_SCOPE,
        ctx.t(
            _("scheduling.move_which"),
            title=session.title,
            number=session.number,
            when=when_full(ctx.tr, new.instant, ctx.zone),
        ),
        [
            Choice("one", ctx.t(_("scheduling.choice_only"), date=day)),
            Choice("series", ctx.t(_("scheduling.choice_series_from"))),
            Choice("keep", ctx.t(_("scheduling.choice_keep"))),
        ],
        payload=MoveScope(session.id, upcoming.original_start, new.instant, series_zone),
        privately=True,
    )


def check_series_move(session: ScheduledSession, new_start: datetime) -> None:
    if session.rrule is None:
        return
    rule = parse_rrule(session.rrule)
    if rule.until is not None and rule.until < new_start:
        zone = ZoneInfo(session.zone)
        raise UserError(
            _("scheduling.move_after_until"),
            until=rule.until.astimezone(zone).date().isoformat(),
            number=session.number,
        )


@router.question(MOVE_SCOPE, payload=MoveScope, dropped=_("scheduling.dropped_move"))
async def move_scope(ctx: Context, answer: Answer[MoveScope]) -> None:
    if answer.key not in ("one", "series"):
        await ctx.reply(_("scheduling.nothing_changed"))
        return
    session = await session_of_question(ctx, answer.data.session_id)
    new_start = answer.data.new_start
    original = answer.data.original
    assert new_start is not None and original is not None
    if new_start <= ctx.now:
        raise UserError(_("scheduling.move_past"), example=example_later(ctx.now, ctx.zone))
    if answer.key == "one":
        await _move_one_checked(
            ctx, session, await occurrence_at(ctx, session, original), new_start
        )
        return
    zone_name = answer.data.zone or session.zone
    check_series_move(session, new_start)
    draft = moved_series_draft(session, new_start, zone_name)
    warnings = await warnings_for(ctx, draft, ctx.require_cohort())
    if warnings:
        await _ask_confirm_move(
            ctx,
            session,
            new_start,
            warnings,
            Confirm("move_series", session_id=session.id, new_start=new_start, zone=zone_name),
        )
        return
    await move_series(ctx, session, new_start, zone_name)


async def _move_one_checked(
    ctx: Context, session: ScheduledSession, occurrence: Occurrence, new_start: datetime
) -> None:
    draft = Draft(
        title=session.title,
        zone=session.zone,
        start_wall=new_start.astimezone(ZoneInfo(session.zone)).replace(tzinfo=None).isoformat(),
        starts_at=new_start,
        duration_minutes=session.duration_minutes,
        rrule=None,
        recorded=session.recorded,
    ).transient(session.cohort_id, session.id, session.number)
    warnings = await warnings_for(ctx, draft, ctx.require_cohort())
    if warnings:
        await _ask_confirm_move(
            ctx,
            session,
            new_start,
            warnings,
            Confirm(
                "move_one",
                session_id=session.id,
                original=occurrence.original_start,
                new_start=new_start,
            ),
        )
        return
    await move_one(ctx, session, occurrence.original_start, new_start)


async def _ask_confirm_move(
    ctx: Context,
    session: ScheduledSession,
    new_start: datetime,
    warnings: list[str],
    payload: Confirm,
) -> None:
    lines = [
        ctx.t(
            _("scheduling.check_header"),
            title=session.title,
            when=when_full(ctx.tr, new_start, ctx.zone),
            zone=ctx.zone.key,
        ),
        *warnings,
        ctx.t(_("scheduling.confirm_move")),
    ]
    await ctx.ask(
        CONFIRM,
        "\n".join(lines),
        [
            Choice("yes", ctx.t(_("scheduling.choice_move"))),
            Choice("no", ctx.t(_("scheduling.choice_dont"))),
        ],
        payload=payload,
        privately=True,
    )


async def move_one(
    ctx: Context, session: ScheduledSession, original: datetime, new_start: datetime
) -> None:
    old = await occurrence_at(ctx, session, original)
    await unschedule(ctx, old)
    row, _new = await ensure_occurrence_row(
        ctx.session, session.id, original, old.start, old.end, ctx.now
    )
    duration = timedelta(minutes=session.duration_minutes)
    row.start, row.end = new_start, new_start + duration
    row.moved = new_start != row.original_start
    row.changed_at = ctx.now
    if session.rrule is None or (session.ends_at is not None and row.end > session.ends_at):
        session.ends_at = row.end
    bump(ctx, session)
    await ctx.session.flush()
    await materialize(ctx, session)
    await ensure_roll(ctx, session.cohort_id, ctx.now)
    moved = replace(old, start=new_start, end=new_start + duration, moved=row.moved)
    told = await notify_members(ctx, session, MOVE_ONE, occurrence=moved, old_start=old.start)
    await ctx.say(
        "\n".join(
            [
                ctx.t(
                    _("scheduling.moved_one"),
                    title=session.title,
                    old=when_full(ctx.tr, old.start, ctx.zone),
                    new=when_full(ctx.tr, new_start, ctx.zone),
                ),
                ctx.tn(_("scheduling.members_told"), told),
            ]
        )
    )


async def move_series(
    ctx: Context, session: ScheduledSession, new_start: datetime, zone_name: str
) -> None:
    check_series_move(session, new_start)
    upcoming = await occurrences_between(ctx.session, session, ctx.now, ctx.now + LOOK_AHEAD)
    for occurrence in upcoming:
        if occurrence.row_id is not None and occurrence.start > ctx.now:
            await unschedule(ctx, occurrence)
    await delete_unstarted_rows(ctx.session, session.id, ctx.now)
    moved = moved_series_draft(session, new_start, zone_name)
    session.zone = moved.zone
    session.start_wall = moved.start_wall
    session.starts_at = new_start
    session.ends_at = series_end(session)
    bump(ctx, session)
    await ctx.session.flush()
    await materialize(ctx, session)
    await ensure_roll(ctx, session.cohort_id, ctx.now)
    told = await notify_members(ctx, session, MOVE_SERIES)
    zone = ZoneInfo(session.zone)
    await ctx.say(
        "\n".join(
            [
                ctx.t(
                    _("scheduling.moved_series"),
                    title=session.title,
                    new=when_full(ctx.tr, new_start, ctx.zone),
                    repeat=repeat_text(ctx.tr, session, zone),
                ),
                ctx.tn(_("scheduling.members_told"), told),
            ]
        )
    )


@router.on(CohortClosed)
async def cohort_closed(ctx: Context, event: CohortClosed) -> None:
    """A cohort closed: its sessions end now. Future dates lose their reminders and jobs (other
    capabilities are told through `OccurrenceCancelled`); members were told of the closing."""
    cohort = event.cohort
    for session in await active_sessions(ctx.session, cohort.id):
        upcoming = await occurrences_between(ctx.session, session, ctx.now, ctx.now + LOOK_AHEAD)
        for occurrence in upcoming:
            if occurrence.row_id is not None and occurrence.start > ctx.now:
                await unschedule(ctx, replace(occurrence, cancelled=True))
        session.status = SESSION_CANCELLED
        session.cancelled_at = ctx.now
        bump(ctx, session)
