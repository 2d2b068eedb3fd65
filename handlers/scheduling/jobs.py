"""Durable scheduling work: materializing occurrences inside the horizon (a daily roll per
cohort), reminders, the end of each occurrence, and notices to members.

Materializing an occurrence = its row, one reminder job per member and lead, one
`scheduling.ended` job, and `OccurrenceScheduled` for other capabilities. Everything is
keyed (insert-if-absent), so rolling over the same window again only adds what is missing
(e.g. reminders for someone who joined since)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import select

from bot.context import Ask, Context
from bot.discreet import cohort_label, topic_label
from bot.i18n import Translator, _
from bot.outbox import NewJob, cancel_jobs
from bot.profile import quiet_hours, zone_of
from bot.router import JobInfo, Router, by_payload
from bot.timeparse import in_quiet_hours, next_quiet_end, stamp
from handlers.scheduling.api import (
    answers_for,
    cancel_occurrence_jobs,
    occurrence_by_id,
    occurrence_job_key,
    occurrences_between,
    session_member_ids,
    session_members,
)
from handlers.scheduling.core import (
    HORIZON,
    LOOK_AHEAD,
    REMINDER_LEADS,
    ROLL_EVERY,
    Occurrence,
    plan_reminders,
)
from handlers.scheduling.events import OccurrenceCancelled, OccurrenceEnded, OccurrenceScheduled
from handlers.scheduling.payloads import (
    NoticeJob,
    OccurrenceJob,
    ReminderJob,
    RsvpQuestion,
)
from handlers.scheduling.text import (
    answer_choices,
    answer_label,
    duration_text,
    repeat_text,
    until_text,
    when_full,
)
from storage.models import Cohort, Job, Person
from storage.models.cohorts import CohortStatus, Role
from storage.models.core import JobStatus
from storage.models.scheduling import SESSION_ACTIVE, ScheduledSession
from storage.repositories.cohorts import roles_of
from storage.repositories.scheduling import active_sessions, ensure_occurrence_row

router = Router()

ROLL = "scheduling.roll"
REMINDER = "scheduling.reminder"
ENDED = "scheduling.ended"
NOTICE = "scheduling.notice"
RSVP_QUESTION = "scheduling.rsvp"
# A reminder pushed out of new quiet hours must still leave this much time before the start.
LATE_REMINDER_MARGIN = timedelta(minutes=10)
# Re-planning a reminder at its due time looks at the whole lead-up to the session.
PLAN_FROM = timedelta(days=7)


# --------------------------------------------------------------------------- materializing


async def ensure_roll(ctx: Context, cohort_id: int, after: datetime) -> None:
    """Keep the cohort's daily roll going (one per day at most, whatever starts it)."""
    due = after + ROLL_EVERY
    await ctx.schedule(
        ROLL, due, key=f"{ROLL}:c{cohort_id}:{due.date().isoformat()}", cohort_id=cohort_id
    )


async def materialize(ctx: Context, session: ScheduledSession) -> list[Occurrence]:
    """Rows, reminders, end jobs and events for the session's occurrences in the horizon."""
    cohort = await ctx.session.get(Cohort, session.cohort_id)
    if cohort is None or session.status != SESSION_ACTIVE:
        return []
    members = await session_member_ids(ctx.session, session.cohort_id)
    done: list[Occurrence] = []
    for occurrence in await occurrences_between(ctx.session, session, ctx.now, ctx.now + HORIZON):
        if occurrence.row_id is None:
            row, _new = await ensure_occurrence_row(
                ctx.session,
                session.id,
                occurrence.original_start,
                occurrence.start,
                occurrence.end,
                ctx.now,
            )
            occurrence = replace(occurrence, row_id=row.id)
        end = NewJob(
            ENDED,
            occurrence.end,
            key=occurrence_job_key(ENDED, occurrence),
            payload=OccurrenceJob(occurrence.row_id, stamp(occurrence.start)),
            cohort_id=session.cohort_id,
        )
        if occurrence.start > ctx.now:
            # Its end and everyone's reminders in one statement. The roll goes over them again
            # every day: whoever has a job for every lead already (planned earlier) is not
            # planned again, as none of theirs could be added.
            prefix = _reminder_prefix(occurrence)
            written = await _reminder_keys(ctx, prefix)
            unplanned = [p for p in members if not written.issuperset(_lead_keys(prefix, p))]
            people = await ctx.people(unplanned)  # no query when there is nobody
            await ctx.schedule_many(
                [
                    end,
                    *(
                        job
                        for person_id in unplanned
                        if (person := people.get(person_id)) is not None
                        for job in reminder_jobs(ctx, occurrence, person, cohort)
                    ),
                ]
            )
            await ctx.publish(OccurrenceScheduled(occurrence))
        else:
            await ctx.schedule_many([end])
        done.append(occurrence)
    return done


