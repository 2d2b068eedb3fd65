"""`bindchat`: a group chat bound to a cohort gets its announcements and notices."""

from __future__ import annotations

from bot.commands import Args
from bot.context import Context, private_address
from bot.errors import UserError
from bot.i18n import _
from bot.messages import Address, Choice
from bot.router import Answer, Router
from handlers.cohorts.membership import pick_cohort
from handlers.cohorts.names import fold
from handlers.cohorts.payloads import BindPick
from storage.models import BoundChat, Cohort
from storage.models.cohorts import Role, is_discreet
from storage.repositories.cohorts import bound_chat, cohorts_with_role, membership

router = Router()

BIND_PICK = "cohorts.bind_pick"


@router.command(
    "bindchat", usage="[COHORT | off]", help_id=_("cohorts.help_bindchat"), group_safe=True
)
async def bindchat(ctx: Context, args: Args) -> None:
    if not ctx.in_group or ctx.inbound is None:
        raise UserError(_("cohorts.bindchat_group_only"))
    chat = ctx.inbound.chat
    wanted = args.rest(0).strip()
    existing = await bound_chat(ctx.session, chat.platform, chat.chat_id)
    if fold(wanted) == "off":
        if existing is None:
            raise UserError(_("cohorts.bindchat_not_bound"))
        await ctx.session.delete(existing)
        await ctx.reply(_("cohorts.unbound"), cohort=ctx.require_cohort().name)
        return
    if existing is not None:
        raise UserError(_("cohorts.bindchat_already"), cohort=ctx.require_cohort().name)
    unencrypted = ctx.inbound.encrypted is False
    mine = await cohorts_with_role(ctx.session, ctx.require_person().id, (Role.COORDINATOR,))
    # Whatever names the cohorts the sender coordinates is said privately, never in the group
    # (anyone there reads it).
    if wanted:
        cohort = pick_cohort(mine, wanted)
        if cohort is None:
            assert ctx.identity is not None
            ctx.reply_to = private_address(ctx.identity)
            listed = ", ".join(f"{i}. {c.name}" for i, c in enumerate(mine, start=1))
            raise UserError(_("cohorts.bindchat_unknown"), cohort=wanted, cohorts=listed)
    elif len(mine) == 1:
        cohort = mine[0]
    else:
        await ctx.ask(
            BIND_PICK,
            ctx.t(_("cohorts.bindchat_pick_private")),
            [Choice(str(c.id), c.name) for c in mine],
            payload=BindPick(chat.platform, chat.chat_id, unencrypted),
            privately=True,
        )
        await ctx.reply(_("cohorts.bindchat_asked_privately"))
        return
    await bind(ctx, cohort, chat, unencrypted=unencrypted)


@router.question(BIND_PICK, payload=BindPick)
async def bind_picked(ctx: Context, answer: Answer[BindPick]) -> None:
    assert answer.key is not None
    chat = Address(answer.data.platform, answer.data.chat_id, is_group=True)
    person = ctx.require_person()
    cohort = await ctx.session.get(Cohort, int(answer.key))
    member = await membership(ctx.session, cohort.id, person.id) if cohort else None
    if cohort is None or member is None or member.role != Role.COORDINATOR:
        raise UserError(_("core.question_expired"))
    taken = await bound_chat(ctx.session, chat.platform, chat.chat_id)
    if taken is not None:
        raise UserError(_("cohorts.bindchat_taken"))
    await bind(ctx, cohort, chat, unencrypted=answer.data.plain)
    if ctx.reply_to != chat:
        await ctx.reply(_("cohorts.bound"), cohort=cohort.name)


async def bind(ctx: Context, cohort: Cohort, chat: Address, *, unencrypted: bool = False) -> None:
    """Bind `chat` to `cohort`. A discreet cohort binds no chat that is not end-to-end
    encrypted (`unencrypted`: a Matrix room without encryption): nothing of it may go there."""
    if unencrypted and is_discreet(cohort):
        if ctx.identity is not None:  # said privately: nothing of a discreet cohort in the room
            ctx.reply_to = private_address(ctx.identity)
        raise UserError(_("cohorts.bindchat_unencrypted"), cohort=cohort.name)
    ctx.session.add(
        BoundChat(
            cohort_id=cohort.id, platform=chat.platform, chat_id=chat.chat_id, bound_at=ctx.now
        )
    )
    await ctx.session.flush()
    await ctx.send_to_chat(chat, ctx.t(_("cohorts.bound"), cohort=cohort.name))
