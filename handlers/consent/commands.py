"""Consent: `consent` (my answers and what each scope means), `consent SCOPE yes|no`,
`consentreport [SESSION]` for coordinators and facilitators, `consentexpiry PERIOD|off` for
coordinators, and the consent step of onboarding.

Consent is explicit, per scope and per cohort, revocable at any time, and silence is never
consent: the state is derived from an append-only ledger (storage/repositories/consent.py).
Check-ins, the do-not-record list and renewals are in handlers/consent/jobs.py.

Other capabilities use `has_consent(session, person_id, scope, cohort_id, occurrence, now=..)`
(debriefs: "debrief"; alumni nudges: "alumni")."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from dateutil.relativedelta import relativedelta

from bot.commands import Args, pick_number
from bot.context import Context
from bot.errors import UserError
from bot.i18n import _
from bot.messages import Choice
from bot.router import Answer, Router
from handlers import onboarding
from handlers.consent import jobs
from handlers.consent import report as report_module
from handlers.consent.flow import give, has_consent, policy_of, schedule_renewal
from handlers.consent.payloads import OnboardingQuestion
from handlers.consent.report import report
from handlers.consent.text import (
    label,
    meaning,
    parse_answer,
    parse_scope,
    period,
    scope_names,
    state_text,
    yes_no_choices,
)
from handlers.help import prefix
from handlers.onboarding import PrivacyNoticeRead
from handlers.scheduling import LOOK_AHEAD, Occurrence, occurrences_between
from storage.models import Cohort, Person, ScheduledSession
from storage.models.consent import CORE_SCOPES, NO, SCOPES, VIA_COMMAND, VIA_ONBOARDING, YES
from storage.repositories.cohorts import members, membership
from storage.repositories.consent import (
    EXPIRY_KEY,
    ExpiryPolicy,
    current_yes_rows,
    effective_expiry,
    per_session_rows,
    states_for,
)
from storage.repositories.scheduling import session_by_number

router = Router()
router.include(jobs.router)
router.include(report_module.router)

ONBOARDING_QUESTION = "consent.onboarding"
SKIP, STOP = "skip", "stop"
MIN_EXPIRY = timedelta(days=7)
MAX_EXPIRY = relativedelta(years=5)
EXPIRY_EXAMPLE = "6m"
OFF_WORDS = ("off", "never", "none")

__all__ = ["has_consent", "router"]


# --------------------------------------------------------------------------- consent


@router.command("consent", usage="[SCOPE yes|no]", help_id=_("consent.help_consent"))
async def consent(ctx: Context, args: Args) -> None:
    person = ctx.require_person()
    cohort = ctx.require_cohort()
    if not args.words:
        await show_all(ctx, person, cohort)
        return
    scope = parse_scope(ctx, args.words[0])
    if scope is None:
        raise UserError(
            _("consent.unknown_scope"),
            scope=args.words[0],
            scopes=scope_names(ctx.tr),
            example=f"{prefix(ctx)}consent recording no",
        )
    if len(args) == 1:
        await show_one(ctx, person, cohort, scope)
        return
    answer = parse_answer(ctx, args.rest(1))
    if len(args) > 2 or answer is None:
        raise UserError(
            _("consent.bad_answer"),
            answer=args.rest(1),
            example=f"{prefix(ctx)}consent {scope} yes",
        )
    row = await give(ctx, person, cohort, scope, answer, VIA_COMMAND)
    other = NO if answer == YES else YES
    lines = [
        ctx.t(
            _("consent.set_yes") if answer == YES else _("consent.set_no"),
            scope=label(ctx.tr, scope),
            cohort=cohort.name,
            command=f"{prefix(ctx)}consent {scope} {other}",
        )
    ]
    until = effective_expiry(row, policy_of(cohort))
    if until is not None:
        lines.append(ctx.t(_("consent.set_until"), date=ctx.tr.date(until.astimezone(ctx.zone))))
    await ctx.say("\n".join(lines))


async def show_all(ctx: Context, person: Person, cohort: Cohort) -> None:
    states = (await states_for(ctx.session, cohort.id, [person.id], ctx.now, policy_of(cohort)))[
        person.id
    ]
    lines = [ctx.t(_("consent.show_title"), cohort=cohort.name), ""]
    for scope in SCOPES:
        lines.append(
            ctx.t(
                _("consent.show_line"),
                scope=label(ctx.tr, scope),
                name=scope,
                state=state_text(ctx.tr, states[scope], ctx.zone),
            )
        )
        lines.append(ctx.t(_("consent.show_meaning"), meaning=meaning(ctx.tr, scope)))
    lines.extend(await per_session_lines(ctx, person, cohort))
    lines.append("")
    lines.append(ctx.t(_("consent.show_footer"), example=f"{prefix(ctx)}consent photos no"))
    await ctx.say("\n".join(lines))


async def per_session_lines(ctx: Context, person: Person, cohort: Cohort) -> list[str]:
    """ "Not for this session" answers for occurrences that have not ended yet."""
    rows = await per_session_rows(ctx.session, person.id, cohort.id)
    if not rows:
        return []
    upcoming: dict[str, Occurrence] = {}
    for occurrences in await _upcoming_of(ctx, {r.session_id for r in rows}):
        upcoming.update({o.key: o for o in occurrences})
    lines = []
    seen: set[tuple[str, str]] = set()
    for row in reversed(rows):  # the latest per-session answer counts
        key = row.occurrence_key or ""
        if (key, row.scope) in seen or key not in upcoming:
            continue
        seen.add((key, row.scope))
        if row.answer != NO:
            continue
        occ = upcoming[key]
        lines.append(
            ctx.t(
                _("consent.show_session_line"),
                scope=label(ctx.tr, row.scope),
                number=occ.number,
                when=ctx.tr.datetime(occ.start, ctx.zone),
            )
        )
    return ["", *lines] if lines else []


async def _upcoming_of(ctx: Context, session_ids: set[int | None]) -> list[list[Occurrence]]:
    found = []
    for session_id in session_ids:
        if session_id is None:
            continue
        session = await ctx.session.get(ScheduledSession, session_id)
        if session is not None:
            found.append(
                await occurrences_between(ctx.session, session, ctx.now, ctx.now + LOOK_AHEAD)
            )
    return found


async def show_one(ctx: Context, person: Person, cohort: Cohort, scope: str) -> None:
    states = await states_for(
        ctx.session, cohort.id, [person.id], ctx.now, policy_of(cohort), scopes=[scope]
    )
    await ctx.reply(
        _("consent.show_one"),
        scope=label(ctx.tr, scope),
        cohort=cohort.name,
        state=state_text(ctx.tr, states[person.id][scope], ctx.zone),
        meaning=meaning(ctx.tr, scope),
        yes=f"{prefix(ctx)}consent {scope} yes",
        no=f"{prefix(ctx)}consent {scope} no",
    )


# --------------------------------------------------------------------------- report


@router.command("consentreport", usage="[SESSION]", help_id=_("consent.help_consentreport"))
async def consentreport(ctx: Context, args: Args) -> None:
    cohort = ctx.require_cohort()
    occurrence: Occurrence | None = None
    if args.words:
        number = pick_number(args.words[0])
        session = (
            await session_by_number(ctx.session, cohort.id, number) if number is not None else None
        )
        if session is None:
            raise UserError(
                _("consent.report_unknown_session"),
                session=args.words[0],
                example=f"{prefix(ctx)}consentreport 1",
            )
        upcoming = await occurrences_between(ctx.session, session, ctx.now, ctx.now + LOOK_AHEAD)
        if not upcoming:
            raise UserError(
                _("consent.report_session_over"),
                number=session.number,
                example=f"{prefix(ctx)}consentreport",
            )
        occurrence = upcoming[0]
    await ctx.say(await report(ctx, cohort, occurrence))


# --------------------------------------------------------------------------- expiry


def parse_expiry(text: str) -> ExpiryPolicy | None:
    cleaned = text.strip().lower().replace(" ", "")
    for long, short in (("months", "m"), ("month", "m"), ("mo", "m"), ("years", "y")):
        cleaned = cleaned.replace(long, short)
    if cleaned.isdigit():
        cleaned += "m"
    return ExpiryPolicy.parse(cleaned)


@router.command(
    "consentexpiry",
    usage="PERIOD|off",
    help_id=_("consent.help_consentexpiry"),
)
async def consentexpiry(ctx: Context, args: Args) -> None:
    cohort = ctx.require_cohort()
    example = f"{prefix(ctx)}consentexpiry {EXPIRY_EXAMPLE}"
    policy = policy_of(cohort)
    if not args.words:
        if policy is None:
            await ctx.reply(_("consent.expiry_none"), cohort=cohort.name, example=example)
        else:
            await ctx.reply(
                _("consent.expiry_show"), cohort=cohort.name, period=period(ctx.tr, policy)
            )
        return
    text = args.rest(0)
    settings: dict[str, Any] = dict(cohort.settings or {})
    if text.strip().lower() in OFF_WORDS:
        settings.pop(EXPIRY_KEY, None)
        cohort.settings = settings
        await ctx.reply(_("consent.expiry_off"), cohort=cohort.name)
        return
    new = parse_expiry(text)
    if new is None:
        raise UserError(_("consent.expiry_bad"), value=text, example=example)
    if new.after(ctx.now) < ctx.now + MIN_EXPIRY or new.after(ctx.now) > ctx.now + MAX_EXPIRY:
        raise UserError(_("consent.expiry_range"), value=text, example=example)
    settings[EXPIRY_KEY] = new.code
    cohort.settings = settings
    renewals = await schedule_renewals(ctx, cohort)
    await ctx.reply(_("consent.expiry_set"), cohort=cohort.name, period=period(ctx.tr, new))
    if renewals:
        await ctx.say(ctx.tn("consent.expiry_renewals", renewals))


async def schedule_renewals(ctx: Context, cohort: Cohort) -> int:
    """Existing yes answers now expire earlier or at all: their one renewal question is
    (re)planned. Returns how many answers have already expired by the new setting."""
    people = {p.id: p for _m, p in await members(ctx.session, cohort.id)}
    policy = policy_of(cohort)
    expired = 0
    for row in await current_yes_rows(ctx.session, cohort.id, list(people)):
        until = effective_expiry(row, policy)
        if until is None:
            continue
        if until <= ctx.now:
            expired += 1
        await schedule_renewal(ctx, row, people[row.person_id], cohort, until)
    return expired


# --------------------------------------------------------------------------- onboarding


async def onboarding_cohort(ctx: Context, person: Person) -> Cohort | None:
    if person.active_cohort_id is None:
        return None
    cohort = await ctx.session.get(Cohort, person.active_cohort_id)
    if cohort is None or await membership(ctx.session, cohort.id, person.id) is None:
        return None
    return cohort


@router.on(PrivacyNoticeRead)
async def ask_onboarding_scopes(ctx: Context, _event: PrivacyNoticeRead) -> None:
    """The consent step of onboarding: each core scope once, each skippable, for the cohort
    the person just joined; then onboarding finishes. Scopes that already have an answer are
    not asked again (someone repeating `start`). Without a cohort there is nothing to consent
    to yet (check-ins ask before recorded sessions): onboarding then finishes without us."""
    person = ctx.require_person()
    cohort = await onboarding_cohort(ctx, person)
    if cohort is None:
        return
    states = await states_for(ctx.session, cohort.id, [person.id], ctx.now, policy_of(cohort))
    open_scopes = [s for s in CORE_SCOPES if states[person.id][s].answer is None]
    if not open_scopes:
        return
    person.onboarding_step = "consent"
    await _ask_scope(ctx, cohort, open_scopes, 0)


async def _ask_scope(ctx: Context, cohort: Cohort, scopes: list[str], index: int) -> None:
    scope = scopes[index]
    lines = []
    if index == 0:
        lines.append(ctx.t(_("consent.onboarding_intro"), cohort=cohort.name))
    lines.append(
        ctx.t(
            _("consent.onboarding_question"),
            step=index + 1,
            steps=len(scopes),
            scope=label(ctx.tr, scope),
            meaning=meaning(ctx.tr, scope),
        )
    )
    choices = [
        *yes_no_choices(ctx.tr),
        Choice(SKIP, ctx.t(_("consent.choice_skip"))),
        Choice(STOP, ctx.t(_("consent.choice_skip_rest"))),
    ]
    await ctx.ask(
        ONBOARDING_QUESTION,
        "\n\n".join(lines),
        choices,
        payload=OnboardingQuestion(cohort.id, tuple(scopes), index),
        sticky=True,
    )


@router.question(ONBOARDING_QUESTION, payload=OnboardingQuestion)
async def onboarding_answer(ctx: Context, answer: Answer[OnboardingQuestion]) -> None:
    person = ctx.require_person()
    cohort_id, index = answer.data.cohort_id, answer.data.index
    scopes = [s for s in answer.data.scopes if s in SCOPES]
    cohort = await ctx.session.get(Cohort, cohort_id) if cohort_id is not None else None
    if cohort is None or index is None or not 0 <= index < len(scopes):
        await _finish(ctx)
        return
    ctx.cohort = cohort
    if answer.key in (YES, NO):
        await give(ctx, person, cohort, scopes[index], answer.key, VIA_ONBOARDING)
    if answer.key != STOP and index + 1 < len(scopes):
        await _ask_scope(ctx, cohort, scopes, index + 1)
        return
    await ctx.reply(_("consent.onboarding_done"), command=f"{prefix(ctx)}consent")
    await _finish(ctx)


async def _finish(ctx: Context) -> None:
    await onboarding.finish(ctx)
