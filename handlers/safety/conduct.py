"""The code of conduct: `conduct` shows it (and asks to acknowledge it, until one has);
coordinators write it with `conduct set "TEXT"` (in their own language) and add translations
with `conduct translate LANG "TEXT"`, as announcements do. A new member sees it when they join
and is asked to acknowledge it; the roster shows who has."""

from __future__ import annotations

from sqlalchemy import delete

from bot.commands import Args
from bot.context import Context
from bot.errors import UserError
from bot.i18n import _
from bot.messages import Choice
from bot.router import Answer, Router
from handlers.cohorts import MemberJoined, RosterShown
from handlers.safety.common import checked_text, unquoted
from handlers.safety.payloads import OfCohort
from storage.models import Cohort, ConductAck, ConductText
from storage.models.cohorts import Role
from storage.repositories.cohorts import membership
from storage.repositories.safety import acknowledged, conduct_texts

router = Router()

ACK = "safety.conduct_ack"
MAX_CONDUCT = 3500  # one message with its header, in every language


@router.command(
    "conduct", usage='[set "TEXT" | translate LANG "TEXT"]', help_id=_("safety.help_conduct")
)
async def conduct(ctx: Context, args: Args) -> None:
    cohort = ctx.require_cohort()
    action = (args.get(0) or "").lower()
    if action not in ("", "set", "translate"):
        raise UserError(_("safety.conduct_usage"))
    if action and ctx.role != Role.COORDINATOR:
        raise UserError(
            _("core.not_allowed"), command=f"conduct {action}", role=ctx.t(f"role.{ctx.role}")
        )
    if action == "set":
        await set_conduct(ctx, cohort, args)
    elif action == "translate":
        await translate_conduct(ctx, cohort, args)
    else:
        await show_conduct(ctx, cohort, asking=True)


async def set_conduct(ctx: Context, cohort: Cohort, args: Args) -> None:
    text = checked_text(unquoted(args.raw.split(None, 1)[1] if len(args) > 1 else ""), MAX_CONDUCT)
    if not text:
        raise UserError(_("safety.conduct_usage"))
    await ctx.session.execute(delete(ConductText).where(ConductText.cohort_id == cohort.id))
    ctx.session.add(
        ConductText(
            cohort_id=cohort.id, language=ctx.tr.lang, original=True, text=text, set_at=ctx.now
        )
    )
    await ctx.reply(
        _("safety.conduct_set"), cohort=cohort.name, language=ctx.tr.language_name(ctx.tr.lang)
    )


async def translate_conduct(ctx: Context, cohort: Cohort, args: Args) -> None:
    parts = args.raw.split(None, 2)
    if len(parts) < 3:
        raise UserError(_("safety.conduct_usage"))
    catalogs = ctx.services.catalogs
    lang = catalogs.normalize(parts[1])
    if lang is None:
        raise UserError(
            _("safety.unknown_language"),
            language=parts[1][:20],
            available=", ".join(catalogs.languages),
        )
    text = checked_text(unquoted(parts[2]), MAX_CONDUCT)
    if not text:
        raise UserError(_("safety.conduct_usage"))
    texts = await conduct_texts(ctx.session, cohort.id)
    if not texts:
        raise UserError(_("safety.conduct_none_yet"), cohort=cohort.name)
    if lang == texts[0].language:
        raise UserError(_("safety.conduct_original"), language=ctx.tr.language_name(lang))
    for found in texts:
        if found.language == lang:
            found.text, found.set_at = text, ctx.now
            break
    else:
        ctx.session.add(ConductText(cohort_id=cohort.id, language=lang, text=text, set_at=ctx.now))
    await ctx.reply(
        _("safety.conduct_translated"), cohort=cohort.name, language=ctx.tr.language_name(lang)
    )


async def show_conduct(ctx: Context, cohort: Cohort, *, asking: bool) -> bool:
    """Show the code in the reader's language (else the original) and, until they have
    acknowledged it, ask them to. False when the cohort has none. `asking`: the person asked
    (`conduct`): the question answers their command, so their next typed reply goes to it;
    shown at join, it outlives onboarding and later commands (sticky)."""
    texts = await conduct_texts(ctx.session, cohort.id)
    if not texts:
        if asking:
            await ctx.reply(_("safety.conduct_none"), cohort=cohort.name)
        return False
    person = ctx.require_person()
    mine = next((t for t in texts if t.language == ctx.tr.lang), texts[0])
    shown = ctx.t(_("safety.conduct_header"), cohort=cohort.name) + "\n\n" + mine.text
    acks = await acknowledged(ctx.session, cohort.id, [person.id])
    if person.id in acks:
        when = ctx.tr.date(acks[person.id].astimezone(ctx.zone).date())
        await ctx.say(shown + "\n\n" + ctx.t(_("safety.conduct_acknowledged_on"), date=when))
        return True
    await ctx.ask(
        ACK,
        shown + "\n\n" + ctx.t(_("safety.conduct_ask")),
        [Choice("agree", ctx.t(_("safety.choice_agree")))],
        payload=OfCohort(cohort.id),
        sticky=not asking,
    )
    return True


@router.question(ACK, payload=OfCohort)
async def acknowledged_conduct(ctx: Context, answer: Answer[OfCohort]) -> None:
    person = ctx.require_person()
    cohort = await ctx.session.get(Cohort, answer.data.cohort)
    if cohort is None or await membership(ctx.session, cohort.id, person.id) is None:
        raise UserError(_("core.question_expired"))
    if person.id not in await acknowledged(ctx.session, cohort.id, [person.id]):
        ctx.session.add(
            ConductAck(cohort_id=cohort.id, person_id=person.id, acknowledged_at=ctx.now)
        )
    await ctx.reply(_("safety.conduct_thanks"), cohort=cohort.name)


@router.on(MemberJoined)
async def show_to_new_member(ctx: Context, event: MemberJoined) -> None:
    await show_conduct(ctx, event.cohort, asking=False)


@router.on(RosterShown)
async def roster_notes(ctx: Context, event: RosterShown) -> None:
    if not await conduct_texts(ctx.session, event.cohort.id):
        return
    ids = [row.person.id for row in event.rows]
    acks = await acknowledged(ctx.session, event.cohort.id, ids)
    yes, no = ctx.t(_("safety.roster_acknowledged")), ctx.t(_("safety.roster_not_acknowledged"))
    event.add({pid: yes if pid in acks else no for pid in ids})
