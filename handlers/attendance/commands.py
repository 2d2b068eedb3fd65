"""`attendance SESSION` / `attendance SESSION NAME...` / `attendance SESSION absent NAME...`:
facilitators mark who attended the session's latest occurrence that has begun (the dashboard's
session page does the same). Marks feed the evaluation report's attendance rate.

NAME is a roster number, a display name or an @username, as for `role`; several at once."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.commands import Args, pick_number
from bot.context import Context
from bot.errors import UserError
from bot.i18n import _
from bot.router import Router
from handlers.cohorts import find_member, name_of
from handlers.scheduling import session_members
from storage.repositories.attendance import latest_started, mark, marks_of
from storage.repositories.cohorts import identities_for
from storage.repositories.scheduling import session_by_number

router = Router()

ABSENT_WORDS = frozenset({"absent", "no", "-"})
PRESENT_WORDS = frozenset({"present", "yes", "+"})


@router.command("attendance", usage="SESSION [absent] [NAME...]", help_id=_("web.help_attendance"))
async def attendance(ctx: Context, args: Args) -> None:
    cohort = ctx.require_cohort()
    number = pick_number(args.get(0))
    if number is None:
        raise UserError(_("web.attendance_usage"))
    session = await session_by_number(ctx.session, cohort.id, number)
    if session is None:
        raise UserError(_("web.attendance_no_session"), number=number)
    occurrence = await latest_started(ctx.session, session.id, ctx.now)
    if occurrence is None:
        raise UserError(_("web.attendance_not_started"), number=number, title=session.title)
    words = list(args.words[1:])
    attended = True
    if words and words[0].lower() in ABSENT_WORDS | PRESENT_WORDS:
        attended = words.pop(0).lower() in PRESENT_WORDS
    marker = ctx.require_person().id
    for wanted in words:
        row = await find_member(ctx, cohort, wanted, "")
        await mark(
            ctx.session,
            occurrence_id=occurrence.id,
            person_id=row.person.id,
            attended=attended,
            marked_by=marker,
            now=ctx.now,
        )
    people = await session_members(ctx.session, cohort.id)
    identities = await identities_for(ctx.session, [p.id for p in people])
    marks = await marks_of(ctx.session, occurrence.id)
    names = {p.id: name_of(p, identities[p.id]) for p in people}
    present = sorted(names[p] for p, a in marks.items() if a and p in names)
    absent = sorted(names[p] for p, a in marks.items() if not a and p in names)
    unmarked = sorted(n for p, n in names.items() if p not in marks)
    when = ctx.tr.datetime(occurrence.start, ctx.zone_of(ctx.person) or ZoneInfo("UTC"), "medium")
    none = ctx.t(_("web.attendance_nobody"))
    await ctx.reply(
        _("web.attendance_list"),
        number=session.number,
        title=session.title,
        when=when,
        present=ctx.tr.join(present) or none,
        absent=ctx.tr.join(absent) or none,
        unmarked=ctx.tr.join(unmarked) or none,
        count=len(present),
        total=len(people),
    )
