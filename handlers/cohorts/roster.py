"""`roster [PAGE]`: the cohort's members, with what other capabilities add (`RosterShown`)."""

from __future__ import annotations

import math
from zoneinfo import ZoneInfo

from bot.commands import Args, pick_number
from bot.context import Context
from bot.errors import UserError
from bot.i18n import _
from bot.router import Router
from handlers.cohorts.codes import invite_lines
from handlers.cohorts.events import RosterShown
from handlers.cohorts.names import handle_of, name_of, role_name
from storage.models.cohorts import CohortStatus
from storage.repositories.cohorts import RosterRow, count_members, roster

router = Router()

ROSTER_PAGE = 30


@router.command("roster", usage="[PAGE]", help_id=_("cohorts.help_roster"))
async def roster_command(ctx: Context, args: Args) -> None:
    cohort = ctx.require_cohort()
    total = await count_members(ctx.session, cohort.id)
    pages = max(1, math.ceil(total / ROSTER_PAGE))
    wanted = args.get(0, "1") or "1"
    page = pick_number(wanted)
    if page is None or not 1 <= page <= pages:
        raise UserError(_("cohorts.roster_bad_page"), page=wanted, pages=pages)
    rows = await roster(ctx.session, cohort.id, (page - 1) * ROSTER_PAGE, ROSTER_PAGE)
    lines = [ctx.tn("cohorts.roster_header", total, cohort=cohort.name, page=page, pages=pages)]
    if cohort.status == CohortStatus.CLOSED:
        lines.append(ctx.t(_("cohorts.roster_closed")))
    else:
        lines.extend(invite_lines(ctx, cohort))
    lines.append("")
    shown = RosterShown(cohort, rows)
    await ctx.publish(shown)  # other capabilities add their notes (consent, RSVP)
    for row in rows:
        extra = shown.notes.get(row.person.id)
        lines.append(
            " — ".join([roster_line(ctx, row), *extra]) if extra else roster_line(ctx, row)
        )
    if page < pages:
        lines.extend(["", ctx.t(_("cohorts.roster_more"), next=page + 1)])
    await ctx.say("\n".join(lines))


def roster_line(ctx: Context, row: RosterRow) -> str:
    person = row.person
    if person.timezone:
        local = ctx.tr.time(ctx.now.astimezone(ZoneInfo(person.timezone)))
        time = f"{local} ({person.timezone})"
    else:
        time = ctx.t(_("cohorts.roster_no_zone"))
    language = (
        ctx.tr.language_name(person.language)
        if person.language
        else ctx.t(_("cohorts.roster_no_language"))
    )
    platforms = list(dict.fromkeys(i.platform.capitalize() for i in row.identities))
    name = name_of(person, row.identities)
    handle = handle_of(row.identities)
    if handle is not None:  # tells apart two members of the same name, and is what /role takes
        name = ctx.t(_("cohorts.roster_name_handle"), name=name, handle=handle)
    return ctx.t(
        _("cohorts.roster_line"),
        number=row.number,
        name=name,
        role=role_name(ctx, row.membership.role),
        platform=", ".join(platforms) or "-",
        time=time,
        language=language,
    )
