"""Debriefs after sessions: a short private questionnaire when an occurrence ends.

The life of a round (one per occurrence; see storage/models/debrief.py for what is stored):

1. Scheduling's `OccurrenceEnded` event opens the round. The cohort's mode (anonymous or named)
   and prompt window are fixed now. Every session member who did not answer "no" to the occurrence's RSVP
   gets a `debrief.prompt` job at the end of the occurrence, moved to the end of their quiet
   hours (they get it in the morning). The round closes when the last prompt expires
   (`debrief.close`).
2. The prompt job checks consent for the "debrief" scope (storing debrief answers):
   - no: nothing is sent. Asking questions whose answers would be thrown away would waste the
     person's time and could mislead them; they are not counted as invited.
   - not answered yet: one message says how to allow it (`consent debrief yes`, then
     `debrief`); no reminder follows, so nobody is pressed for consent.
   - yes: the questions start. Consent is checked again before each answer is stored; after a
     withdrawal nothing more is stored and the questionnaire stops.
3. Questions: what worked, what did not, what to change (free text), a 1-5 rating and a
   wellbeing check (choices: buttons, number or label). `skip` (or its label) moves on;
   `debrief` resumes. Questions are sticky, so the person's other commands do not drop them.
4. One gentle reminder ~24 h after the prompt (moved out of quiet hours) if nothing has been
   answered yet and the prompt is still open; then nothing more.
5. A low wellbeing answer ends with an offer: pick a facilitator or mentor (or "no, thanks").
   Only a pick sends that person a private introduction (a name and how to reach them, no
   answers). Wellbeing answers are kept without a name in every mode and summaries only
   count them.
6. `debrief.close`: open questions and prompt rows go; the summary is sent to facilitators.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.commands import Args
from bot.context import Ask, Context, Tell
from bot.discreet import topic_label
from bot.i18n import Translator, _
from bot.messages import Choice
from bot.outbox import NewJob, cancel_jobs
from bot.profile import out_of_quiet, quiet_hours, zone_of
from bot.router import Answer, JobInfo, Router, by_payload
from bot.timeparse import in_quiet_hours, next_quiet_end, stamp
from handlers.cohorts import contact_of
from handlers.consent import consents_of, has_consent
from handlers.debrief import settings, summary, withdrawal
from handlers.debrief.payloads import RoundJob, StepQuestion, TalkQuestion
from handlers.debrief.settings import prompt_window
from handlers.debrief.summary import LOW_WELLBEING, RATINGS, WELLBEING, WELLBEING_IDS
from handlers.scheduling import (
    Occurrence,
    OccurrenceEnded,
    answers_for,
    occurrence_by_id,
    session_members,
    when_short,
)
from storage.models import Cohort, Job, Membership, PendingQuestion, Person
from storage.models.cohorts import CohortStatus, Role
from storage.models.debrief import (
    PROMPT_DONE,
    PROMPT_NEEDS_CONSENT,
    PROMPT_OPEN,
    STEP_CHANGE,
    STEP_NOT_WORKED,
    STEP_RATING,
    STEP_WELLBEING,
    STEP_WORKED,
    STEPS,
    TEXT_STEPS,
    DebriefPrompt,
    DebriefRound,
)
from storage.models.scheduling import ScheduledSession
from storage.repositories.cohorts import members, membership
from storage.repositories.debrief import (
    delete_prompts,
    open_round,
    prompt_of,
    prompts_of_round,
    store_answer,
    waiting_prompts,
)
from storage.repositories.people import display_name, identities_of

router = Router()
router.include(summary.router)
router.include(settings.router)
router.include(withdrawal.router)

PROMPT_JOB = "debrief.prompt"
REMINDER_JOB = "debrief.reminder"
CLOSE_JOB = "debrief.close"
STEP_QUESTION = "debrief.step"
TALK_QUESTION = "debrief.talk"
SKIP = "skip"
NO_THANKS = "no"
CONSENT_SCOPE = "debrief"
REMIND_AFTER = timedelta(hours=24)
# A reminder this close to the prompt's expiry is not worth sending.
REMINDER_MARGIN = timedelta(hours=2)
TALK_OPEN = timedelta(days=3)
TALK_ROLES = (Role.FACILITATOR, Role.MENTOR)
QUESTION_IDS = {
    STEP_WORKED: _("debrief.q_worked"),
    STEP_NOT_WORKED: _("debrief.q_not_worked"),
    STEP_CHANGE: _("debrief.q_change"),
    STEP_RATING: _("debrief.q_rating"),
    STEP_WELLBEING: _("debrief.q_wellbeing"),
}


# --------------------------------------------------------------------------- consent


async def debrief_consent(
    session: AsyncSession,
    person_id: int,
    cohort_id: int,
    occurrence: Occurrence | None,
    now: datetime,
) -> bool | None:
    """The person's answer now for the "debrief" scope (storing debrief answers): True, False,
    or None when not answered (or expired). Adapter over handlers.consent.commands.has_consent."""
    return await has_consent(
        session, person_id, CONSENT_SCOPE, cohort_id=cohort_id, occurrence=occurrence, now=now
    )


async def _consent_for(ctx: Context, person: Person, debrief: DebriefRound) -> bool | None:
    occurrence = await occurrence_by_id(ctx.session, debrief.occurrence_id)
    return await debrief_consent(ctx.session, person.id, debrief.cohort_id, occurrence, ctx.now)


# --------------------------------------------------------------------------- time helpers


def _prompt_key(round_id: int, person_id: int) -> str:
    return f"{PROMPT_JOB}:r{round_id}:p{person_id}"


def _reminder_key(round_id: int, person_id: int) -> str:
    return f"{REMINDER_JOB}:r{round_id}:p{person_id}"


# --------------------------------------------------------------------------- opening a round


@router.on(OccurrenceEnded)
async def occurrence_ended(ctx: Context, event: OccurrenceEnded) -> None:
    """An occurrence ended: open the round and plan everyone's prompt."""
    occurrence = event.occurrence
    if occurrence.row_id is None or occurrence.cancelled:
        return
    cohort = await ctx.session.get(Cohort, occurrence.cohort_id)
    if cohort is None or cohort.status == CohortStatus.CLOSED:
        return
    window = prompt_window(cohort)
    people = await session_members(ctx.session, cohort.id)
    answers = await answers_for(ctx.session, occurrence, [p.id for p in people])
    start = max(ctx.now, occurrence.end)
    plan = [
        (person, out_of_quiet(person, ctx.config, zone_of(person, cohort.zone), start))
        for person in people
        if answers.of(person.id) != "no"
    ]
    if not plan:
        return
    closes = max(due for _p, due in plan) + window
    debrief, created = await open_round(
        ctx.session,
        cohort_id=cohort.id,
        session_id=occurrence.session_id,
        occurrence_id=occurrence.row_id,
        held_at=occurrence.start,
        anonymous=cohort.anonymous_debriefs,
        now=ctx.now,
        closes_at=closes,
    )
    if not created:
        return
    # Everyone's prompt and the round's close, in one statement.
    await ctx.schedule_many(
        [
            *(
                NewJob(
                    PROMPT_JOB,
                    due,
                    key=_prompt_key(debrief.id, person.id),
                    payload=RoundJob(debrief.id, due + window),
                    person_id=person.id,
                    cohort_id=cohort.id,
                )
                for person, due in plan
            ),
            NewJob(
                CLOSE_JOB,
                closes,
                key=f"{CLOSE_JOB}:r{debrief.id}",
                payload=RoundJob(debrief.id),
                cohort_id=cohort.id,
            ),
        ]
    )


