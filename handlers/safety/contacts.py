"""`safetycontacts [list] | add USER | remove USER`: who receives the cohort's safety reports and
"I need help" alerts. With nobody designated, the coordinators are the contacts."""

from __future__ import annotations

from bot.commands import Args
from bot.context import Context
from bot.errors import UserError
from bot.i18n import _
from bot.router import Router
from handlers.cohorts import find_member, name_of
from handlers.safety.common import names
from storage.models.cohorts import Role
from storage.repositories.safety import add_contact, contact_ids, remove_contact, role_ids

router = Router()


@router.command(
    "safetycontacts", usage="[list | add USER | remove USER]", help_id=_("safety.help_contacts")
)
async def safetycontacts(ctx: Context, args: Args) -> None:
    cohort = ctx.require_cohort()
    action = (args.get(0) or "list").lower()
    if action == "list" and len(args) <= 1:
        await show(ctx)
        return
    if action not in ("add", "remove") or len(args) < 2:
        raise UserError(_("safety.contacts_usage"))
    row = await find_member(ctx, cohort, args.rest(1), "")
    name = name_of(row.person, row.identities)
    if action == "add":
        if not await add_contact(ctx.session, cohort.id, row.person.id, ctx.now):
            raise UserError(_("safety.contact_already"), name=name)
        await ctx.reply(_("safety.contact_added"), name=name, cohort=cohort.name)
        return
    if not await remove_contact(ctx.session, cohort.id, row.person.id):
        raise UserError(_("safety.contact_not_one"), name=name)
    await ctx.reply(_("safety.contact_removed"), name=name, cohort=cohort.name)


async def show(ctx: Context) -> None:
    cohort = ctx.require_cohort()
    designated = await contact_ids(ctx.session, cohort.id)
    ids = designated or await role_ids(ctx.session, cohort.id, (Role.COORDINATOR,))
    found = await names(ctx, ids)
    listed = ctx.tr.join([found[pid] for pid in ids])
    if designated:
        await ctx.reply(_("safety.contacts_list"), cohort=cohort.name, names=listed)
    else:
        await ctx.reply(_("safety.contacts_default"), cohort=cohort.name, names=listed)
