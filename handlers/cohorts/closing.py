"""`closecohort`: members become alumni (staff keep their role), everyone is told, and
`CohortClosed` is published."""

from __future__ import annotations

from bot.commands import Args
from bot.context import Context
from bot.errors import UserError
from bot.i18n import _
from bot.messages import Address, Choice
from bot.router import Answer, Router
from handlers.cohorts.events import CohortClosed
from handlers.cohorts.names import sender_name
from handlers.cohorts.payloads import CloseConfirm
from storage.models import STAFF_ROLES, Cohort
from storage.models.cohorts import CohortStatus, Role
from storage.repositories.cohorts import bound_chats, make_alumni, members, membership

router = Router()

CLOSE_CONFIRM = "cohorts.close_confirm"


@router.command("closecohort", help_id=_("cohorts.help_closecohort"))
async def closecohort(ctx: Context, args: Args) -> None:
    cohort = ctx.require_cohort()
    if cohort.status == CohortStatus.CLOSED:
        raise UserError(_("cohorts.already_closed"), cohort=cohort.name)
    everyone = await members(ctx.session, cohort.id)
    becoming = sum(1 for m, _p in everyone if m.role not in (*STAFF_ROLES, Role.ALUMNI))
    await ctx.ask(
        CLOSE_CONFIRM,
        ctx.tn("cohorts.close_question", becoming, cohort=cohort.name),
        [
            Choice("yes", ctx.t(_("cohorts.close_yes"))),
            Choice("no", ctx.t(_("cohorts.close_no"))),
        ],
        payload=CloseConfirm(cohort.id),
    )


@router.question(CLOSE_CONFIRM, payload=CloseConfirm, dropped=_("cohorts.dropped_close"))
async def close_confirmed(ctx: Context, answer: Answer[CloseConfirm]) -> None:
    if answer.key != "yes":
        await ctx.reply(_("cohorts.close_cancelled"))
        return
    person = ctx.require_person()
    cohort = await ctx.session.get(Cohort, answer.data.cohort_id)
    member = await membership(ctx.session, cohort.id, person.id) if cohort else None
    if cohort is None or member is None or member.role != Role.COORDINATOR:
        raise UserError(_("core.question_expired"))
    if cohort.status == CohortStatus.CLOSED:
        raise UserError(_("cohorts.already_closed"), cohort=cohort.name)
    cohort.status = CohortStatus.CLOSED
    cohort.closed_at = ctx.now
    ctx.cohort, ctx.role = cohort, member.role
    changed = await make_alumni(ctx.session, cohort.id, STAFF_ROLES)
    by = sender_name(ctx)
    for m, other in await members(ctx.session, cohort.id):
        if other.id == person.id:
            continue
        tr = ctx.translator_for(other)
        if m.role == Role.ALUMNI:
            text = tr.t(_("cohorts.closed_you_alumni"), cohort=cohort.name, by=by)
        else:
            role = tr.t(f"role.{m.role}")
            text = tr.t(_("cohorts.closed_you_staff"), cohort=cohort.name, by=by, role=role)
        await ctx.send_to_person(other.id, text, unprompted="cohorts.closed")
    for chat in await bound_chats(ctx.session, cohort.id):
        address = Address(chat.platform, chat.chat_id, is_group=True)
        await ctx.send_to_chat(address, ctx.t(_("cohorts.closed_group"), cohort=cohort.name))
    await ctx.publish(CohortClosed(cohort))
    await ctx.say(ctx.tn("cohorts.closed_done", changed, cohort=cohort.name))
