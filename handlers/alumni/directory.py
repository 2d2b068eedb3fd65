"""The opt-in alumni directory across cohorts: `directory` (my listing), `directory on
["INTERESTS"] [LANGUAGE ...]`, `directory off`, and `alumni [FILTER]` to find alumni by language,
country, world region or interest.

Only people who said `directory on` are listed, and only once one of their cohorts has closed.
A listing shows what they published: their name, languages (their profile language plus any
they named), country (from their profile), interests, past cohorts, and how to reach them.
`directory off` deletes the listing."""

from __future__ import annotations

from bot.commands import Args
from bot.context import Context
from bot.errors import UserError
from bot.i18n import _
from bot.router import Router
from bot.zones import country_name
from handlers.alumni.common import language_names, prefix_for, reach
from handlers.alumni.match import (
    Filter,
    Listing,
    Regions,
    filter_listings,
    interest_phrases,
    split_languages,
)
from storage.models import Person
from storage.models.alumni import DirectoryEntry, MentorOffer
from storage.repositories.alumni import closed_cohort_names, directory_entry, listed_entries
from storage.repositories.people import display_name

router = Router()

ON_WORDS = ("on", "yes")
OFF_WORDS = ("off", "no")
INTERESTS_LIMIT = 300
MAX_LANGUAGES = 8
PAGE = 20


def profile_languages(ctx: Context, person: Person, extra: list[str]) -> list[str]:
    """The profile language first, then the ones named."""
    first = person.language or ctx.config.bot.default_language
    found: list[str] = []
    for code in [first, *extra]:
        if code and code not in found:
            found.append(code)
    return found[:MAX_LANGUAGES]


def parse_offer(ctx: Context, words: tuple[str, ...]) -> tuple[list[str], str | None]:
    """(languages named, interests text) from what follows `on`."""
    languages, rest = split_languages(words, ctx.tr.lang)
    interests = ", ".join(w.strip() for w in rest if w.strip()) or None
    if interests is not None and len(interests) > INTERESTS_LIMIT:
        raise UserError(_("alumni.interests_too_long"), limit=INTERESTS_LIMIT)
    return languages, interests


def switch_word(args: Args) -> str:
    """What `directory`/`mentor` was asked: "" (show mine), "on" or "off"; anything else is
    returned as typed, for the caller's usage reply."""
    word = (args.get(0) or "").casefold()
    if word in ON_WORDS:
        return "on"
    if word in OFF_WORDS:
        return "off"
    return word


def publish(
    ctx: Context, person: Person, listing: DirectoryEntry | MentorOffer, words: tuple[str, ...]
) -> list[str]:
    """Fill a directory entry or a mentor offer with what follows `on` (languages named after
    the profile's, interests kept when none are given, the profile's country) and describe it."""
    extra, interests = parse_offer(ctx, words)
    listing.languages = profile_languages(ctx, person, extra)
    listing.country = person.country
    if interests is not None:
        listing.interests = interests
    listing.updated_at = ctx.now
    return describe(ctx, listing.languages, person.country, listing.interests)


def describe(
    ctx: Context, languages: list[str], country: str | None, interests: str | None
) -> list[str]:
    lines = [ctx.t(_("alumni.show_languages"), languages=language_names(ctx.tr, languages))]
    if country:
        lines.append(
            ctx.t(_("alumni.show_country"), country=country_name(country, ctx.tr.lang) or country)
        )
    if interests:
        lines.append(ctx.t(_("alumni.show_interests"), interests=interests))
    return lines


@router.command(
    "directory",
    usage='on ["INTERESTS"] [LANGUAGE ...] | off',
    help_id=_("alumni.help_directory"),
)
async def directory(ctx: Context, args: Args) -> None:
    person = ctx.require_person()
    p = await prefix_for(ctx.session, person.id)
    entry = await directory_entry(ctx.session, person.id)
    word = switch_word(args)
    if not word:
        if entry is None or not entry.listed:
            await ctx.reply(_("alumni.directory_not_listed"), command=f'{p}directory on "…"')
            return
        lines = [ctx.t(_("alumni.directory_listed"))]
        lines += describe(ctx, entry.languages, entry.country, entry.interests)
        lines.append(ctx.t(_("alumni.directory_off_hint"), command=f"{p}directory off"))
        await ctx.say("\n".join(lines))
        return
    if word == "off":
        if entry is None:
            await ctx.reply(_("alumni.directory_was_off"))
            return
        await ctx.session.delete(entry)
        await ctx.reply(_("alumni.directory_off"), command=f"{p}directory on")
        return
    if word != "on":
        raise UserError(
            _("alumni.directory_usage"), example=f'{p}directory on "land rights, media"'
        )
    if entry is None:
        entry = DirectoryEntry(person_id=person.id, updated_at=ctx.now)
        ctx.session.add(entry)
    entry.listed = True
    lines = [ctx.t(_("alumni.directory_on")), *publish(ctx, person, entry, args.words[1:])]
    past = await closed_cohort_names(ctx.session, [person.id])
    if not past.get(person.id):
        lines.append(ctx.t(_("alumni.directory_after_close")))
    if not person.country:
        lines.append(ctx.t(_("alumni.directory_no_country"), command=f"{p}country CODE"))
    lines.append(ctx.t(_("alumni.directory_off_hint"), command=f"{p}directory off"))
    await ctx.say("\n".join(lines))


@router.command("alumni", usage="[FILTER]", help_id=_("alumni.help_alumni"))
async def alumni(ctx: Context, args: Args) -> None:
    person = ctx.require_person()
    p = await prefix_for(ctx.session, person.id)
    wanted = Filter.parse(args.rest(0), ctx.tr.lang)
    entries = [(e, who) for e, who in await listed_entries(ctx.session) if who.id != person.id]
    past = await closed_cohort_names(ctx.session, [who.id for _e, who in entries])
    entries = [(e, who) for e, who in entries if past.get(who.id)]
    if not entries:
        await ctx.reply(_("alumni.directory_empty"), command=f'{p}directory on "…"')
        return
    regions = Regions.load()
    listings = {
        e.person_id: Listing(e.person_id, tuple(e.languages), e.country, e.interests)
        for e, _who in entries
    }
    found = filter_listings(listings.values(), wanted, regions)
    if not found:
        await ctx.reply(_("alumni.directory_none"), filter=wanted.text, command=f"{p}alumni")
        return
    header = (
        ctx.tn("alumni.directory_found", len(found), filter=wanted.text)
        if wanted.text
        else ctx.tn("alumni.directory_all", len(found))
    )
    lines = [header, ""]
    for listing in found[:PAGE]:
        lines.append(await listing_line(ctx, listing, past.get(listing.person_id, [])))
    if len(found) > PAGE:
        lines += ["", ctx.tn("alumni.directory_more", len(found) - PAGE, command=f"{p}alumni …")]
    await ctx.say("\n".join(lines))


async def listing_line(ctx: Context, listing: Listing, cohorts: list[str]) -> str:
    details = [language_names(ctx.tr, list(listing.languages))]
    if listing.country:
        details.append(country_name(listing.country, ctx.tr.lang) or listing.country)
    line = ctx.t(
        _("alumni.directory_line"),
        name=await display_name(ctx.session, listing.person_id),
        details=" · ".join(details),
        cohorts=ctx.tr.join(cohorts),
        reach=await reach(ctx.session, listing.person_id),
    )
    phrases = interest_phrases(listing.interests)
    if phrases:
        line += "\n" + ctx.t(_("alumni.directory_line_interests"), interests=", ".join(phrases))
    return line