# --------------------------------------------------------------------------- asking


def _choices(tr: Translator, step: str) -> list[Choice]:
    skip = Choice(SKIP, tr.t(_("debrief.skip")))
    if step == STEP_RATING:
        return [*(Choice(v, tr.number(int(v))) for v in RATINGS), skip]
    if step == STEP_WELLBEING:
        return [*(Choice(k, tr.t(WELLBEING_IDS[k])) for k in WELLBEING), skip]
    return [skip]


async def _title(ctx: Context, debrief: DebriefRound, seen: _Seen | None = None) -> str:
    """The session's title, or in discreet mode neutral words (in the reader's language);
    `seen`: a batch's titles read so far."""
    title = seen.titles.get(debrief.session_id) if seen is not None else None
    if title is None:
        session = await ctx.session.get(ScheduledSession, debrief.session_id)
        title = session.title if session is not None else ""
        if seen is not None:
            seen.titles[debrief.session_id] = title
    return topic_label(ctx.tr, ctx.cohort, title) if ctx.cohort is not None else title


async def _drop_questions(ctx: Context, question_ids: list[int]) -> None:
    """A closing round's open questions, in one statement."""
    for start in range(0, len(question_ids), 500):  # within every database's parameter limit
        await ctx.session.execute(
            delete(PendingQuestion).where(PendingQuestion.id.in_(question_ids[start : start + 500]))
        )


