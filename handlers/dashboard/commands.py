"""`dashboard`: a private, single-use link to the coordinators' web dashboard.

The link `{public_url}/login/TOKEN` is valid LOGIN_VALID (15 minutes) and works once; only the
token's hash is stored (storage/repositories/web.py). Asking again replaces the earlier link.
Always answered privately, whatever chat it was asked in."""

from __future__ import annotations

from datetime import timedelta

from bot.commands import Args
from bot.context import Context
from bot.errors import UserError
from bot.i18n import _
from bot.router import Router
from storage.models.web import LOGIN_VALID
from storage.repositories.web import issue_login_token, tokens_since

router = Router()

LINKS_PER_HOUR = 10


@router.command("dashboard", help_id=_("web.help_dashboard"))
async def dashboard(ctx: Context, args: Args) -> None:
    person = ctx.require_person()
    web = ctx.config.web
    if not web.enabled:
        raise UserError(_("web.disabled"))
    if await tokens_since(ctx.session, person.id, ctx.now - timedelta(hours=1)) >= LINKS_PER_HOUR:
        raise UserError(_("web.too_many_links"))
    token = await issue_login_token(ctx.session, person.id, ctx.now)
    minutes = int(LOGIN_VALID.total_seconds() // 60)
    await ctx.send_to_person(
        person.id, ctx.t(_("web.login_link"), url=web.link(f"/login/{token}"), minutes=minutes)
    )
    if ctx.in_group:
        await ctx.reply(_("web.link_sent_privately"))
