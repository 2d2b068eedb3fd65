"""`help`: what this person may do here, by role."""

from __future__ import annotations

from bot.commands import Args
from bot.context import Context
from bot.i18n import _
from bot.platform import conventions_of
from bot.router import Router
from handlers.help.usage import localize_usage
from storage.models.cohorts import Role
from storage.repositories.cohorts import memberships_of

router = Router()


def prefix_on(platform: str) -> str:
    """How commands are typed on this platform: "/", or "!" on Matrix."""
    return conventions_of(platform).command_prefix


def prefix(ctx: Context) -> str:
    """How the sender types commands."""
    return prefix_on(ctx.identity.platform if ctx.identity is not None else "")


async def current_role(ctx: Context) -> str | None:
    person = ctx.require_person()
    mine = await memberships_of(ctx.session, person.id)
    for m, c in mine:
        if c.id == person.active_cohort_id:
            return m.role
    return mine[0][0].role if len(mine) == 1 else (Role.PARTICIPANT if mine else None)


@router.command("help", help_id=_("help.cmd.help"), group_safe=True)
async def help_command(ctx: Context, args: Args) -> None:
    # In a group, where anyone reads the answer, the commands anyone may use and nothing about
    # the sender's cohorts or roles.
    role = None if ctx.in_group else await current_role(ctx)
    p = prefix(ctx)
    lines = []
    for name, (help_id, usage, access) in sorted(ctx.services.commands.items()):
        if help_id is None or (access.cohort and not access.allows(role)):
            continue
        syntax = f"{p}{name} {localize_usage(ctx.tr, usage)}".strip()
        lines.append(f"{syntax} — {ctx.t(help_id)}")
    if ctx.in_group:
        header = ctx.t(_("help.header_group"), commands=f"{p}help, {p}bindchat")
    elif role:
        header = ctx.t(_("help.header_role"), role=ctx.t(f"role.{role}"))
    else:
        header = ctx.t(_("help.header_new"))
    await ctx.say("\n".join([header, "", *lines]))


ROLE_IDS = (
    _("role.coordinator"),
    _("role.facilitator"),
    _("role.mentor"),
    _("role.participant"),
    _("role.alumni"),
)
