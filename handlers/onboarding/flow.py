"""`start`: greet, join a cohort when a code is given, then walk a new person through language,
time zone and the privacy notice. Every step can be skipped; `start` again repeats it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.commands import Args
from bot.context import Context
from bot.errors import UserError
from bot.i18n import Translator, _
from bot.messages import Choice
from bot.router import Answer, Router
from handlers.onboarding.events import PrivacyNoticeRead, StartedWithCode
from handlers.profile import ask_zone_choice, resolve_zone, set_zone

router = Router()

LANGUAGE = "onboarding.language"
ZONE = "onboarding.zone"
ZONE_PICK = "onboarding.zone_pick"
PRIVACY = "onboarding.privacy"
SKIP = "skip"
PRIVACY_STEP = "privacy"

Step = Callable[[Context], Awaitable[None]]


def skip_choice(ctx: Context) -> Choice:
    return Choice(SKIP, ctx.t(_("onboarding.skip")))


@router.command("start", usage="[CODE]", help_id=_("help.cmd.start"))
async def start(ctx: Context, args: Args) -> None:
    person = ctx.require_person()
    if args.words:
        await ctx.publish(StartedWithCode(args.words[0]))  # the cohorts capability joins
        if person.onboarding_step == "done":
            return
    else:
        await ctx.reply(_("onboarding.welcome"))
    person.onboarding_step = "language"
    await ask_language(ctx)


async def ask_language(ctx: Context) -> None:
    catalogs = ctx.services.catalogs
    choices = [
        Choice(lang, catalogs.translator(lang).language_name(lang)) for lang in catalogs.languages
    ]
    await ctx.ask(LANGUAGE, ctx.t(_("onboarding.ask_language")), [*choices, skip_choice(ctx)])


@router.question(LANGUAGE)
async def answered_language(ctx: Context, answer: Answer) -> None:
    person = ctx.require_person()
    if answer.key != SKIP and answer.key is not None:
        person.language = answer.key
        ctx.tr = ctx.services.catalogs.translator(answer.key)
        await ctx.reply(_("profile.language_set"), language=ctx.tr.language_name(answer.key))
    await ask_zone(ctx)


async def ask_zone(ctx: Context) -> None:
    ctx.require_person().onboarding_step = "zone"
    await ctx.ask(
        ZONE,
        ctx.t(_("onboarding.ask_zone"), example="Nairobi, America/Sao_Paulo"),
        [skip_choice(ctx)],
        free_text=True,
    )


@router.question(ZONE)
async def answered_zone(ctx: Context, answer: Answer) -> None:
    if answer.key == SKIP:
        await show_privacy(ctx)
        return
    try:
        resolution = resolve_zone(ctx, answer.text or "")
    except UserError as error:
        await ctx.say(ctx.t(error.message_id, **error.params))
        await ask_zone(ctx)
        return
    if resolution.zone is None:
        await ask_zone_choice(ctx, resolution, ZONE_PICK)
        return
    await set_zone(ctx, resolution.zone)
    await show_privacy(ctx)


@router.question(ZONE_PICK)
async def picked_zone(ctx: Context, answer: Answer) -> None:
    assert answer.key is not None
    await set_zone(ctx, answer.key)
    await show_privacy(ctx)


# What the chat itself protects, said only where it is true (the console needs no line).
PLATFORM_NOTES = {
    "telegram": _("onboarding.privacy_telegram"),
    "matrix": _("onboarding.privacy_matrix"),
}


def privacy_notice(tr: Translator, platform: str | None) -> str:
    """The privacy notice as read on `platform`."""
    notice = tr.t(_("onboarding.privacy_notice"))
    note = PLATFORM_NOTES.get(platform or "")
    return notice if note is None else f"{notice}\n\n{tr.t(note)}"


async def show_privacy(ctx: Context) -> None:
    ctx.require_person().onboarding_step = PRIVACY_STEP
    platform = ctx.reply_to.platform if ctx.reply_to is not None else None
    await ctx.ask(
        PRIVACY,
        privacy_notice(ctx.tr, platform),
        [Choice("ok", ctx.t(_("onboarding.understood"))), skip_choice(ctx)],
    )


@router.question(PRIVACY)
async def read_privacy(ctx: Context, answer: Answer) -> None:
    person = ctx.require_person()
    person.onboarding_step = PRIVACY_STEP
    await ctx.publish(PrivacyNoticeRead())  # consent asks each core scope, then calls finish()
    if person.onboarding_step == PRIVACY_STEP:  # nobody took over: nothing left to ask
        await finish(ctx)


async def finish(ctx: Context) -> None:
    ctx.require_person().onboarding_step = "done"
    await ctx.reply(_("onboarding.done"))
