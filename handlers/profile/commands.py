"""Profile settings anyone may change: language, time zone, country, quiet hours; and `me`."""

from __future__ import annotations

from bot.commands import Args
from bot.context import Context
from bot.errors import UserError
from bot.i18n import _
from bot.messages import Choice
from bot.profile import QUIET_OFF, quiet_hours
from bot.router import Answer, Router
from bot.timeparse import ParseError, format_quiet_range, parse_quiet_range
from bot.zones import ZoneResolution, country_name, find_country
from storage.models import Cohort
from storage.models.cohorts import CohortStatus, Role
from storage.repositories.cohorts import memberships_of

# A cohort created by someone without a time zone: whose zone it follows once they set one.
ZONE_FOLLOWS = "zone_follows"

router = Router()

PICK_ZONE = "profile.pick_zone"


def resolve_zone(ctx: Context, text: str) -> ZoneResolution:
    try:
        resolution: ZoneResolution = ctx.services.zones.resolve(text)
    except ParseError:
        raise UserError(_("profile.unknown_zone"), zone=text, example="America/Sao_Paulo") from None
    return resolution


async def set_zone(ctx: Context, zone: str) -> None:
    """Store the zone and, unless the person chose a country with `country`, the zone's
    country (for holidays)."""
    person = ctx.require_person()
    first_zone = person.timezone is None
    person.timezone = zone
    ctx_zone_country = ctx.services.zones.country_of_zone(zone)
    local_now = ctx.tr.time(ctx.now.astimezone(ctx.zone))
    lines = [ctx.t(_("profile.zone_set"), zone=zone, time=local_now)]
    guessed = person.country is None or person.country_from_zone
    if guessed and ctx_zone_country and ctx_zone_country != person.country:
        # A first guess, or a guess from a zone the person has just corrected (a wrongly
        # picked city); a country they set themselves with `country` stays.
        person.country = ctx_zone_country
        person.country_from_zone = True
        name = country_name(ctx_zone_country, ctx.tr.lang) or ctx_zone_country
        lines.append(ctx.t(_("profile.country_guessed"), country=name))
    # Cohorts wait for their creator's first zone only (no query on later changes).
    for cohort in await cohorts_following(ctx, person.id) if first_zone else []:
        cohort.zone = zone
        cohort.settings = {k: v for k, v in cohort.settings.items() if k != ZONE_FOLLOWS}
        lines.append(ctx.t(_("profile.cohort_zone_followed"), cohort=cohort.name, zone=zone))
    await ctx.say("\n".join(lines))


async def cohorts_following(ctx: Context, person_id: int) -> list[Cohort]:
    """Cohorts this person created without a zone while they had none: they take the
    creator's zone once it is known (see handlers.cohorts.membership.newcohort)."""
    return [
        cohort
        for membership, cohort in await memberships_of(ctx.session, person_id)
        if membership.role == Role.COORDINATOR and cohort.settings.get(ZONE_FOLLOWS) == person_id
    ]


async def ask_zone_choice(ctx: Context, resolution: ZoneResolution, kind: str) -> None:
    choices = [Choice(c.zone, c.label) for c in resolution.candidates]
    await ctx.ask(kind, ctx.t(_("profile.zone_ambiguous"), city=resolution.query), choices)


@router.command("language", usage="CODE", help_id=_("help.cmd.language"))
async def language(ctx: Context, args: Args) -> None:
    person = ctx.require_person()
    catalogs = ctx.services.catalogs
    available = ", ".join(f"{lang} ({ctx.tr.language_name(lang)})" for lang in catalogs.languages)
    if not args.words:
        current = person.language or ctx.config.bot.default_language
        await ctx.reply(
            _("profile.language_show"), language=ctx.tr.language_name(current), available=available
        )
        return
    chosen = catalogs.normalize(args.rest(0))
    if chosen is None:
        raise UserError(_("profile.unknown_language"), language=args.rest(0), available=available)
    person.language = chosen
    ctx.tr = catalogs.translator(chosen)
    await ctx.reply(_("profile.language_set"), language=ctx.tr.language_name(chosen))


