"""The alumni network: what happens when a cohort closes (a welcome to its alumni, nudges for
open commitments, annual check-ins), and the router that gathers the alumni modules:
handlers/alumni/commitments.py (commitments and nudges), handlers/alumni/directory.py (the opt-in
directory) and handlers/alumni/mentoring.py (mentor offers and pairing).

Everything the bot starts on its own here is a durable job with an idempotency key, runs
outside the person's quiet hours, and reaches only people with a current yes to alumni contact
for that cohort (`consent alumni no` stops it; a later yes brings it back, since the jobs keep
checking). Nudges and check-ins share the weekly limit of the nudge log."""

from __future__ import annotations

from datetime import timedelta

from dateutil.relativedelta import relativedelta

from bot.context import Context
from bot.i18n import _
from bot.messages import Choice
from bot.profile import out_of_quiet, zone_of
from bot.router import Answer, JobInfo, Router
from bot.timeparse import stamp
from handlers.alumni import commitments, directory, mentoring
from handlers.alumni.common import (
    consent_answer,
    consents,
    give_alumni_answer,
    helper_for,
    local_morning,
    name_of,
    next_contact_time,
    prefix_for,
    reach,
    relation_text,
    tell_helper,
)
from handlers.alumni.payloads import AnnualCheckin, OfCohort
from handlers.cohorts import CohortClosed
from storage.models import Cohort, Person
from storage.models.alumni import CONTACT_CHECKIN, AlumniContact
from storage.models.cohorts import CohortStatus, Role
from storage.repositories.alumni import closed_cohorts_of, open_in_cohort, open_of
from storage.repositories.cohorts import members, membership

router = Router()
router.include(commitments.router)
router.include(directory.router)
router.include(mentoring.router)

WELCOME = "alumni.welcome"
CHECKIN = "alumni.checkin"
CHECKIN_QUESTION = "alumni.checkin"
# The welcome comes a little after the closing notice, as a message of its own.
WELCOME_DELAY = timedelta(minutes=10)
# Annual check-ins stop after this many years.
MAX_YEARS = 20
QUESTION_LIFETIME = timedelta(days=30)
WELL, SUPPORT, STOP = "well", "support", "stop"
CHECKIN_CHOICES = {
    WELL: _("alumni.checkin_well"),
    SUPPORT: _("alumni.checkin_support"),
    STOP: _("alumni.checkin_stop"),
}


# Closing a cohort ------------------------------------------------------------------------------


@router.on(CohortClosed)
async def cohort_closed(ctx: Context, event: CohortClosed) -> None:
    """A cohort closed: plan the after-close nudges of every open commitment made in the
    cohort, and for each alumni member a welcome and the first annual check-in."""
    cohort = event.cohort
    for commitment in await open_in_cohort(ctx.session, cohort.id):
        person = await ctx.session.get(Person, commitment.person_id)
        if person is not None:
            await commitments.plan_nudges(ctx, commitment, person, cohort)
    for _m, person in await members(ctx.session, cohort.id, roles=(Role.ALUMNI,)):
        zone = zone_of(person, cohort.zone)
        await ctx.schedule(
            WELCOME,
            out_of_quiet(person, ctx.config, zone, ctx.now + WELCOME_DELAY),
            key=f"{WELCOME}:c{cohort.id}:p{person.id}",
            payload=OfCohort(cohort.id),
            person_id=person.id,
            cohort_id=cohort.id,
        )
        await schedule_checkin(ctx, person, cohort, 1)


@router.job(WELCOME, payload=OfCohort)
async def welcome(ctx: Context, job: JobInfo[OfCohort]) -> None:
    """Thanks, what follows, and how to opt out (or in)."""
    person = ctx.person
    cohort = await ctx.session.get(Cohort, job.data.cohort_id)
    if person is None or cohort is None or cohort.status != CohortStatus.CLOSED:
        return
    if await membership(ctx.session, cohort.id, person.id) is None:
        return
    p = await prefix_for(ctx.session, person.id)
    still_open = [c for c in await open_of(ctx.session, person.id) if c.cohort_id == cohort.id]
    lines = [ctx.t(_("alumni.welcome"), cohort=cohort.name), ""]
    if still_open:
        lines.append(ctx.tn("alumni.welcome_commitments", len(still_open)))
    else:
        lines.append(ctx.t(_("alumni.welcome_no_commitments"), command=f'{p}commit "…" by …'))
    lines.append(ctx.t(_("alumni.welcome_checkin")))
    lines.append(
        ctx.t(
            _("alumni.welcome_network"),
            directory=f"{p}directory on",
            alumni=f"{p}alumni",
            mentor=f"{p}mentor on",
            findmentor=f"{p}findmentor",
        )
    )
    lines.append("")
    answer = await consent_answer(ctx, person.id, cohort.id)
    if answer is True:
        lines.append(ctx.t(_("alumni.welcome_opt_out"), command=f"{p}consent alumni no"))
    else:
        lines.append(ctx.t(_("alumni.welcome_opt_in"), command=f"{p}consent alumni yes"))
    await ctx.send_to_person(person.id, "\n".join(lines))