async def _drop_question(ctx: Context, prompt: DebriefPrompt) -> None:
    if prompt.question_id is not None:
        await ctx.session.execute(
            delete(PendingQuestion).where(
                PendingQuestion.id == prompt.question_id,
                PendingQuestion.person_id == prompt.person_id,
            )
        )
        prompt.question_id = None


async def ask_step(
    ctx: Context,
    prompt: DebriefPrompt,
    person: Person,
    step: str,
    lead: list[str] | None = None,
) -> None:
    """Ask `person` question `step` (replacing the question asked before), with `lead` lines
    before it."""
    tr = ctx.translator_for(person)
    await _drop_question(ctx, prompt)
    prompt.step = step
    prompt.question_id = await ctx.ask(
        STEP_QUESTION,
        _step_text(tr, step, lead),
        _choices(tr, step),
        payload=StepQuestion(prompt.id, step),
        free_text=step in TEXT_STEPS,
        person=person,
        sticky=True,
        expires_in=max(prompt.expires_at - ctx.now, timedelta(minutes=1)),
    )


def _step_text(tr: Translator, step: str, lead: list[str] | None) -> str:
    number = STEPS.index(step) + 1
    question = tr.t(QUESTION_IDS[step], step=tr.number(number), total=tr.number(len(STEPS)))
    hint = ""
    if step in TEXT_STEPS:
        hint = tr.t(_("debrief.text_hint"))
    elif step == STEP_WELLBEING:
        hint = tr.t(_("debrief.wellbeing_note"))
    return "\n".join(line for line in [*(lead or []), question, hint] if line)


@dataclass
class _Opening:
    """A prompt whose question `step` a batch asks at its end (replacing the one asked before)."""

    ctx: Context  # the job's own context: its message key
    prompt: DebriefPrompt
    person: Person
    cohort: Cohort
    lead: list[str]
    step: str = STEP_WORKED
    invite: bool = True  # the first question: the person counts as invited


@dataclass
class _Seen:
    """What a batch's jobs read once for all of them: each round with its cohort (None: gone
    or closed) and each session's title."""

    rounds: dict[int, tuple[DebriefRound, Cohort] | None] = field(default_factory=dict)
    titles: dict[int, str] = field(default_factory=dict)


