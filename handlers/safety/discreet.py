"""`discreet [on | off]`: discreet mode for the cohort (coordinators). While on, what the bot
sends in the cohort's name is protected from forwarding and saving (Telegram's
protect_content, `Context.protect`; on Matrix it goes only into encrypted rooms, see
bot/adapters/matrix/discreet.py), and notifications -- reminders, announcements, safety
messages -- name neither the program nor the session (bot/discreet.py)."""

from __future__ import annotations

from bot.commands import Args
from bot.context import Context
from bot.errors import UserError
from bot.i18n import _
from bot.router import Router
from storage.models.cohorts import DISCREET, is_discreet

router = Router()


@router.command("discreet", usage="[on | off]", help_id=_("safety.help_discreet"))
async def discreet(ctx: Context, args: Args) -> None:
    cohort = ctx.require_cohort()
    wanted = (args.get(0) or "").lower()
    if wanted == "" and len(args) == 0:
        msgid = _("safety.discreet_is_on") if is_discreet(cohort) else _("safety.discreet_is_off")
        await ctx.reply(msgid, cohort=cohort.name)
        return
    if wanted not in ("on", "off") or len(args) > 1:
        raise UserError(_("safety.discreet_usage"))
    on = wanted == "on"
    if on == is_discreet(cohort):
        msgid = _("safety.discreet_is_on") if on else _("safety.discreet_is_off")
        await ctx.reply(msgid, cohort=cohort.name)
        return
    # A new dict: the JSON column notices a replaced value, not one changed in place.
    cohort.settings = {**(cohort.settings or {}), DISCREET: on}
    await ctx.reply(_("safety.discreet_on") if on else _("safety.discreet_off"), cohort=cohort.name)
