"""addsession, and the confirmation that follows warnings (for new and moved sessions).

A new or moved session is checked first (members in their night or on a public holiday, DST
gaps and overlaps). With anything to warn about, the coordinator sees the warnings and
confirms before anything is saved or anyone is told; without, it is saved at once. Members
are told by a notice job each, at the end of their quiet hours if they are asleep, in their
language and zone, with RSVP choices."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from bot.commands import Args
from bot.context import Context
from bot.errors import UserError
from bot.i18n import _
from bot.messages import Address, Choice
from bot.payloads import PayloadError
from bot.router import Answer, Router
from handlers.scheduling.changes import move_one, move_series
from handlers.scheduling.checks import dst_notes, duplicate_of, warnings_for
from handlers.scheduling.core import first_zone, series_end
from handlers.scheduling.drafts import CONFIRM, Draft, build_draft
from handlers.scheduling.jobs import NEW, ensure_roll, materialize, notify_members
from handlers.scheduling.lookup import (
    enter_cohort_of_question,
    example_later,
    require_open,
    session_of_question,
)
from handlers.scheduling.payloads import Confirm
from handlers.scheduling.text import duration_text, repeat_text, when_full
from storage.models import Cohort
from storage.models.scheduling import SESSION_ACTIVE, ScheduledSession
from storage.repositories.cohorts import bound_chats
from storage.repositories.scheduling import next_session_number

router = Router()


@router.command(
    "addsession",
    usage='"TITLE" DATETIME [ZONE] [for DURATION] [every day|week [until DATE]] [recorded]',
    help_id=_("scheduling.help_addsession"),
)
async def addsession(ctx: Context, args: Args) -> None:
    draft = build_draft(ctx, args)
    cohort = require_open(ctx)
    transient = draft.transient(cohort.id)
    warnings = await warnings_for(ctx, transient, cohort)
    notes = dst_notes(ctx.tr, transient, draft.adjustment)
    twin = await duplicate_of(ctx, transient, cohort)
    if not warnings and twin is None:
        await create_session(ctx, draft, notes)
        return
    zone = ZoneInfo(draft.zone)
    when = when_full(ctx.tr, draft.starts_at, zone)
    lines = []
    if twin is not None:
        lines.append(
            ctx.t(_("scheduling.duplicate"), number=twin.number, title=twin.title, when=when)
        )
    if warnings:
        header = _("scheduling.check_header_also") if twin else _("scheduling.check_header")
        lines.extend([ctx.t(header, title=draft.title, when=when, zone=draft.zone), *warnings])
    lines.extend([*notes, ctx.t(_("scheduling.confirm_add"))])
    await ctx.ask(
        CONFIRM,
        "\n".join(lines),
        [
            Choice("yes", ctx.t(_("scheduling.choice_schedule"))),
            Choice("no", ctx.t(_("scheduling.choice_dont"))),
        ],
        payload=Confirm("add", draft=draft, cohort_id=cohort.id),
        privately=True,
    )


async def create_session(ctx: Context, draft: Draft, notes: list[str]) -> ScheduledSession:
    cohort = require_open(ctx)
    person = ctx.require_person()
    session = ScheduledSession(
        cohort_id=cohort.id,
        number=await next_session_number(ctx.session, cohort.id),
        title=draft.title,
        zone=draft.zone,
        start_wall=draft.start_wall,
        starts_at=draft.starts_at,
        duration_minutes=draft.duration_minutes,
        rrule=draft.rrule,
        recorded=draft.recorded,
        status=SESSION_ACTIVE,
        sequence=0,
        created_by=person.id,
        created_at=ctx.now,
        updated_at=ctx.now,
    )
    session.ends_at = series_end(session)
    ctx.session.add(session)
    await ctx.session.flush()
    await materialize(ctx, session)
    await ensure_roll(ctx, cohort.id, ctx.now)
    told = await notify_members(ctx, session, NEW)
    await _post_to_chats(ctx, session, cohort)
    zone = ZoneInfo(session.zone)
    lines = [
        ctx.t(
            _("scheduling.created"),
            number=session.number,
            title=session.title,
            when=when_full(ctx.tr, session.starts_at, zone),
            zone=session.zone,
            duration=duration_text(ctx.tr, timedelta(minutes=session.duration_minutes)),
        )
    ]
    if session.rrule:
        lines.append(repeat_text(ctx.tr, session, zone))
    if person.timezone and session.zone != person.timezone:
        mine = ZoneInfo(person.timezone)
        lines.append(
            ctx.t(
                _("scheduling.your_time"),
                when=when_full(ctx.tr, session.starts_at, mine),
                zone=mine.key,
            )
        )
    if session.recorded:
        lines.append(ctx.t(_("scheduling.recorded_note")))
    lines.extend(notes)
    lines.append(ctx.tn(_("scheduling.members_told"), told))
    await ctx.say("\n".join(lines))
    return session


async def _post_to_chats(ctx: Context, session: ScheduledSession, cohort: Cohort) -> None:
    chats = await bound_chats(ctx.session, cohort.id)
    if not chats:
        return

    tr = ctx.services.catalogs.translator(ctx.config.bot.default_language)
    zone = first_zone(cohort.zone, session.zone)
    text = tr.t(
        _("scheduling.chat_new"),
        number=session.number,
        title=session.title,
        when=when_full(tr, session.starts_at, zone),
        zone=zone.key,
    )
    for chat in chats:
        await ctx.send_to_chat(Address(chat.platform, chat.chat_id, is_group=True), text)


@router.question(CONFIRM, payload=Confirm, dropped=_("scheduling.dropped_confirm"))
async def confirmed(ctx: Context, answer: Answer[Confirm]) -> None:
    if answer.key != "yes":
        await ctx.reply(_("scheduling.nothing_changed"))
        return
    action = answer.data.action
    if action == "add":
        draft = answer.data.draft
        if draft is None:
            raise PayloadError(CONFIRM, "draft", "is missing")
        await enter_cohort_of_question(ctx, answer.data.cohort_id)
        if draft.starts_at <= ctx.now:
            raise UserError(
                _("scheduling.in_past"),
                when=when_full(ctx.tr, draft.starts_at, ZoneInfo(draft.zone)),
                now=when_full(ctx.tr, ctx.now, ZoneInfo(draft.zone)),
                title=draft.title,
                example=example_later(ctx.now, ZoneInfo(draft.zone)),
            )
        transient = draft.transient(0)
        await create_session(ctx, draft, dst_notes(ctx.tr, transient, draft.adjustment))
        return
    session = await session_of_question(ctx, answer.data.session_id)
    new_start = answer.data.new_start
    assert new_start is not None
    if new_start <= ctx.now:
        raise UserError(_("scheduling.move_past"), example=example_later(ctx.now, ctx.zone))
    if action == "move_one":
        original = answer.data.original
        assert original is not None
        await move_one(ctx, session, original, new_start)
    elif action == "move_series":
        await move_series(ctx, session, new_start, str(answer.data.zone))