@dataclass
class PromptWrites:
    """What a batch of prompt or reminder jobs writes together at its end, instead of job by
    job: the "consent first" messages (tell_many), the new prompts (one statement), the
    questions they replace (one), the questions and messages (ask_many), each round's invited
    count (one UPDATE a round) and the reminders (one statement)."""

    openings: list[_Opening] = field(default_factory=list)
    reminders: list[NewJob] = field(default_factory=list)
    notes: list[tuple[Cohort, Tell]] = field(default_factory=list)  # "consent first" messages
    seen: _Seen = field(default_factory=_Seen)  # and what the batch's jobs read once

    async def write(self, ctx: Context) -> None:
        for _cohort, noted in itertools.groupby(self.notes, key=lambda note: note[0].id):
            notes = list(noted)
            ctx.cohort = notes[0][0]  # discreet or not
            await ctx.tell_many([tell for _cohort, tell in notes])
        if not self.openings:
            return
        await ctx.session.flush()  # the new prompts get their ids
        replaced = [o.prompt.question_id for o in self.openings if o.prompt.question_id]
        if replaced:
            await ctx.session.execute(
                delete(PendingQuestion).where(
                    PendingQuestion.id.in_(replaced),
                    PendingQuestion.person_id.in_([o.person.id for o in self.openings]),
                )
            )
        by_cohort: dict[int, list[_Opening]] = {}
        invited: Counter[int] = Counter()
        for opening in self.openings:
            by_cohort.setdefault(opening.cohort.id, []).append(opening)
            if opening.invite:
                invited[opening.prompt.round_id] += 1
        for group in by_cohort.values():
            ctx.cohort = group[0].cohort  # discreet or not
            asks = [self._first_question(ctx, opening) for opening in group]
            ids = await ctx.ask_many(STEP_QUESTION, asks, sticky=True)
            for opening, question_id in zip(group, ids, strict=True):
                opening.prompt.question_id = question_id
        for round_id, count in invited.items():
            await ctx.session.execute(
                update(DebriefRound)
                .where(DebriefRound.id == round_id)
                .values(invited=DebriefRound.invited + count)
            )
        await ctx.schedule_many(self.reminders)

    @staticmethod
    def _first_question(ctx: Context, opening: _Opening) -> Ask:
        prompt, person, step = opening.prompt, opening.person, opening.step
        tr = ctx.translator_for(person)
        prompt.step = step
        return Ask(
            person_id=person.id,
            text=_step_text(tr, step, opening.lead),
            choices=tuple(_choices(tr, step)),
            key=opening.ctx.next_key(),
            payload=StepQuestion(prompt.id, step),
            expires_at=ctx.now + max(prompt.expires_at - ctx.now, timedelta(minutes=1)),
            free_text=step in TEXT_STEPS,
        )


async def _intro(
    ctx: Context, person: Person, debrief: DebriefRound, cohort: Cohort, seen: _Seen | None
) -> str:
    tr = ctx.translator_for(person)
    zone = zone_of(person, cohort.zone)
    msgid = _("debrief.intro_anonymous") if debrief.anonymous else _("debrief.intro_named")
    return tr.t(
        msgid,
        title=await _title(ctx, debrief, seen),
        when=when_short(tr, debrief.held_at, zone),
        count=tr.number(len(STEPS)),
    )


async def start_questions(
    ctx: Context,
    prompt: DebriefPrompt,
    debrief: DebriefRound,
    person: Person,
    cohort: Cohort,
    writes: PromptWrites | None = None,
) -> None:
    """The person consented: count them as invited, ask the first question, plan the
    reminder (with `writes`: at the end of the batch, together with the others')."""
    prompt.status = PROMPT_OPEN
    tr = ctx.translator_for(person)
    until = tr.t(
        _("debrief.open_until_line"),
        until=when_short(tr, prompt.expires_at, zone_of(person, cohort.zone)),
    )
    lead = [await _intro(ctx, person, debrief, cohort, writes.seen if writes else None), until]
    due = out_of_quiet(person, ctx.config, zone_of(person, cohort.zone), ctx.now + REMIND_AFTER)
    reminder = NewJob(
        REMINDER_JOB,
        due,
        key=_reminder_key(debrief.id, person.id),
        payload=RoundJob(debrief.id),
        person_id=person.id,
        cohort_id=cohort.id,
    )
    remind = due <= prompt.expires_at - REMINDER_MARGIN
    if writes is not None:
        writes.openings.append(_Opening(ctx, prompt, person, cohort, lead))
        if remind:
            writes.reminders.append(reminder)
        return
    await ctx.session.execute(
        update(DebriefRound)
        .where(DebriefRound.id == debrief.id)
        .values(invited=DebriefRound.invited + 1)
    )
    await ask_step(ctx, prompt, person, STEP_WORKED, lead)
    if remind:
        await ctx.schedule_many([reminder])


# --------------------------------------------------------------------------- jobs


