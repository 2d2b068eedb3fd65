"""Cohorts and membership: newcohort, join, leave, use."""

from __future__ import annotations

import secrets

from sqlalchemy import delete

from bot.commands import Args
from bot.context import Context
from bot.errors import UserError
from bot.i18n import _
from bot.router import Router
from storage.models import Cohort, Membership
from storage.repositories.cohorts import cohort_by_code, count_role, membership, memberships_of

router = Router()

# No 0/O, 1/I/L: codes are read aloud and typed from paper.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _i in range(CODE_LENGTH))


async def join_by_code(ctx: Context, code: str) -> Cohort:
    person = ctx.require_person()
    cohort = await cohort_by_code(ctx.session, code.strip())
    if cohort is None:
        raise UserError(_("cohorts.bad_code"), code=code)
    if cohort.status == "closed":
        raise UserError(_("cohorts.closed_no_join"), cohort=cohort.name)
    existing = await membership(ctx.session, cohort.id, person.id)
    if existing is not None:
        await ctx.reply(_("cohorts.already_member"), cohort=cohort.name)
    else:
        ctx.session.add(
            Membership(
                cohort_id=cohort.id, person_id=person.id, role="participant", joined_at=ctx.now
            )
        )
        await ctx.reply(_("cohorts.joined"), cohort=cohort.name)
    person.active_cohort_id = cohort.id
    return cohort


@router.command("newcohort", usage='"NAME" [ZONE]', help_id=_("help.cmd.newcohort"))
async def newcohort(ctx: Context, args: Args) -> None:
    person = ctx.require_person()
    name = (args.get(0) or "").strip()
    if not name:
        raise UserError(_("cohorts.newcohort_usage"))
    if len(name) > 200:
        raise UserError(_("cohorts.name_too_long"), limit=200)
    zone = person.timezone or "UTC"
    if len(args) > 1:
        from handlers.profile import resolve_zone

        resolution = resolve_zone(ctx, args.rest(1))
        if resolution.zone is None:
            raise UserError(_("cohorts.zone_ambiguous"), zone=args.rest(1))
        zone = resolution.zone
    cohort = Cohort(
        name=name, code=new_code(), zone=zone, status="active", created_at=ctx.now, settings={}
    )
    ctx.session.add(cohort)
    await ctx.session.flush()
    ctx.session.add(
        Membership(cohort_id=cohort.id, person_id=person.id, role="coordinator", joined_at=ctx.now)
    )
    person.active_cohort_id = cohort.id
    await ctx.reply(_("cohorts.created"), cohort=name, code=cohort.code, zone=zone)


@router.command("join", usage="CODE", help_id=_("help.cmd.join"))
async def join(ctx: Context, args: Args) -> None:
    if not args.words:
        raise UserError(_("cohorts.join_usage"))
    await join_by_code(ctx, args.words[0])


@router.command("leave", help_id=_("help.cmd.leave"))
async def leave(ctx: Context, args: Args) -> None:
    person = ctx.require_person()
    cohort = ctx.cohort
    assert cohort is not None
    if ctx.role == "coordinator" and await count_role(ctx.session, cohort.id, "coordinator") <= 1:
        raise UserError(_("cohorts.last_coordinator"), cohort=cohort.name)
    await ctx.session.execute(
        delete(Membership).where(
            Membership.cohort_id == cohort.id, Membership.person_id == person.id
        )
    )
    if person.active_cohort_id == cohort.id:
        person.active_cohort_id = None
    await ctx.reply(_("cohorts.left"), cohort=cohort.name)


@router.command("use", usage="COHORT", help_id=_("help.cmd.use"))
async def use(ctx: Context, args: Args) -> None:
    person = ctx.require_person()
    mine = await memberships_of(ctx.session, person.id)
    if not mine:
        raise UserError(_("core.not_member"))
    wanted = args.rest(0).strip().casefold()
    if not wanted:
        names = ", ".join(c.name for _m, c in mine)
        raise UserError(_("cohorts.use_usage"), cohorts=names)
    for index, (_m, c) in enumerate(mine, start=1):
        if wanted in (c.name.casefold(), c.code.casefold(), str(index)):
            person.active_cohort_id = c.id
            await ctx.reply(_("cohorts.using"), cohort=c.name)
            return
    names = ", ".join(c.name for _m, c in mine)
    raise UserError(_("cohorts.use_unknown"), cohort=args.rest(0), cohorts=names)