async def _reminder_keys(ctx: Context, prefix: str) -> set[str]:
    """The keys of the reminder jobs written under `prefix` (an occurrence's, `_reminder_prefix`)
    so far (a range of the unique key's index; where a collation orders the range otherwise,
    only some planning is redone)."""
    found = await ctx.session.execute(
        select(Job.idempotency_key).where(
            Job.idempotency_key >= prefix, Job.idempotency_key < prefix + "\U0010ffff"
        )
    )
    return set(found.scalars())


def _reminder_prefix(occurrence: Occurrence) -> str:
    """What the keys of an occurrence's reminder jobs begin with."""
    return occurrence_job_key(REMINDER, occurrence, "")


def _reminder_key(prefix: str, person_id: int, minutes: int) -> str:
    """The key of a person's reminder `minutes` before the occurrence of `prefix`."""
    return f"{prefix}p{person_id}:{minutes}m"


def _lead_keys(prefix: str, person_id: int) -> list[str]:
    return [_reminder_key(prefix, person_id, minutes) for minutes in _LEAD_MINUTES]


_LEAD_MINUTES = [int(lead.total_seconds() // 60) for lead in REMINDER_LEADS]


def reminder_jobs(
    ctx: Context, occurrence: Occurrence, person: Person, cohort: Cohort
) -> list[NewJob]:
    """The reminder jobs of `person` for `occurrence`, as planned now."""
    quiet = quiet_hours(person, ctx.config)
    zone = zone_of(person, cohort.zone)
    prefix = _reminder_prefix(occurrence)
    jobs: list[NewJob] = []
    for lead, due in plan_reminders(occurrence.start, zone, quiet, ctx.now):
        minutes = int(lead.total_seconds() // 60)
        jobs.append(
            NewJob(
                REMINDER,
                due,
                key=_reminder_key(prefix, person.id, minutes),
                payload=ReminderJob(occurrence.row_id, stamp(occurrence.start), minutes),
                person_id=person.id,
                cohort_id=occurrence.cohort_id,
            )
        )
    return jobs


async def unschedule(ctx: Context, occurrence: Occurrence) -> None:
    """An occurrence was cancelled or moved away: its jobs go, other capabilities are told."""
    await cancel_occurrence_jobs(ctx.session, occurrence)
    await ctx.publish(OccurrenceCancelled(occurrence))


@router.job(ROLL)
async def roll(ctx: Context, job: JobInfo) -> None:
    if job.cohort_id is None:
        return
    cohort = await ctx.session.get(Cohort, job.cohort_id)
    if cohort is None or cohort.status == CohortStatus.CLOSED:
        return
    ctx.cohort = cohort
    sessions = await active_sessions(ctx.session, cohort.id, ending_after=ctx.now)
    for session in sessions:
        await materialize(ctx, session)
    if sessions:
        due = job.due_at + ROLL_EVERY
        await ctx.schedule(
            ROLL, due, key=f"{ROLL}:c{cohort.id}:{due.date().isoformat()}", cohort_id=cohort.id
        )


# --------------------------------------------------------------------------- running them


async def _current(
    ctx: Context, occurrence_id: int | None, start: str | None
) -> tuple[Occurrence, Cohort] | None:
    """The occurrence a job is about, if it still takes place at the time the job knew
    (`start`, a stamp)."""
    if occurrence_id is None:
        return None
    occurrence = await occurrence_by_id(ctx.session, occurrence_id)
    if occurrence is None or occurrence.cancelled:
        return None
    if stamp(occurrence.start) != start:
        return None
    cohort = await ctx.session.get(Cohort, occurrence.cohort_id)
    if cohort is None:
        return None
    ctx.cohort = cohort
    return occurrence, cohort


@router.job_batch(REMINDER, payload=ReminderJob, ahead=True)
async def reminders(ctx: Context, jobs: Sequence[JobInfo[ReminderJob]]) -> None:
    """Reminders come in bursts (a session's, to every member, in the same minute): each
    occurrence's reminders are handled together, with a few queries for all of them. In real
    time they may run a moment ahead: each is judged at its own instant and held until then."""
    for occurrence_id, group in by_payload(jobs, _occurrence_of).items():
        await _remind(ctx, occurrence_id, group)


def _occurrence_of(data: ReminderJob) -> int | None:
    return data.occurrence_id


async def _remind(ctx: Context, occurrence_id: int, jobs: list[JobInfo[ReminderJob]]) -> None:
    occurrence = await occurrence_by_id(ctx.session, occurrence_id)
    if occurrence is None or occurrence.cancelled or ctx.now >= occurrence.start:
        return
    cohort = await ctx.session.get(Cohort, occurrence.cohort_id)
    if cohort is None:
        return
    ctx.cohort = cohort
    # Jobs planned for another start (the session moved since) are left to their successors.
    jobs = [job for job in jobs if job.data.start == stamp(occurrence.start)]
    person_ids = [job.person_id for job in jobs if job.person_id is not None]
    roles = await roles_of(ctx.session, cohort.id, person_ids)
    answers = await answers_for(ctx.session, occurrence, person_ids)
    people = await ctx.people(person_ids)
    asks: list[Ask] = []
    for job in jobs:
        person = people.get(job.person_id) if job.person_id is not None else None
        if person is None or roles.get(person.id, Role.ALUMNI) == Role.ALUMNI:
            continue
        answer = answers.of(person.id)
        if answer == "no":
            continue
        ask = await _reminder_for(ctx, job, occurrence, cohort, person, answer)
        if ask is not None:
            asks.append(ask)
    await ctx.ask_many(RSVP_QUESTION, asks, sticky=True)


async def _reminder_for(
    ctx: Context,
    job: JobInfo[ReminderJob],
    occurrence: Occurrence,
    cohort: Cohort,
    person: Person,
    answer: str | None,
) -> Ask | None:
    """The reminder to send `person` now, or None (merged, or planned again for later)."""
    zone = zone_of(person, cohort.zone)
    quiet = quiet_hours(person, ctx.config)
    lead = job.data.lead
    now = job.at(ctx.now)
    # The person may have changed zone or quiet hours since this was planned: plan again.
    plan = dict(plan_reminders(occurrence.start, zone, quiet, occurrence.start - PLAN_FROM))
    target = plan.get(timedelta(minutes=lead))
    if target is None:
        return None  # merged into the other reminder under the new quiet hours
    if target > now:
        await _reschedule(ctx, job, occurrence, person, target)
        return None
    if quiet is not None and in_quiet_hours(now.astimezone(zone), *quiet):
        # Late (the bot was down, or the plan was for an earlier moment): never in the night.
        later = next_quiet_end(now, zone, *quiet)
        if later <= occurrence.start - LATE_REMINDER_MARGIN:
            await _reschedule(ctx, job, occurrence, person, later)
        return None
    tr = ctx.translator_for(person)
    lines = [
        tr.t(
            _("scheduling.reminder_text"),
            title=topic_label(tr, cohort, occurrence.title),
            number=occurrence.number,
            when=when_full(tr, occurrence.start, zone),
            zone=zone.key,
            left=until_text(tr, occurrence.start - now),
            duration=duration_text(tr, occurrence.duration),
        )
    ]
    if occurrence.recorded:
        lines.append(tr.t(_("scheduling.recorded_note")))
    lines.append(tr.t(_("scheduling.reminder_answer"), answer=answer_label(tr, answer)))
    return Ask(
        person_id=person.id,
        text="\n".join(lines),
        choices=answer_choices(tr),
        key=f"job:{job.id}:1",  # one message per reminder job, whatever batch runs it
        payload=RsvpQuestion(occurrence.session_id, occurrence.row_id),
        expires_at=occurrence.end,
        at=now if now > ctx.now else None,
    )


async def _reschedule(
    ctx: Context, job: JobInfo[ReminderJob], occurrence: Occurrence, person: Person, due: datetime
) -> None:
    lead = f"{job.data.lead}m"
    key = occurrence_job_key(REMINDER, occurrence, f"p{person.id}", lead, f"r{stamp(due)}")
    await ctx.defer(job, due, key=key)


@router.job(ENDED, payload=OccurrenceJob)
async def ended(ctx: Context, job: JobInfo[OccurrenceJob]) -> None:
    found = await _current(ctx, job.data.occurrence_id, job.data.start)
    if found is not None:
        await ctx.publish(OccurrenceEnded(found[0]))


# --------------------------------------------------------------------------- notices

NEW = "new"
CANCEL_ONE = "cancel_one"
CANCEL_SERIES = "cancel_series"
MOVE_ONE = "move_one"
MOVE_SERIES = "move_series"


async def notify_members(
    ctx: Context,
    session: ScheduledSession,
    event: str,
    *,
    occurrence: Occurrence | None = None,
    old_start: datetime | None = None,
) -> int:
    """Queue a notice for every member but the sender, each at the end of their current quiet
    hours (never in their night). Returns how many people will be told.

    Someone whose notice of the new session is still waiting gets no change notice: that
    notice is written when it is delivered, so it already shows the change (and a session
    cancelled before they heard of it is not news to them)."""
    cohort = await ctx.session.get(Cohort, session.cohort_id)
    assert cohort is not None
    sender = ctx.person.id if ctx.person is not None else None
    waiting = await _waiting_new_notices(ctx, session)
    if event == CANCEL_SERIES and waiting:
        await cancel_jobs(ctx.session, Job.id.in_(list(waiting.values())))
    payload = NoticeJob(
        event,
        session.id,
        occurrence.row_id if occurrence is not None else None,
        stamp(occurrence.start) if occurrence is not None else None,
        old_start,
    )
    told = 0
    jobs: list[NewJob] = []
    for person in await session_members(ctx.session, session.cohort_id):
        if person.id == sender:
            continue
        if person.id in waiting:
            # Their pending notice of the new session will show this change.
            told += 0 if event == CANCEL_SERIES else 1
            continue
        due = ctx.now
        quiet = quiet_hours(person, ctx.config)
        if quiet is not None:
            due = next_quiet_end(ctx.now, zone_of(person, cohort.zone), *quiet)
        jobs.append(
            NewJob(
                NOTICE,
                due,
                key=f"{NOTICE}:s{session.id}:v{session.sequence}:{event}:p{person.id}",
                payload=payload,
                person_id=person.id,
                cohort_id=session.cohort_id,
            )
        )
        told += 1
    await ctx.schedule_many(jobs)  # one statement for every member's notice
    return told


async def _waiting_new_notices(ctx: Context, session: ScheduledSession) -> dict[int, int]:
    """person id -> job id of notices about this new session not delivered yet."""
    found = await ctx.session.execute(
        select(Job.person_id, Job.id).where(
            Job.kind == NOTICE,
            Job.status == JobStatus.PENDING,
            Job.idempotency_key.like(f"{NOTICE}:s{session.id}:v%:{NEW}:p%"),
        )
    )
    return {int(pid): int(jid) for pid, jid in found.all() if pid is not None}


@router.job_batch(NOTICE, payload=NoticeJob)
async def notices(ctx: Context, jobs: Sequence[JobInfo[NoticeJob]]) -> None:
    """Notices come in bursts (a new session, to every member at once): each session's notices
    are handled together, with a few queries for all of them."""
    for session_id, group in by_payload(jobs, _session_of).items():
        await _notify(ctx, session_id, group)


def _session_of(data: NoticeJob) -> int | None:
    return data.session_id


async def _notify(ctx: Context, session_id: int, jobs: list[JobInfo[NoticeJob]]) -> None:
    session = await ctx.session.get(ScheduledSession, session_id)
    if session is None:
        return
    cohort = await ctx.session.get(Cohort, session.cohort_id)
    if cohort is None:
        return
    ctx.cohort = cohort
    person_ids = [job.person_id for job in jobs if job.person_id is not None]
    roles = await roles_of(ctx.session, cohort.id, person_ids)
    people = await ctx.people(person_ids)
    upcoming: list[Occurrence] | None = None  # the session's next occurrences, read once
    asks: list[Ask] = []
    for job in jobs:
        person = people.get(job.person_id) if job.person_id is not None else None
        if person is None or roles.get(person.id, Role.ALUMNI) == Role.ALUMNI:
            continue  # left the cohort, or an alumnus now
        one = ctx.for_job(job.id, person)
        one.cohort = cohort
        event = job.data.event
        if event in (CANCEL_ONE, CANCEL_SERIES):
            await one.say(_cancel_notice(one, job, session, cohort, person))
            continue
        if session.status != SESSION_ACTIVE:
            continue
        if upcoming is None and event != MOVE_ONE:
            upcoming = await occurrences_between(
                ctx.session, session, ctx.now, ctx.now + LOOK_AHEAD
            )
        ask = await _notice_for(one, job, session, cohort, person, upcoming or [])
        if ask is not None:
            asks.append(ask)
    await ctx.ask_many(RSVP_QUESTION, asks, sticky=True)


def _notice_words(tr: Translator, cohort: Cohort, session: ScheduledSession) -> dict[str, object]:
    return {  # in discreet mode, neither the program nor the topic is named
        "title": topic_label(tr, cohort, session.title),
        "number": session.number,
        "cohort": cohort_label(tr, cohort),
    }


def _cancel_notice(
    ctx: Context,
    job: JobInfo[NoticeJob],
    session: ScheduledSession,
    cohort: Cohort,
    person: Person,
) -> str:
    tr = ctx.tr
    zone = zone_of(person, cohort.zone)
    old_start = job.data.old_start
    when = when_full(tr, old_start, zone) if old_start else ""
    # One date (or a session that has only one) is named, in the reader's zone.
    one = job.data.event == CANCEL_ONE or (session.rrule is None and bool(when))
    msgid = _("scheduling.notice_cancel_one") if one else _("scheduling.notice_cancel_series")
    return tr.t(msgid, when=when, **_notice_words(tr, cohort, session))


async def _notice_for(
    ctx: Context,
    job: JobInfo[NoticeJob],
    session: ScheduledSession,
    cohort: Cohort,
    person: Person,
    upcoming: list[Occurrence],
) -> Ask | None:
    """The notice of a new or moved session to send `person` now, with the RSVP question."""
    event = job.data.event
    tr = ctx.tr
    zone = zone_of(person, cohort.zone)
    old_start = job.data.old_start
    if event == MOVE_ONE:
        found = await _current(ctx, job.data.occurrence_id, job.data.start)
        if found is None:
            return None
        target: Occurrence | None = found[0]
    else:
        target = upcoming[0] if upcoming else None
    if target is None:
        return None
    lines: list[str] = []
    details = {
        **_notice_words(tr, cohort, session),
        "when": when_full(tr, target.start, zone),
        "zone": zone.key,
        "duration": duration_text(tr, target.duration),
        "repeat": repeat_text(tr, session, zone),
    }
    series_scope = True
    if event == NEW:
        msgid = _("scheduling.notice_new_series") if session.rrule else _("scheduling.notice_new")
        lines.append(tr.t(msgid, **details))
    elif event == MOVE_ONE:
        lines.append(
            tr.t(
                _("scheduling.notice_move_one"),
                old=when_full(tr, old_start, zone) if old_start else "",
                **details,
            )
        )
        series_scope = session.rrule is None
    else:
        lines.append(tr.t(_("scheduling.notice_move_series"), **details))
    if session.recorded:
        lines.append(tr.t(_("scheduling.recorded_note")))
    if series_scope and session.rrule:
        lines.append(tr.t(_("scheduling.ask_rsvp_series"), number=session.number))
    else:
        lines.append(tr.t(_("scheduling.ask_rsvp")))
    return Ask(
        person_id=person.id,
        text="\n".join(lines),
        choices=answer_choices(tr),
        key=ctx.next_key(),
        payload=RsvpQuestion(session.id, None if series_scope else target.row_id),
        expires_at=ctx.now + max(target.end - ctx.now, timedelta(hours=1)),
    )


__all__ = [
    "CANCEL_ONE",
    "CANCEL_SERIES",
    "MOVE_ONE",
    "MOVE_SERIES",
    "NEW",
    "RSVP_QUESTION",
    "ensure_roll",
    "materialize",
    "notify_members",
    "router",
    "unschedule",
]
