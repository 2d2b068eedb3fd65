"""`debriefsettings`: a cohort's debrief mode (anonymous or named) and how long prompts stay open.

Both apply to debriefs that open after the change: people are told the mode when their
questions arrive, and that promise holds for that round."""

from __future__ import annotations

from datetime import timedelta

from bot.commands import Args
from bot.context import Context
from bot.errors import UserError
from bot.i18n import Translator, _
from bot.router import Router
from bot.timeparse import ParseError, parse_duration
from handlers.scheduling import duration_text
from storage.models import Cohort

router = Router()

WINDOW_KEY = "debrief_window_hours"  # in Cohort.settings
DEFAULT_WINDOW = timedelta(hours=72)
MIN_WINDOW = timedelta(hours=12)
MAX_WINDOW = timedelta(days=14)
ON_WORDS = frozenset({"on", "yes", "true", "1", "anonymous"})
OFF_WORDS = frozenset({"off", "no", "false", "0", "named"})
EXAMPLE = "72h"


def prompt_window(cohort: Cohort) -> timedelta:
    """How long a person's debrief prompt stays open in this cohort."""
    hours = (cohort.settings or {}).get(WINDOW_KEY)
    if isinstance(hours, int) and not isinstance(hours, bool) and hours > 0:
        return timedelta(hours=hours)
    return DEFAULT_WINDOW


def mode_text(tr: Translator, anonymous: bool) -> str:
    return tr.t(_("debrief.mode_anonymous") if anonymous else _("debrief.mode_named"))


def _limits(tr: Translator) -> dict[str, str]:
    return {"min": duration_text(tr, MIN_WINDOW), "max": duration_text(tr, MAX_WINDOW)}


@router.command(
    "debriefsettings",
    usage="[anonymous on|off | expiry DURATION]",
    help_id=_("debrief.help_settings"),
)
async def debriefsettings(ctx: Context, args: Args) -> None:
    cohort = ctx.require_cohort()
    words = [w.casefold() for w in args.words]
    if not words:
        await ctx.reply(
            _("debrief.settings_show"),
            cohort=cohort.name,
            mode=mode_text(ctx.tr, cohort.anonymous_debriefs),
            expiry=duration_text(ctx.tr, prompt_window(cohort)),
            example=EXAMPLE,
        )
        return
    if len(words) != 2:
        raise UserError(_("debrief.settings_usage"), example=EXAMPLE, **_limits(ctx.tr))
    what, value = words
    if what in ("anonymous", "anonymity", "mode"):
        if value not in ON_WORDS | OFF_WORDS:
            raise UserError(_("debrief.settings_bad_switch"), text=args.words[1])
        cohort.anonymous_debriefs = value in ON_WORDS
        await ctx.reply(
            _("debrief.settings_mode_set"),
            cohort=cohort.name,
            mode=mode_text(ctx.tr, cohort.anonymous_debriefs),
        )
        return
    if what in ("expiry", "window", "open"):
        try:
            window = parse_duration(value)
        except ParseError:
            raise UserError(
                _("debrief.settings_bad_duration"), text=args.words[1], example=EXAMPLE
            ) from None
        hours = round(window.total_seconds() / 3600)
        if not MIN_WINDOW <= timedelta(hours=hours) <= MAX_WINDOW:
            raise UserError(_("debrief.settings_window_range"), example=EXAMPLE, **_limits(ctx.tr))
        cohort.settings = {**(cohort.settings or {}), WINDOW_KEY: hours}
        await ctx.reply(
            _("debrief.settings_window_set"),
            cohort=cohort.name,
            expiry=duration_text(ctx.tr, timedelta(hours=hours)),
        )
        return
    raise UserError(_("debrief.settings_usage"), example=EXAMPLE, **_limits(ctx.tr))