# Annual check-ins ------------------------------------------------------------------------------


async def schedule_checkin(ctx: Context, person: Person, cohort: Cohort, year: int) -> None:
    if cohort.closed_at is None or year > MAX_YEARS:
        return
    zone = zone_of(person, cohort.zone)
    day = cohort.closed_at.astimezone(zone).date() + relativedelta(years=year)
    await ctx.schedule(
        CHECKIN,
        local_morning(ctx, person, zone, day),
        key=f"{CHECKIN}:c{cohort.id}:p{person.id}:y{year}",
        payload=AnnualCheckin(cohort.id, year),
        person_id=person.id,
        cohort_id=cohort.id,
    )


@router.job(CHECKIN, payload=AnnualCheckin)
async def annual_checkin(ctx: Context, job: JobInfo[AnnualCheckin]) -> None:
    person = ctx.person
    cohort = await ctx.session.get(Cohort, job.data.cohort_id)
    year = job.data.year
    if person is None or cohort is None:
        return
    if await membership(ctx.session, cohort.id, person.id) is None:
        return  # left the cohort: no more check-ins
    # The chain goes on whatever happens this year: a later yes to alumni contact revives it.
    await schedule_checkin(ctx, person, cohort, year + 1)
    if not await consents(ctx, person.id, cohort.id):
        return
    zone = zone_of(person, cohort.zone)
    when = await next_contact_time(ctx, person, zone)
    if when > ctx.now:
        await ctx.defer(job, when, key=f"{CHECKIN}:c{cohort.id}:p{person.id}:y{year}:{stamp(when)}")
        return
    p = await prefix_for(ctx.session, person.id)
    text = "\n".join(
        [
            ctx.tn("alumni.checkin_question", year, cohort=cohort.name),
            ctx.t(_("alumni.checkin_stop_means"), command=f"{p}consent alumni no"),
        ]
    )
    await ctx.ask(
        CHECKIN_QUESTION,
        text,
        [Choice(key, ctx.t(label)) for key, label in CHECKIN_CHOICES.items()],
        payload=OfCohort(cohort.id),
        sticky=True,
        expires_in=QUESTION_LIFETIME,
    )
    ctx.session.add(
        AlumniContact(
            person_id=person.id,
            kind=CONTACT_CHECKIN,
            cohort_id=cohort.id,
            commitments=[],
            sent_at=ctx.now,
        )
    )


@router.question(CHECKIN_QUESTION, payload=OfCohort)
async def checkin_answered(ctx: Context, answer: Answer[OfCohort]) -> None:
    person = ctx.require_person()
    cohort = await ctx.session.get(Cohort, answer.data.cohort_id)
    p = await prefix_for(ctx.session, person.id)
    if answer.key == STOP:
        stopped = []
        for _m, past in await closed_cohorts_of(ctx.session, person.id):
            if await consent_answer(ctx, person.id, past.id) is not False:
                await give_alumni_answer(ctx, person, past, yes=False)
            stopped.append(past.name)
        await ctx.reply(
            _("alumni.checkin_stopped"),
            cohorts=ctx.tr.join(stopped),
            command=f"{p}consent alumni yes",
        )
        return
    if answer.key == SUPPORT:
        helper = await helper_for(ctx.session, person, cohort)
        if helper is None:
            await ctx.reply(_("alumni.help_nobody"), command=f"{p}findmentor")
            return
        await tell_helper(
            ctx,
            helper,
            _("alumni.support_request"),
            name=await name_of(ctx.session, person.id),
            cohort=cohort.name if cohort is not None else "",
            reach=await reach(ctx.session, person.id),
        )
        await ctx.reply(
            _("alumni.help_told"),
            name=await name_of(ctx.session, helper.person.id),
            relation=relation_text(ctx.tr, helper, cohort),
        )
        return
    await ctx.reply(_("alumni.checkin_glad"), commitments=f"{p}commitments")