@router.command("timezone", usage="ZONE", help_id=_("help.cmd.timezone"), aliases=("tz",))
async def timezone(ctx: Context, args: Args) -> None:
    person = ctx.require_person()
    if not args.words:
        if person.timezone:
            local_now = ctx.tr.time(ctx.now.astimezone(ctx.zone))
            await ctx.reply(_("profile.zone_show"), zone=person.timezone, time=local_now)
        else:
            await ctx.reply(_("profile.zone_unset"), example="America/Sao_Paulo")
        return
    resolution = resolve_zone(ctx, args.rest(0))
    if resolution.zone is None:
        await ask_zone_choice(ctx, resolution, PICK_ZONE)
        return
    await set_zone(ctx, resolution.zone)


@router.question(PICK_ZONE)
async def picked_zone(ctx: Context, answer: Answer) -> None:
    assert answer.key is not None
    await set_zone(ctx, answer.key)


@router.command("country", usage="CODE", help_id=_("help.cmd.country"))
async def country(ctx: Context, args: Args) -> None:
    person = ctx.require_person()
    if not args.words:
        if person.country:
            name = country_name(person.country, ctx.tr.lang) or person.country
            await ctx.reply(_("profile.country_show"), country=name, code=person.country)
        else:
            await ctx.reply(_("profile.country_unset"))
        return
    code = find_country(args.rest(0), ctx.tr.lang)
    if code is None:
        raise UserError(_("profile.unknown_country"), country=args.rest(0))
    person.country = code
    person.country_from_zone = False
    name = country_name(code, ctx.tr.lang) or code
    await ctx.reply(_("profile.country_set"), country=name, code=code)


@router.command("quiet", usage="HH:MM-HH:MM | off", help_id=_("help.cmd.quiet"))
async def quiet(ctx: Context, args: Args) -> None:
    person = ctx.require_person()
    if not args.words:
        hours = quiet_hours(person, ctx.config)
        if hours is None:
            await ctx.reply(_("profile.quiet_off_show"))
        else:
            await ctx.reply(_("profile.quiet_show"), hours=format_quiet_range(*hours))
        return
    text = args.rest(0)
    if text.lower() in ("off", "none", "no"):
        person.quiet_start, person.quiet_end = QUIET_OFF, None
        await ctx.reply(_("profile.quiet_off"))
        return
    try:
        start, end = parse_quiet_range(text)
    except ParseError:
        raise UserError(_("profile.bad_quiet"), given=text, example="22:00-08:00") from None
    person.quiet_start, person.quiet_end = start.strftime("%H:%M"), end.strftime("%H:%M")
    await ctx.reply(_("profile.quiet_set"), hours=format_quiet_range(start, end))


@router.command("me", help_id=_("help.cmd.me"))
async def me(ctx: Context, args: Args) -> None:
    person = ctx.require_person()
    hours = quiet_hours(person, ctx.config)
    lang = person.language or ctx.config.bot.default_language
    lines = [
        ctx.t(_("profile.me_header")),
        ctx.t(_("profile.me_language"), language=ctx.tr.language_name(lang)),
        ctx.t(
            _("profile.me_zone"),
            zone=person.timezone or ctx.t(_("profile.not_set")),
            time=ctx.tr.time(ctx.now.astimezone(ctx.zone)),
        ),
        ctx.t(
            _("profile.me_country"),
            country=(country_name(person.country, ctx.tr.lang) if person.country else None)
            or ctx.t(_("profile.not_set")),
        ),
        ctx.t(
            _("profile.me_quiet"),
            hours=format_quiet_range(*hours) if hours else ctx.t(_("profile.quiet_none")),
        ),
    ]
    mine = await memberships_of(ctx.session, person.id)
    if mine:
        lines.append(ctx.t(_("profile.me_cohorts")))
        for m, c in mine:
            marker = " ★" if c.id == person.active_cohort_id or len(mine) == 1 else ""
            state = ctx.t(_("profile.cohort_closed")) if c.status == CohortStatus.CLOSED else ""
            lines.append(f"• {c.name} — {ctx.t(f'role.{m.role}')}{state}{marker}")
    else:
        lines.append(ctx.t(_("profile.me_no_cohorts")))
    await ctx.say("\n".join(lines))
