"""RSVP: `rsvp NUMBER [DATE|all] yes|no|maybe`, and the choices on notices and reminders.

An answer holds for one occurrence, or (`all`, or the choices on a new series' notice) for the
whole series; an answer for one occurrence wins over the series answer. "no" means no
reminders for that occurrence (checked when each reminder is due, so changing one's mind
brings them back)."""

from __future__ import annotations

from dataclasses import replace
from zoneinfo import ZoneInfo

from bot.commands import Args
from bot.context import Context
from bot.errors import UserError
from bot.i18n import _
from bot.router import Answer, Router
from handlers.scheduling.api import occurrence_by_id
from handlers.scheduling.core import Occurrence
from handlers.scheduling.jobs import RSVP_QUESTION
from handlers.scheduling.lookup import find_session, next_occurrence, pick_occurrence
from handlers.scheduling.payloads import RsvpQuestion
from handlers.scheduling.text import ANSWER_IDS, answer_label, when_full
from storage.models import Cohort
from storage.models.scheduling import RSVP_ANSWERS, SESSION_ACTIVE, ScheduledSession
from storage.repositories.cohorts import membership
from storage.repositories.scheduling import ensure_occurrence_row, set_rsvp

router = Router()

SERIES_WORDS = ("all", "series", "every")


def parse_answer(ctx: Context, word: str) -> str:
    folded = word.strip().casefold()
    english = ctx.services.catalogs.translator("en")
    for key, msgid in ANSWER_IDS.items():
        if folded in (key, ctx.t(msgid).casefold(), english.t(msgid).casefold()):
            return key
    raise UserError(_("scheduling.bad_answer"), text=word)


@router.command(
    "rsvp",
    usage="NUMBER [DATE|all] yes|no|maybe",
    help_id=_("scheduling.help_rsvp"),
)
async def rsvp(ctx: Context, args: Args) -> None:
    words = args.words
    if len(words) < 2 or len(words) > 3:
        raise UserError(_("scheduling.rsvp_usage"))
    session = await find_session(ctx, words[0])
    answer = parse_answer(ctx, words[-1])
    scope = words[1].lower() if len(words) == 3 else None
    occurrence: Occurrence | None = None
    if scope in SERIES_WORDS or (scope is None and session.rrule is None):
        occurrence = None
    elif scope is not None:
        occurrence = await pick_occurrence(ctx, session, scope)
    else:
        occurrence = await next_occurrence(ctx, session)
    if occurrence is not None and occurrence.row_id is None:
        row, _new = await ensure_occurrence_row(
            ctx.session,
            session.id,
            occurrence.original_start,
            occurrence.start,
            occurrence.end,
            ctx.now,
        )
        occurrence = replace(occurrence, row_id=row.id)
    await record(ctx, session, occurrence, answer)


async def record(
    ctx: Context, session: ScheduledSession, occurrence: Occurrence | None, answer: str
) -> None:
    person = ctx.require_person()
    await set_rsvp(
        ctx.session,
        session_id=session.id,
        person_id=person.id,
        occurrence_id=occurrence.row_id if occurrence is not None else None,
        answer=answer,
        now=ctx.now,
    )
    label = answer_label(ctx.tr, answer)
    if occurrence is None and session.rrule is not None:
        text = ctx.t(_("scheduling.rsvp_series"), answer=label, title=session.title)
    else:
        start = occurrence.start if occurrence is not None else session.starts_at
        text = ctx.t(
            _("scheduling.rsvp_saved"),
            answer=label,
            title=session.title,
            when=when_full(ctx.tr, start, ctx.zone),
        )
    lines = [text]
    if answer == "no":
        lines.append(ctx.t(_("scheduling.rsvp_no_reminders")))
    await ctx.say("\n".join(lines))


@router.question(RSVP_QUESTION, payload=RsvpQuestion)
async def answered(ctx: Context, answer: Answer[RsvpQuestion]) -> None:
    if answer.key not in RSVP_ANSWERS:
        raise UserError(_("scheduling.question_stale"))
    person = ctx.require_person()
    session_id = answer.data.session_id
    session = await ctx.session.get(ScheduledSession, session_id) if session_id else None
    if session is None or session.status != SESSION_ACTIVE:
        raise UserError(_("scheduling.question_stale"))
    member = await membership(ctx.session, session.cohort_id, person.id)
    if member is None:
        raise UserError(_("scheduling.question_stale"))
    ctx.cohort = await ctx.session.get(Cohort, session.cohort_id)
    occurrence = None
    occurrence_id = answer.data.occurrence_id
    if occurrence_id is not None:
        occurrence = await occurrence_by_id(ctx.session, occurrence_id)
        if occurrence is None or occurrence.cancelled:
            raise UserError(_("scheduling.question_stale"))
        if occurrence.end <= ctx.now:
            zone = ctx.zone_of(person) if ctx.cohort else ZoneInfo("UTC")
            raise UserError(
                _("scheduling.rsvp_over"), when=when_full(ctx.tr, occurrence.start, zone)
            )
    await record(ctx, session, occurrence, answer.key)
