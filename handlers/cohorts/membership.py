"""Joining and leaving: `newcohort`, `join` (and `start CODE`), `leave`, `use`; a closed
cohort refuses new sessions (`require_open`)."""

from __future__ import annotations

import math

from sqlalchemy import delete

from bot.commands import Args
from bot.context import Context
from bot.errors import UserError
from bot.i18n import _
from bot.router import Router
from bot.sanitize import clean_name
from handlers.cohorts.codes import invite_lines, normalize_code, unique_code
from handlers.cohorts.events import MemberJoined
from handlers.cohorts.names import fold
from handlers.onboarding import StartedWithCode
from handlers.profile import ZONE_FOLLOWS, resolve_zone
from storage.models import Cohort, Membership
from storage.models.cohorts import FAILED_JOIN_WINDOW, CohortStatus, Role
from storage.repositories.cohorts import (
    cohort_by_code,
    count_role,
    failed_joins_since,
    membership,
    memberships_of,
    prune_failed_joins,
    record_failed_join,
)

router = Router()

NAME_LIMIT = 200


async def join_by_code(ctx: Context, text: str) -> Cohort | None:
    """Join the cohort whose code is `text`. A wrong code is answered (and counted: at most
    `[bot] join_attempts_per_hour` wrong codes per person per hour) and returns None. In a
    group chat (where everyone would see who joins what) joining is refused; the pipeline has
    moved the answer to the private chat."""
    if ctx.in_group:
        raise UserError(_("cohorts.join_in_group"))
    person = ctx.require_person()
    limit = ctx.config.bot.join_attempts_per_hour
    window_start = ctx.now - FAILED_JOIN_WINDOW
    await prune_failed_joins(ctx.session, window_start)
    failures = await failed_joins_since(ctx.session, person.id, window_start)
    if len(failures) >= limit:
        # the try that must age out of the window before one more is allowed
        wait = failures[len(failures) - limit] + FAILED_JOIN_WINDOW - ctx.now
        minutes = max(1, math.ceil(wait.total_seconds() / 60))
        raise UserError(_("cohorts.join_rate_limited"), wait=ctx.tn("cohorts.minutes", minutes))
    code = normalize_code(text)
    cohort = await cohort_by_code(ctx.session, code) if code else None
    if cohort is None:
        # Not a UserError: the failed try must be kept (a UserError rolls everything back).
        await record_failed_join(ctx.session, person.id, ctx.now)
        await ctx.reply(_("cohorts.bad_code"), code=text.strip()[:40])
        return None
    if cohort.status == CohortStatus.CLOSED:
        raise UserError(_("cohorts.closed_no_join"), cohort=cohort.name)
    existing = await membership(ctx.session, cohort.id, person.id)
    if existing is not None:
        await ctx.reply(_("cohorts.already_member"), cohort=cohort.name)
    else:
        ctx.session.add(
            Membership(
                cohort_id=cohort.id, person_id=person.id, role=Role.PARTICIPANT, joined_at=ctx.now
            )
        )
        await ctx.reply(_("cohorts.joined"), cohort=cohort.name)
        person.active_cohort_id = cohort.id
        await ctx.publish(MemberJoined(cohort))
    person.active_cohort_id = cohort.id
    return cohort


@router.command("newcohort", usage='"NAME" [ZONE]', help_id=_("help.cmd.newcohort"))
async def newcohort(ctx: Context, args: Args) -> None:
    person = ctx.require_person()
    name = clean_name(args.get(0), limit=None)  # one line, nothing invisible or reversing
    if not name:
        raise UserError(_("cohorts.newcohort_usage"))
    if len(name) > NAME_LIMIT:
        raise UserError(_("cohorts.name_too_long"), limit=NAME_LIMIT)
    zone = person.timezone or "UTC"
    settings: dict[str, object] = {}
    if len(args) == 1 and person.timezone is None:
        settings[ZONE_FOLLOWS] = person.id  # UTC until the creator tells us their zone
    if len(args) > 1:
        resolution = resolve_zone(ctx, args.rest(1))
        if resolution.zone is None:
            raise UserError(_("cohorts.zone_ambiguous"), zone=args.rest(1))
        zone = resolution.zone
    cohort = Cohort(
        name=name,
        code=await unique_code(ctx),
        zone=zone,
        status=CohortStatus.ACTIVE,
        created_at=ctx.now,
        settings=settings,
    )
    ctx.session.add(cohort)
    await ctx.session.flush()
    ctx.session.add(
        Membership(
            cohort_id=cohort.id, person_id=person.id, role=Role.COORDINATOR, joined_at=ctx.now
        )
    )
    person.active_cohort_id = cohort.id
    lines = [ctx.t(_("cohorts.created"), cohort=name, zone=zone)]
    if ZONE_FOLLOWS in settings:
        # The cohort's zone is what members without their own zone (and group chats) see.
        lines.append(ctx.t(_("cohorts.created_zone_guess"), example="Africa/Nairobi"))
    lines += invite_lines(ctx, cohort)
    await ctx.say("\n".join(lines))


@router.command("join", usage="CODE", help_id=_("help.cmd.join"))
async def join(ctx: Context, args: Args) -> None:
    if not args.words:
        raise UserError(_("cohorts.join_usage"))
    await join_by_code(ctx, args.rest(0))


@router.on(StartedWithCode)
async def join_at_start(ctx: Context, event: StartedWithCode) -> None:
    await join_by_code(ctx, event.code)


@router.command("leave", help_id=_("help.cmd.leave"))
async def leave(ctx: Context, args: Args) -> None:
    person = ctx.require_person()
    cohort = ctx.require_cohort()
    if (
        ctx.role == Role.COORDINATOR
        and await count_role(ctx.session, cohort.id, Role.COORDINATOR) <= 1
    ):
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
    names = ", ".join(f"{i}. {c.name}" for i, (_m, c) in enumerate(mine, start=1))
    wanted = args.rest(0).strip()
    if not wanted:
        raise UserError(_("cohorts.use_usage"), cohorts=names)
    found = pick_cohort([c for _m, c in mine], wanted)
    if found is None:
        raise UserError(_("cohorts.use_unknown"), cohort=wanted, cohorts=names)
    person.active_cohort_id = found.id
    await ctx.reply(_("cohorts.using"), cohort=found.name)


def pick_cohort(cohorts: list[Cohort], wanted: str) -> Cohort | None:
    """A cohort by its number in `cohorts` (1-based), its name or its invite code."""
    folded = fold(wanted)
    for index, cohort in enumerate(cohorts, start=1):
        if folded in (fold(cohort.name), fold(cohort.code), str(index)):
            return cohort
    return None


def require_open(ctx: Context) -> Cohort:
    """The current cohort, or a localized refusal when it has closed (no new sessions then)."""
    cohort = ctx.require_cohort()
    if cohort.status == CohortStatus.CLOSED:
        raise UserError(_("cohorts.closed_refused"), cohort=cohort.name)
    return cohort