async def _job_round(
    ctx: Context, job: JobInfo[RoundJob], seen: _Seen | None = None
) -> tuple[DebriefRound, Cohort] | None:
    """The job's round and its cohort (None: gone or closed); `seen`: a batch's rounds read so
    far."""
    round_id = job.data.round_id
    if round_id is None:
        return None
    if seen is not None and round_id in seen.rounds:
        found = seen.rounds[round_id]
    else:
        found = await _open_round(ctx, round_id)
        if seen is not None:
            seen.rounds[round_id] = found
    if found is not None:
        ctx.cohort = found[1]
    return found


async def _open_round(ctx: Context, round_id: int) -> tuple[DebriefRound, Cohort] | None:
    debrief = await ctx.session.get(DebriefRound, round_id)
    if debrief is None or debrief.closed_at is not None:
        return None
    cohort = await ctx.session.get(Cohort, debrief.cohort_id)
    if cohort is None:
        return None
    return debrief, cohort


async def _still_quiet(
    ctx: Context, job: JobInfo[RoundJob], person: Person, cohort: Cohort, deadline: datetime
) -> bool:
    """Quiet hours changed since the job was planned and it is night for the person now:
    plan the job again for the morning (if that is before `deadline`). True when it waits."""
    quiet = quiet_hours(person, ctx.config)
    zone = zone_of(person, cohort.zone)
    if quiet is None or not in_quiet_hours(ctx.now.astimezone(zone), *quiet):
        return False
    later = next_quiet_end(ctx.now, zone, *quiet)
    if later < deadline:
        key = f"{job.kind}:r{job.data.round_id}:p{person.id}:{stamp(later)}"
        await ctx.defer(job, later, key=key)
    return True


def _people_by_round(jobs: Sequence[JobInfo[RoundJob]]) -> dict[int, list[int]]:
    """Who a batch's jobs are for, by round."""
    groups = by_payload(jobs, _round_of)
    return {
        round_id: [job.person_id for job in group if job.person_id is not None]
        for round_id, group in groups.items()
    }


def _round_of(data: RoundJob) -> int | None:
    return data.round_id


async def _people_of(ctx: Context, jobs: Sequence[JobInfo[RoundJob]]) -> dict[int, Person]:
    """The people a batch of jobs is for (loaded with the batch)."""
    return await ctx.people(job.person_id for job in jobs if job.person_id is not None)


@dataclass
class RoundFacts:
    """What a batch of one round's prompt jobs reads, loaded once for all of them: who is a
    member, who has a prompt already, and everyone's debrief consent now."""

    members: frozenset[int]
    prompted: set[int]
    consents: dict[int, bool | None]


async def _round_facts(ctx: Context, round_id: int, person_ids: list[int]) -> RoundFacts | None:
    debrief = await ctx.session.get(DebriefRound, round_id)
    if debrief is None or debrief.closed_at is not None:
        return None  # its jobs do nothing (send_prompt finds that out for itself)
    in_cohort = await ctx.session.execute(
        select(Membership.person_id).where(
            Membership.cohort_id == debrief.cohort_id, Membership.person_id.in_(person_ids)
        )
    )
    prompted = await ctx.session.execute(
        select(DebriefPrompt.person_id).where(
            DebriefPrompt.round_id == round_id, DebriefPrompt.person_id.in_(person_ids)
        )
    )
    occurrence = await occurrence_by_id(ctx.session, debrief.occurrence_id)
    consents = await consents_of(
        ctx.session, person_ids, CONSENT_SCOPE, debrief.cohort_id, occurrence, now=ctx.now
    )
    return RoundFacts(frozenset(in_cohort.scalars()), set(prompted.scalars()), consents)


@router.job_batch(PROMPT_JOB, payload=RoundJob)
async def send_prompts(ctx: Context, jobs: Sequence[JobInfo[RoundJob]]) -> None:
    """A round's prompts fall due together (at the end of an occurrence): they run as one batch,
    with the memberships, prompts and consents of each round's people read in one query each."""
    people = await _people_of(ctx, jobs)
    by_round = _people_by_round(jobs)
    facts = {round_id: await _round_facts(ctx, round_id, ids) for round_id, ids in by_round.items()}
    writes = PromptWrites()
    for job in jobs:
        person = people.get(job.person_id) if job.person_id is not None else None
        round_id = job.data.round_id
        known = facts.get(round_id) if round_id is not None else None
        await send_prompt(ctx.for_job(job.id, person), job, known, writes)
    await writes.write(ctx)


