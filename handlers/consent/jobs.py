"""Consent work tied to time: check-ins before recorded sessions, the do-not-record list 15
minutes before each recorded occurrence, and the one renewal question when a yes expires.

Check-ins go to members whose recording answer for that occurrence is unanswered (never
asked, skipped, or expired) -- never to someone who said no, for the cohort or for that
session, and never twice for one occurrence. They are planned about 48 hours before the start,
moved out of the person's quiet hours (earlier, never after the start)."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.context import Context
from bot.discreet import cohort_label, topic_label
from bot.i18n import _
from bot.messages import Choice
from bot.outbox import NewJob
from bot.profile import quiet_hours, zone_of
from bot.router import Answer, JobInfo, Router
from bot.timeparse import in_quiet_hours, next_quiet_end, shift_out_of_quiet, stamp
from handlers.consent.flow import RENEW, give, policy_of, state
from handlers.consent.payloads import CheckinQuestion, RenewJob, RenewQuestion
from handlers.consent.report import LIST_LEAD, send_list
from handlers.consent.text import label, meaning, period
from handlers.scheduling import (
    Occurrence,
    OccurrenceJob,
    OccurrenceScheduled,
    occurrence_by_id,
    occurrence_job_key,
    session_members,
)
from storage.models import Cohort, Person
from storage.models.cohorts import CohortStatus, Role
from storage.models.consent import NO, VIA_CHECKIN, VIA_RENEWAL, YES, ConsentRecord
from storage.repositories.cohorts import membership
from storage.repositories.consent import effective_expiry, latest_general

router = Router()

CHECKIN = "consent.checkin"
LIST = "consent.list"
CHECKIN_QUESTION = "consent.checkin"
RENEW_QUESTION = "consent.renew"
CHECKIN_LEAD = timedelta(hours=48)
# A check-in pushed later (quiet hours changed) must still leave this much time to answer.
CHECKIN_MARGIN = timedelta(minutes=30)
CHECKIN_SCOPE = "recording"
NOT_THIS_SESSION = "session"
LATER = "later"


# --------------------------------------------------------------------------- events


def _payload(occurrence: Occurrence) -> OccurrenceJob:
    return OccurrenceJob(occurrence.row_id, stamp(occurrence.start))


def checkin_due(person: Person, cohort: Cohort, occurrence: Occurrence, ctx: Context) -> datetime:
    ideal = occurrence.start - CHECKIN_LEAD
    quiet = quiet_hours(person, ctx.config)
    if quiet is None:
        return ideal
    zone = zone_of(person, cohort.zone)
    return shift_out_of_quiet(ideal, zone, *quiet, not_after=occurrence.start, direction="before")


@router.on(OccurrenceScheduled)
async def on_scheduled(ctx: Context, event: OccurrenceScheduled) -> None:
    """For a recorded occurrence: one check-in job per member, one list job. Idempotent."""
    occurrence = event.occurrence
    if not occurrence.recorded or occurrence.row_id is None or occurrence.start <= ctx.now:
        return
    cohort = await ctx.session.get(Cohort, occurrence.cohort_id)
    if cohort is None:
        return
    jobs: list[NewJob] = []
    for person in await session_members(ctx.session, cohort.id):
        due = checkin_due(person, cohort, occurrence, ctx)
        if due < ctx.now:
            # Scheduled late: ask now, or when the quiet hours end, if that leaves time.
            due = ctx.now
            quiet = quiet_hours(person, ctx.config)
            if quiet is not None:
                due = next_quiet_end(ctx.now, zone_of(person, cohort.zone), *quiet)
            if due > occurrence.start - CHECKIN_MARGIN:
                continue
        jobs.append(
            NewJob(
                CHECKIN,
                due,
                key=occurrence_job_key(CHECKIN, occurrence, f"p{person.id}"),
                payload=_payload(occurrence),
                person_id=person.id,
                cohort_id=cohort.id,
            )
        )
    jobs.append(
        NewJob(
            LIST,
            max(occurrence.start - LIST_LEAD, ctx.now),
            key=occurrence_job_key(LIST, occurrence),
            payload=_payload(occurrence),
            cohort_id=cohort.id,
        )
    )
    await ctx.schedule_many(jobs)  # one statement; those planned on an earlier day stay


# --------------------------------------------------------------------------- jobs


async def _current(ctx: Context, payload: OccurrenceJob) -> tuple[Occurrence, Cohort] | None:
    """The occurrence a job is about, if it still takes place when the job expected."""
    occurrence_id = payload.occurrence_id
    if occurrence_id is None:
        return None
    occurrence = await occurrence_by_id(ctx.session, occurrence_id)
    if occurrence is None or occurrence.cancelled or not occurrence.recorded:
        return None
    if stamp(occurrence.start) != payload.start:
        return None
    cohort = await ctx.session.get(Cohort, occurrence.cohort_id)
    if cohort is None or cohort.status == CohortStatus.CLOSED:
        return None
    ctx.cohort = cohort
    return occurrence, cohort


@router.job(CHECKIN, payload=OccurrenceJob)
async def checkin(ctx: Context, job: JobInfo[OccurrenceJob]) -> None:
    found = await _current(ctx, job.data)
    person = ctx.person
    if found is None or person is None:
        return
    occurrence, cohort = found
    member = await membership(ctx.session, cohort.id, person.id)
    if member is None or member.role == Role.ALUMNI or ctx.now >= occurrence.start:
        return
    current = await state(ctx.session, person.id, cohort, CHECKIN_SCOPE, ctx.now, occurrence.key)
    if current.answer is not None:
        return  # a yes needs no check-in; a no is never asked again
    zone = zone_of(person, cohort.zone)
    quiet = quiet_hours(person, ctx.config)
    if quiet is not None and in_quiet_hours(ctx.now.astimezone(zone), *quiet):
        # Quiet hours changed since this was planned: wait for them to end, if there is time.
        later = next_quiet_end(ctx.now, zone, *quiet)
        if later <= occurrence.start - CHECKIN_MARGIN:
            key = occurrence_job_key(CHECKIN, occurrence, f"p{person.id}", f"r{stamp(later)}")
            await ctx.defer(job, later, key=key)
        return
    tr = ctx.tr
    text = "\n\n".join(
        [
            tr.t(
                _("consent.checkin_question"),
                number=occurrence.number,
                title=topic_label(tr, cohort, occurrence.title),
                when=tr.datetime(occurrence.start, zone),
                cohort=cohort_label(tr, cohort),
            ),
            meaning(tr, CHECKIN_SCOPE),
            tr.t(_("consent.checkin_note")),
        ]
    )
    choices = [
        Choice(YES, tr.t(_("consent.checkin_yes"))),
        Choice(NO, tr.t(_("consent.checkin_no"))),
        Choice(NOT_THIS_SESSION, tr.t(_("consent.checkin_not_this_session"))),
    ]
    await ctx.ask(
        CHECKIN_QUESTION,
        text,
        choices,
        payload=CheckinQuestion(job.data.occurrence_id, job.data.start, cohort.id),
        sticky=True,
        expires_in=occurrence.end - ctx.now,
    )


@router.question(CHECKIN_QUESTION, payload=CheckinQuestion)
async def checkin_answer(ctx: Context, answer: Answer[CheckinQuestion]) -> None:
    person = ctx.require_person()
    occurrence_id = answer.data.occurrence_id
    occurrence = (
        await occurrence_by_id(ctx.session, occurrence_id) if occurrence_id is not None else None
    )
    cohort = await ctx.session.get(Cohort, occurrence.cohort_id) if occurrence else None
    if occurrence is None or cohort is None:
        await ctx.reply(_("consent.checkin_gone"))
        return
    ctx.cohort = cohort
    scope_label = label(ctx.tr, CHECKIN_SCOPE)
    if answer.key == NOT_THIS_SESSION:
        await give(ctx, person, cohort, CHECKIN_SCOPE, NO, VIA_CHECKIN, occurrence)
        await ctx.reply(
            _("consent.checkin_done_session"), number=occurrence.number, scope=scope_label
        )
        return
    value = YES if answer.key == YES else NO
    await give(ctx, person, cohort, CHECKIN_SCOPE, value, VIA_CHECKIN)
    msgid = _("consent.checkin_done_yes") if value == YES else _("consent.checkin_done_no")
    await ctx.reply(msgid, scope=scope_label, cohort=cohort.name)


@router.job(LIST, payload=OccurrenceJob)
async def send_do_not_record_list(ctx: Context, job: JobInfo[OccurrenceJob]) -> None:
    found = await _current(ctx, job.data)
    if found is None:
        return
    occurrence, cohort = found
    if ctx.now >= occurrence.end:
        return
    await send_list(ctx, cohort, occurrence)


# --------------------------------------------------------------------------- renewal


@router.job(RENEW, payload=RenewJob)
async def renew(ctx: Context, job: JobInfo[RenewJob]) -> None:
    """Ask once whether an expired yes still holds; if not answered it stays unanswered."""
    person = ctx.person
    record_id = job.data.record_id
    if person is None or record_id is None or job.cohort_id is None:
        return
    row = await ctx.session.get(ConsentRecord, record_id)
    cohort = await ctx.session.get(Cohort, job.cohort_id)
    if (
        row is None
        or cohort is None
        or (cohort.status == CohortStatus.CLOSED and row.scope != "alumni")
    ):
        return
    member = await membership(ctx.session, cohort.id, person.id)
    latest = await latest_general(ctx.session, person.id, cohort.id, row.scope)
    if member is None or latest is None or latest.id != row.id:
        return  # they answered again since: nothing to renew
    expiry = effective_expiry(row, policy_of(cohort))
    if expiry is None or expiry > ctx.now:
        return
    ctx.cohort = cohort
    zone = zone_of(person, cohort.zone)
    quiet = quiet_hours(person, ctx.config)
    if quiet is not None and in_quiet_hours(ctx.now.astimezone(zone), *quiet):
        later = next_quiet_end(ctx.now, zone, *quiet)
        await ctx.defer(job, later, key=f"{RENEW}:r{row.id}:{stamp(later)}")
        return
    tr = ctx.tr
    policy = policy_of(cohort)
    lines = [
        tr.t(
            _("consent.renew_question"),
            scope=label(tr, row.scope),
            cohort=cohort_label(tr, cohort),
            given=tr.date(row.given_at.astimezone(zone)),
        ),
        meaning(tr, row.scope),
    ]
    if policy is not None:
        lines.append(tr.t(_("consent.renew_why"), period=period(tr, policy)))
    lines.append(tr.t(_("consent.renew_note")))
    await ctx.ask(
        RENEW_QUESTION,
        "\n\n".join(lines),
        [
            Choice(YES, tr.t(_("consent.choice_yes"))),
            Choice(NO, tr.t(_("consent.choice_no"))),
            Choice(LATER, tr.t(_("consent.choice_later"))),
        ],
        payload=RenewQuestion(row.id, cohort.id, row.scope),
        sticky=True,
    )


@router.question(RENEW_QUESTION, payload=RenewQuestion)
async def renew_answer(ctx: Context, answer: Answer[RenewQuestion]) -> None:
    person = ctx.require_person()
    cohort_id, scope = answer.data.cohort_id, answer.data.scope
    cohort = await ctx.session.get(Cohort, cohort_id) if cohort_id is not None else None
    if cohort is None or scope is None:
        await ctx.reply(_("consent.checkin_gone"))
        return
    ctx.cohort = cohort
    scope_label = label(ctx.tr, scope)
    if answer.key not in (YES, NO):
        await ctx.reply(_("consent.renew_later"), scope=scope_label, command=f"/consent {scope}")
        return
    await give(ctx, person, cohort, scope, answer.key, VIA_RENEWAL)
    await ctx.reply(
        _("consent.set_yes") if answer.key == YES else _("consent.set_no"),
        scope=scope_label,
        cohort=cohort.name,
        command=f"/consent {scope} {NO if answer.key == YES else YES}",
    )
