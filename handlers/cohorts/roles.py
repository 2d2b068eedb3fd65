"""`role USER ROLE`: a coordinator changes someone's role; both are told."""

from __future__ import annotations

from bot.commands import Args
from bot.context import Context
from bot.errors import UserError
from bot.i18n import _
from bot.router import Router
from handlers.cohorts.names import find_member, name_of, parse_role, role_name, sender_name
from storage.models import ROLES
from storage.models.cohorts import Role
from storage.repositories.cohorts import count_role

router = Router()


@router.command("role", usage="USER ROLE", help_id=_("cohorts.help_role"))
async def role(ctx: Context, args: Args) -> None:
    cohort = ctx.require_cohort()
    roles = ", ".join(role_name(ctx, r) for r in ROLES)
    if len(args) < 2:
        raise UserError(_("cohorts.role_usage"), roles=roles)
    new_role = parse_role(ctx, args.words[-1])
    if new_role is None:
        raise UserError(_("cohorts.role_unknown_role"), role=args.words[-1], roles=roles)
    row = await find_member(ctx, cohort, " ".join(args.words[:-1]), args.words[-1])
    target, member = row.person, row.membership
    name = name_of(target, row.identities)
    if member.role == new_role:
        await ctx.reply(
            _("cohorts.role_unchanged"),
            name=name,
            role=role_name(ctx, new_role),
            cohort=cohort.name,
        )
        return
    if (
        member.role == Role.COORDINATOR
        and await count_role(ctx.session, cohort.id, Role.COORDINATOR) <= 1
    ):
        raise UserError(_("cohorts.last_coordinator_role"), name=name, cohort=cohort.name)
    member.role = new_role
    await ctx.reply(
        _("cohorts.role_set"), name=name, role=role_name(ctx, new_role), cohort=cohort.name
    )
    if target.id != ctx.require_person().id:
        text = ctx.translator_for(target).t(
            _("cohorts.role_changed_you"),
            cohort=cohort.name,
            role=role_name(ctx, new_role, target),
            by=sender_name(ctx),
        )
        await ctx.send_to_person(target.id, text, unprompted="cohorts.role_changed")