@router.job_batch(REMINDER_JOB, payload=RoundJob)
async def reminders(ctx: Context, jobs: Sequence[JobInfo[RoundJob]]) -> None:
    """A round's reminders fall due together (a day after its prompts): one batch, with each
    round's prompts read in one query and the questions asked together."""
    people = await _people_of(ctx, jobs)
    by_round = _people_by_round(jobs)
    prompts: dict[tuple[int, int], DebriefPrompt] = {}
    for round_id, ids in by_round.items():
        found = await ctx.session.execute(
            select(DebriefPrompt).where(
                DebriefPrompt.round_id == round_id, DebriefPrompt.person_id.in_(ids)
            )
        )
        prompts.update({(round_id, p.person_id): p for p in found.scalars()})
    writes = PromptWrites()
    for job in jobs:
        person = people.get(job.person_id) if job.person_id is not None else None
        await remind(ctx.for_job(job.id, person), job, prompts, writes)
    await writes.write(ctx)


async def send_prompt(
    ctx: Context,
    job: JobInfo[RoundJob],
    facts: RoundFacts | None = None,
    writes: PromptWrites | None = None,
) -> None:
    """One prompt job; `facts` are the round's, read for the batch (None: read them here);
    `writes` gathers what the batch writes together at its end."""
    found = await _job_round(ctx, job, writes.seen if writes else None)
    person = ctx.person
    if found is None or person is None:
        return
    debrief, cohort = found
    if facts is None:
        if await membership(ctx.session, cohort.id, person.id) is None:
            return
        if await prompt_of(ctx.session, debrief.id, person.id) is not None:
            return
    elif person.id not in facts.members or person.id in facts.prompted:
        return
    expires = job.data.expires or debrief.closes_at
    expires = min(expires, debrief.closes_at)
    if ctx.now >= expires - REMINDER_MARGIN:
        return
    if await _still_quiet(ctx, job, person, cohort, expires - REMINDER_MARGIN):
        return
    if facts is None:
        consent = await _consent_for(ctx, person, debrief)
    else:
        consent = facts.consents.get(person.id)
    if consent is False:
        return
    if facts is not None:
        facts.prompted.add(person.id)  # a second job for them in this batch finds this prompt
    prompt = DebriefPrompt(
        round_id=debrief.id,
        person_id=person.id,
        status=PROMPT_NEEDS_CONSENT,
        sent_at=ctx.now,
        expires_at=expires,
        answered_any=False,
    )
    ctx.session.add(prompt)
    if writes is None:
        await ctx.session.flush()
    if consent is None:
        tr = ctx.translator_for(person)
        text = tr.t(
            _("debrief.needs_consent"),
            title=await _title(ctx, debrief, writes.seen if writes else None),
            when=when_short(tr, debrief.held_at, zone_of(person, cohort.zone)),
            until=when_short(tr, expires, zone_of(person, cohort.zone)),
        )
        if writes is not None:
            writes.notes.append((cohort, Tell(person.id, text, ctx.next_key())))
        else:
            await ctx.say(text)
        return
    await start_questions(ctx, prompt, debrief, person, cohort, writes)


