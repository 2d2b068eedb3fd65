"""`calendar feed` / `calendar feed off`: a private calendar subscription served by the web
server (`{public_url}/calendar/TOKEN.ics`, offered as webcal://), updated as sessions change.

The address is a bearer secret: only its hash is stored; asking again gives a new address and
the old one stops working; `off` revokes it. The `calendar` file (handlers/scheduling/calendar.py)
stays as it was."""

from __future__ import annotations

from collections.abc import Sequence

from bot.context import Context
from bot.errors import UserError
from bot.i18n import _
from storage.repositories.web import replace_feed, revoke_feed

OFF_WORDS = frozenset({"off", "stop", "revoke"})


def feed_path(token: str) -> str:
    return f"/calendar/{token}.ics"


def webcal(url: str) -> str:
    """webcal:// asks calendar apps to subscribe (https or http underneath)."""
    return "webcal://" + url.split("://", 1)[1]


async def feed(ctx: Context, words: Sequence[str]) -> None:
    person = ctx.require_person()
    web = ctx.config.web
    if words and words[0].lower() in OFF_WORDS:
        if await revoke_feed(ctx.session, person.id):
            await ctx.reply(_("web.feed_off"))
        else:
            await ctx.reply(_("web.feed_none"))
        return
    if words:
        raise UserError(_("web.feed_usage"))
    if not web.enabled:
        raise UserError(_("web.disabled"))
    token = await replace_feed(ctx.session, person.id, ctx.now)
    url = web.link(feed_path(token))
    await ctx.send_to_person(person.id, ctx.t(_("web.feed_link"), webcal=webcal(url), url=url))