async def remind(
    ctx: Context,
    job: JobInfo[RoundJob],
    prompts: dict[tuple[int, int], DebriefPrompt] | None = None,
    writes: PromptWrites | None = None,
) -> None:
    """One reminder job; `prompts` (round id, person id), read for the batch (None: read here);
    `writes` gathers the questions the batch asks together at its end."""
    found = await _job_round(ctx, job, writes.seen if writes else None)
    person = ctx.person
    if found is None or person is None:
        return
    debrief, cohort = found
    if prompts is None:
        prompt = await prompt_of(ctx.session, debrief.id, person.id)
    else:
        prompt = prompts.get((debrief.id, person.id))
    if (
        prompt is None
        or prompt.status != PROMPT_OPEN
        or prompt.answered_any
        or prompt.reminded_at is not None
        or prompt.step is None
        or ctx.now >= prompt.expires_at - REMINDER_MARGIN
    ):
        return
    if await _still_quiet(ctx, job, person, cohort, prompt.expires_at - REMINDER_MARGIN):
        return
    prompt.reminded_at = ctx.now
    tr = ctx.translator_for(person)
    lead = tr.t(
        _("debrief.reminder"),
        title=await _title(ctx, debrief, writes.seen if writes else None),
        until=when_short(tr, prompt.expires_at, zone_of(person, cohort.zone)),
    )
    if writes is not None:
        writes.openings.append(
            _Opening(ctx, prompt, person, cohort, [lead], step=prompt.step, invite=False)
        )
        return
    await ask_step(ctx, prompt, person, prompt.step, [lead])


@router.job(CLOSE_JOB, payload=RoundJob)
async def close_round(ctx: Context, job: JobInfo[RoundJob]) -> None:
    """The window has closed: questions and prompts go, facilitators get the summary."""
    found = await _job_round(ctx, job)
    if found is None:
        return
    debrief, _cohort = found
    debrief.closed_at = ctx.now
    asked = [p.question_id for p in await prompts_of_round(ctx.session, debrief.id)]
    await _drop_questions(ctx, [question for question in asked if question is not None])
    await delete_prompts(ctx.session, debrief.id)
    await cancel_jobs(
        ctx.session,
        Job.kind.in_((PROMPT_JOB, REMINDER_JOB)),
        Job.idempotency_key.like(f"debrief.%:r{debrief.id}:p%"),
    )
    await summary.send_summaries(ctx, debrief)


# --------------------------------------------------------------------------- answers


async def _finish(ctx: Context, prompt: DebriefPrompt, debrief: DebriefRound, low: bool) -> None:
    person = ctx.require_person()
    prompt.status = PROMPT_DONE
    prompt.step = None
    prompt.question_id = None
    lines = [ctx.t(_("debrief.thanks") if prompt.answered_any else _("debrief.thanks_nothing"))]
    waiting = [p for p, _r in await waiting_prompts(ctx.session, person.id, ctx.now)]
    if any(p.id != prompt.id for p in waiting):
        lines.append(ctx.t(_("debrief.another_waiting")))
    await ctx.say("\n".join(lines))
    if low:
        await offer_talk(ctx, debrief)


@router.question(STEP_QUESTION, payload=StepQuestion)
async def step_answered(ctx: Context, answer: Answer[StepQuestion]) -> None:
    person = ctx.require_person()
    prompt_id = answer.data.prompt_id
    prompt = await ctx.session.get(DebriefPrompt, prompt_id) if prompt_id is not None else None
    debrief = await ctx.session.get(DebriefRound, prompt.round_id) if prompt else None
    if (
        prompt is None
        or debrief is None
        or prompt.person_id != person.id
        or prompt.status != PROMPT_OPEN
        or prompt.step != answer.data.step
        or debrief.closed_at is not None
        or ctx.now >= prompt.expires_at
    ):
        await ctx.reply(_("debrief.question_closed"))
        return
    step = prompt.step
    assert step is not None
    prompt.question_id = None
    if answer.key != SKIP:
        if await _consent_for(ctx, person, debrief) is not True:
            prompt.status = PROMPT_DONE
            prompt.step = None
            await ctx.reply(_("debrief.consent_withdrawn"))
            return
        await store_answer(
            ctx.session,
            debrief,
            person.id,
            step,
            choice=answer.key,
            text=answer.text if answer.key is None else None,
            now=ctx.now,
        )
        if not prompt.answered_any:
            prompt.answered_any = True
            await ctx.session.execute(
                update(DebriefRound)
                .where(DebriefRound.id == debrief.id)
                .values(responded=DebriefRound.responded + 1)
            )
    index = STEPS.index(step)
    if index + 1 < len(STEPS):
        await ask_step(ctx, prompt, person, STEPS[index + 1])
        return
    await _finish(ctx, prompt, debrief, low=answer.key in LOW_WELLBEING)


@router.command("debrief", help_id=_("debrief.help_debrief"))
async def debrief_command(ctx: Context, args: Args) -> None:
    person = ctx.require_person()
    waiting = await waiting_prompts(ctx.session, person.id, ctx.now)
    if not waiting:
        await ctx.reply(_("debrief.nothing_waiting"))
        return
    prompt, debrief = waiting[0]
    cohort = await ctx.session.get(Cohort, debrief.cohort_id)
    assert cohort is not None
    if prompt.status == PROMPT_NEEDS_CONSENT:
        if await _consent_for(ctx, person, debrief) is not True:
            await ctx.reply(_("debrief.still_needs_consent"), title=await _title(ctx, debrief))
            return
        await start_questions(ctx, prompt, debrief, person, cohort)
        return
    step = prompt.step or STEP_WORKED
    lead = ctx.t(
        _("debrief.resume"),
        title=await _title(ctx, debrief),
        until=when_short(ctx.tr, prompt.expires_at, zone_of(person, cohort.zone)),
    )
    await ask_step(ctx, prompt, person, step, [lead])


# --------------------------------------------------------------------------- a line to someone


async def offer_talk(ctx: Context, debrief: DebriefRound) -> None:
    """After a low wellbeing answer: offer to introduce the person to a facilitator or mentor
    of their choice. Nothing is sent to anyone unless they pick someone."""
    person = ctx.require_person()
    staff = [
        p
        for _m, p in await members(ctx.session, debrief.cohort_id, TALK_ROLES)
        if p.id != person.id
    ]
    if not staff:
        await ctx.reply(_("debrief.talk_nobody"))
        return
    choices = [Choice(str(p.id), await display_name(ctx.session, p.id)) for p in staff]
    choices.append(Choice(NO_THANKS, ctx.t(_("debrief.talk_no_thanks"))))
    await ctx.ask(
        TALK_QUESTION,
        ctx.t(_("debrief.talk_offer")),
        choices,
        payload=TalkQuestion(debrief.id, debrief.cohort_id),
        sticky=True,
        expires_in=TALK_OPEN,
    )


@router.question(TALK_QUESTION, payload=TalkQuestion)
async def talk_answered(ctx: Context, answer: Answer[TalkQuestion]) -> None:
    person = ctx.require_person()
    if answer.key == NO_THANKS or answer.key is None:
        await ctx.reply(_("debrief.talk_declined"))
        return
    cohort_id = answer.data.cohort_id
    cohort = await ctx.session.get(Cohort, cohort_id) if cohort_id is not None else None
    chosen_id = int(answer.key) if answer.key.isdigit() else None
    chosen = await ctx.session.get(Person, chosen_id) if chosen_id is not None else None
    member = (
        await membership(ctx.session, cohort.id, chosen.id)
        if cohort is not None and chosen is not None
        else None
    )
    if cohort is None or chosen is None or member is None or member.role not in TALK_ROLES:
        await ctx.reply(_("debrief.talk_gone"))
        return
    round_id = answer.data.round_id
    debrief = await ctx.session.get(DebriefRound, round_id) if round_id is not None else None
    title = await _title(ctx, debrief) if debrief is not None else ""
    name = await display_name(ctx.session, person.id)
    reach = [contact_of(i) for i in await identities_of(ctx.session, person.id) if i.reachable]
    text = ctx.translator_for(chosen).t(
        _("debrief.talk_intro"),
        name=name,
        cohort=cohort.name,
        title=title,
        contact=", ".join(reach) or name,
    )
    await ctx.send_to_person(
        chosen.id,
        text,
        not_before=out_of_quiet(chosen, ctx.config, zone_of(chosen, cohort.zone), ctx.now),
        key=f"debrief.talk:r{round_id}:p{person.id}:to{chosen.id}",
        unprompted="debrief.talk_request",
    )
    await ctx.reply(_("debrief.talk_sent"), name=await display_name(ctx.session, chosen.id))


__all__ = ["debrief_consent", "router"]
