"""Action commitments: `commit "TEXT" by DATE`, `commitments`, `done N`, `drop N`,
`update N "note"`, and the nudges that follow them up.

When nudges come: about a week before the due date, on the due date, and about 30, 90 and 365
days after the commitment's cohort closed -- each at 10:00 in the person's zone, moved past
their quiet hours. Each of these is a durable job per commitment and reason
(`alumni.nudge:c<id>:<reason>`, insert-if-absent). When one falls due it only marks the
commitment as waiting and wakes a sender job for the person (`alumni.send:p<person>:n<job>`;
one that has to wait reschedules itself as `alumni.send:p<person>:<instant>`), which sends ONE
message about every waiting commitment -- plus any whose next nudge is due in
the next three days (those jobs are cancelled) -- at most once a week per person (the nudge log
counts nudges and annual check-ins), never in quiet hours, and only about commitments whose
cohort has the person's current yes to alumni contact. Done or dropped commitments are never
mentioned again (their jobs are cancelled, and every job re-checks)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select

from bot.commands import Args, pick_number
from bot.context import Context
from bot.errors import UserError
from bot.examples import example_dates
from bot.i18n import Translator, _
from bot.messages import Choice
from bot.outbox import cancel_jobs
from bot.profile import zone_of
from bot.router import Answer, JobInfo, Router
from bot.timeparse import ParseError, parse_date, stamp
from handlers.alumni.common import (
    consents,
    forget_questions,
    helper_for,
    local_morning,
    may_contact,
    name_of,
    next_contact_time,
    prefix_for,
    reach,
    relation_text,
    tell_helper,
)
from handlers.alumni.payloads import NudgeJob, NudgePick, NudgeStatus
from storage.models import Cohort, Job, Person
from storage.models.alumni import (
    CONTACT_NUDGE,
    DONE,
    DROPPED,
    HELP,
    NOTE,
    OPEN,
    WORKING,
    AlumniContact,
    Commitment,
    CommitmentNote,
)
from storage.models.core import JobStatus
from storage.repositories.alumni import (
    cohort_names,
    commitment_by_number,
    commitments_by_id,
    commitments_of,
    latest_notes,
    next_number,
    pending_nudges,
)

router = Router()

NUDGE = "alumni.nudge"
SEND = "alumni.send"
NUDGE_PICK = "alumni.nudge_pick"
NUDGE_STATUS = "alumni.nudge_status"

TEXT_LIMIT = 300
NOTE_LIMIT = 500
MAX_AHEAD = timedelta(days=3660)
BEFORE_DUE = timedelta(days=7)
AFTER_CLOSE_DAYS = (30, 90, 365)
# A follow-up this soon after committing would only repeat what was just said.
MIN_LEAD = timedelta(days=2)
MIN_LEAD_DUE = timedelta(hours=12)
# Nudges due this soon ride along with one that goes out now (one message, not two).
LOOKAHEAD = timedelta(days=3)
QUESTION_LIFETIME = timedelta(days=30)
LABEL_LIMIT = 40
# How people write "in 3 months", "today" and "tomorrow" in each language, as
# "in-words | day | week | month | year | today | tomorrow", each a comma-separated list.
RELATIVE_WORDS = _("alumni.relative_words")
RELATIVE_EXAMPLE = _("alumni.relative_example")
ENGLISH_UNITS = ("day", "week", "month", "year")

ANSWER_LABELS = {
    DONE: _("alumni.choice_done"),
    WORKING: _("alumni.choice_working"),
    HELP: _("alumni.choice_help"),
    "drop": _("alumni.choice_drop"),
}
ALL_WORKING = "all"
BY_WORDS = _("alumni.by_words")


# Parsing ---------------------------------------------------------------------------------------


def by_words(ctx: Context) -> set[str]:
    """ "by" in every configured language (`commit "..." by DATE`, `... para DATE`)."""
    words = {"by"}
    for lang in ctx.services.catalogs.languages:
        text = ctx.services.catalogs.translator(lang).t(BY_WORDS)
        words.update(w.strip().casefold() for w in re.split(r"[,،]", text) if w.strip())
    return words


def split_commit(ctx: Context, args: Args) -> tuple[str, str]:
    """(what, when) from `commit "TEXT" by DATE`, `commit TEXT by DATE` or `commit "TEXT" DATE`."""
    words = list(args.words)
    keywords = by_words(ctx)
    for index in range(len(words) - 1, -1, -1):  # "by DATE" with nothing before: no text
        if words[index].casefold() in keywords:
            return " ".join(words[:index]).strip(), " ".join(words[index + 1 :]).strip()
    if not words:
        return "", ""
    return words[0].strip(), " ".join(words[1:]).strip()


def english_date(ctx: Context, text: str) -> str:
    """A relative date in any configured language ("en 3 meses", "dans 2 semaines", "خلال ٣
    أشهر", "mañana") in the English form parse_date reads; anything else unchanged."""
    words = text.strip().casefold().split()
    for lang in ctx.services.catalogs.languages:
        table = ctx.services.catalogs.translator(lang).t(RELATIVE_WORDS)
        fields = [
            {w.strip().casefold() for w in re.split(r"[,،]", field) if w.strip()}
            for field in table.split("|")
        ]
        if len(fields) != 7:
            continue
        joined = " ".join(words)
        if joined in fields[5]:
            return "today"
        if joined in fields[6]:
            return "tomorrow"
        lead, amount, unit_word = " ".join(words[:-2]), "".join(words[-2:-1]), words[-1:]
        if lead in fields[0] and amount.isdecimal() and unit_word:
            for unit, names in zip(ENGLISH_UNITS, fields[1:5], strict=True):
                if unit_word[0] in names:
                    return f"in {int(amount)} {unit}s"
    return text


def parse_number(ctx: Context, args: Args, usage: str, example: str) -> int:
    number = pick_number(args.get(0))
    if number is None:
        raise UserError(usage, example=example)
    return number


async def command(ctx: Context, text: str) -> str:
    return f"{await prefix_for(ctx.session, ctx.require_person().id)}{text}"


# Texts -----------------------------------------------------------------------------------------


def when_text(tr: Translator, commitment: Commitment, today: date) -> str:
    shown = tr.date(commitment.due_date, "long")
    if commitment.due_date > today:
        return tr.t(_("alumni.due_on"), date=shown)
    if commitment.due_date == today:
        return tr.t(_("alumni.due_today"))
    return tr.t(_("alumni.was_due"), date=shown)


def item_line(tr: Translator, commitment: Commitment, today: date) -> str:
    return tr.t(
        _("alumni.item"),
        number=commitment.number,
        text=commitment.text,
        when=when_text(tr, commitment, today),
    )


def short_label(commitment: Commitment) -> str:
    text = (
        commitment.text
        if len(commitment.text) <= LABEL_LIMIT
        else (commitment.text[: LABEL_LIMIT - 1].rstrip() + "…")
    )
    return f"#{commitment.number} {text}"


def today_of(ctx: Context, person: Person, commitment: Commitment) -> date:
    return ctx.now.astimezone(zone_of(person, commitment.zone)).date()


# Nudge planning --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    reason: str  # before | due | close30 | close90 | close365
    at: datetime


def nudge_plan(ctx: Context, commitment: Commitment, person: Person, cohort: Cohort) -> list[Plan]:
    """The nudges still to come for a commitment, from now on."""
    zone = zone_of(person, commitment.zone)
    plans = [
        Plan("before", local_morning(ctx, person, zone, commitment.due_date - BEFORE_DUE)),
        Plan("due", local_morning(ctx, person, zone, commitment.due_date)),
    ]
    if cohort.closed_at is not None:
        closed = cohort.closed_at.astimezone(zone).date()
        for days in AFTER_CLOSE_DAYS:
            day = closed + timedelta(days=days)
            plans.append(Plan(f"close{days}", local_morning(ctx, person, zone, day)))
    return [
        plan
        for plan in plans
        if plan.at >= ctx.now + (MIN_LEAD_DUE if plan.reason == "due" else MIN_LEAD)
    ]


def nudge_key(commitment: Commitment, reason: str) -> str:
    return f"{NUDGE}:c{commitment.id}:{reason}"


async def plan_nudges(ctx: Context, commitment: Commitment, person: Person, cohort: Cohort) -> int:
    """Schedule the commitment's nudges that are still ahead. Idempotent."""
    planned = 0
    for plan in nudge_plan(ctx, commitment, person, cohort):
        planned += await ctx.schedule(
            NUDGE,
            plan.at,
            key=nudge_key(commitment, plan.reason),
            payload=NudgeJob(commitment.id, plan.reason),
            person_id=commitment.person_id,
            cohort_id=commitment.cohort_id,
        )
    return planned


async def cancel_nudges(ctx: Context, commitment: Commitment) -> None:
    await cancel_jobs(
        ctx.session,
        Job.kind == NUDGE,
        Job.person_id == commitment.person_id,
        Job.idempotency_key.like(f"{NUDGE}:c{commitment.id}:%"),
    )


def date_example(ctx: Context) -> str:
    """A commitment's example date: some weeks ahead of today in the person's zone."""
    return example_dates(ctx.now, ctx.zone)["ex_until"]


def by_word(ctx: Context) -> str:
    """The reader's own word for "by" (the first of `alumni.by_words`; all of them work)."""
    first = re.split(r"[,،]", ctx.t(BY_WORDS))[0].strip()
    return first or "by"


def commit_example(ctx: Context, text: str | None = None) -> str:
    """`commit "…" by DATE` as the reader would write it: their words, a date ahead."""
    what = text if text is not None else ctx.t(_("alumni.commit_example_text"))
    return f'commit "{what}" {by_word(ctx)} {date_example(ctx)}'


# Commands --------------------------------------------------------------------------------------


@router.command("commit", usage='"TEXT" by DATE', help_id=_("alumni.help_commit"))
async def commit(ctx: Context, args: Args) -> None:
    person = ctx.require_person()
    cohort = ctx.require_cohort()
    example = await command(ctx, commit_example(ctx))
    text, when = split_commit(ctx, args)
    if not text:
        raise UserError(_("alumni.commit_usage"), example=example)
    if len(text) > TEXT_LIMIT:
        raise UserError(_("alumni.commit_too_long"), limit=TEXT_LIMIT, length=len(text))
    if not when:
        raise UserError(
            _("alumni.commit_no_date"),
            example=await command(ctx, commit_example(ctx, text)),
            relative=ctx.t(RELATIVE_EXAMPLE),
        )
    zone = ctx.zone
    today = ctx.now.astimezone(zone).date()
    try:
        due = parse_date(english_date(ctx, when), today)
    except ParseError:
        raise UserError(_("alumni.bad_date"), text=when, relative=ctx.t(RELATIVE_EXAMPLE)) from None
    if due < today:
        raise UserError(
            _("alumni.date_past"), date=ctx.tr.date(due, "long"), example=ctx.t(RELATIVE_EXAMPLE)
        )
    if due - today > MAX_AHEAD:
        raise UserError(_("alumni.date_too_far"), date=ctx.tr.date(due, "long"))
    commitment = Commitment(
        person_id=person.id,
        cohort_id=cohort.id,
        number=await next_number(ctx.session, person.id),
        text=text,
        status=OPEN,
        due_date=due,
        zone=zone.key,
        created_at=ctx.now,
    )
    ctx.session.add(commitment)
    await ctx.session.flush()
    await plan_nudges(ctx, commitment, person, cohort)
    lines = [
        ctx.t(
            _("alumni.committed"),
            number=commitment.number,
            text=text,
            date=ctx.tr.date(due, "long"),
            list=await command(ctx, "commitments"),
        )
    ]
    if not await consents(ctx, person.id, cohort.id):
        lines.append(
            ctx.t(
                _("alumni.committed_no_consent"), command=await command(ctx, "consent alumni yes")
            )
        )
    await ctx.say("\n".join(lines))


@router.command("commitments", help_id=_("alumni.help_commitments"))
async def commitments(ctx: Context, args: Args) -> None:
    person = ctx.require_person()
    mine = await commitments_of(ctx.session, person.id)
    if not mine:
        example = await command(ctx, commit_example(ctx))
        await ctx.reply(_("alumni.list_empty"), example=example)
        return
    notes = await latest_notes(ctx.session, [c.id for c in mine])
    names = await cohort_names(ctx.session, {c.cohort_id for c in mine})
    several = len(names) > 1
    still_open = sum(1 for c in mine if c.status == OPEN)
    lines = [ctx.tn("alumni.list_header", still_open, total=len(mine))]
    for c in mine:
        line = ctx.t(
            _("alumni.list_line"),
            number=c.number,
            text=c.text,
            status=status_name(ctx.tr, c.status),
            date=ctx.tr.date(c.due_date, "long"),
        )
        if several:
            line += " · " + ctx.t(_("alumni.in_cohort"), cohort=names.get(c.cohort_id, ""))
        lines.append(line)
        note = notes.get(c.id)
        if note is not None and note.text:
            day = note.created_at.astimezone(zone_of(person, c.zone)).date()
            lines.append(
                ctx.t(_("alumni.list_note"), date=ctx.tr.date(day, "medium"), note=note.text)
            )
    if still_open:
        lines += [
            "",
            ctx.t(
                _("alumni.list_footer"),
                done=await command(ctx, "done N"),
                drop=await command(ctx, "drop N"),
                update=await command(ctx, 'update N "…"'),
            ),
        ]
    await ctx.say("\n".join(lines))


STATUS_NAMES = {
    OPEN: _("alumni.status_open"),
    DONE: _("alumni.status_done"),
    DROPPED: _("alumni.status_dropped"),
}


def status_name(tr: Translator, status: str) -> str:
    return tr.t(STATUS_NAMES[status])


async def numbered(ctx: Context, args: Args, name: str) -> Commitment:
    person = ctx.require_person()
    example = await command(ctx, f"{name} 1" if name != "update" else 'update 1 "…"')
    usage = _("alumni.update_usage") if name == "update" else _("alumni.number_usage")
    number = parse_number(ctx, args, usage, example)
    found = await commitment_by_number(ctx.session, person.id, number)
    if found is None:
        raise UserError(
            _("alumni.no_such_commitment"), number=number, list=await command(ctx, "commitments")
        )
    return found


@router.command("done", usage="N", help_id=_("alumni.help_done"))
async def done(ctx: Context, args: Args) -> None:
    commitment = await numbered(ctx, args, "done")
    await finish(ctx, commitment, DONE)


@router.command("drop", usage="N", help_id=_("alumni.help_drop"))
async def drop(ctx: Context, args: Args) -> None:
    commitment = await numbered(ctx, args, "drop")
    await finish(ctx, commitment, DROPPED)


@router.command("update", usage='N "NOTE"', help_id=_("alumni.help_update"))
async def update(ctx: Context, args: Args) -> None:
    commitment = await numbered(ctx, args, "update")
    note = args.rest(1).strip()
    if not note:
        raise UserError(
            _("alumni.update_usage"),
            example=await command(ctx, f'update {commitment.number} "…"'),
        )
    if len(note) > NOTE_LIMIT:
        raise UserError(_("alumni.note_too_long"), limit=NOTE_LIMIT, length=len(note))
    add_note(ctx, commitment, NOTE, note)
    await ctx.reply(_("alumni.updated"), number=commitment.number, text=commitment.text)


# Changing a commitment -------------------------------------------------------------------------


def add_note(ctx: Context, commitment: Commitment, kind: str, text: str | None = None) -> None:
    ctx.session.add(
        CommitmentNote(commitment_id=commitment.id, kind=kind, text=text, created_at=ctx.now)
    )


async def finish(ctx: Context, commitment: Commitment, status: str) -> None:
    """Mark done or dropped: no nudge about it ever again."""
    if commitment.status != OPEN:
        await ctx.reply(
            _("alumni.already_closed"),
            number=commitment.number,
            status=status_name(ctx.tr, commitment.status),
        )
        return
    commitment.status = status
    commitment.closed_at = ctx.now
    commitment.nudge_pending_since = None
    add_note(ctx, commitment, status)
    await cancel_nudges(ctx, commitment)
    msgid = _("alumni.done_ok") if status == DONE else _("alumni.dropped_ok")
    await ctx.reply(msgid, number=commitment.number, text=commitment.text)


async def ask_for_help(ctx: Context, commitment: Commitment) -> None:
    person = ctx.require_person()
    cohort = await ctx.session.get(Cohort, commitment.cohort_id)
    helper = await helper_for(ctx.session, person, cohort)
    if helper is None:
        await ctx.reply(_("alumni.help_nobody"), command=await command(ctx, "findmentor"))
        return
    their = ctx.translator_for(helper.person)
    await tell_helper(
        ctx,
        helper,
        _("alumni.help_request"),
        name=await name_of(ctx.session, person.id),
        text=commitment.text,
        date=their.date(commitment.due_date, "long"),
        cohort=cohort.name if cohort is not None else "",
        reach=await reach(ctx.session, person.id),
    )
    await ctx.reply(
        _("alumni.help_told"),
        name=await name_of(ctx.session, helper.person.id),
        relation=relation_text(ctx.tr, helper, cohort),
    )


async def apply_answer(ctx: Context, commitment: Commitment, key: str | None) -> None:
    if commitment.status != OPEN:
        await ctx.reply(
            _("alumni.already_closed"),
            number=commitment.number,
            status=status_name(ctx.tr, commitment.status),
        )
        return
    if key == DONE:
        await finish(ctx, commitment, DONE)
    elif key == "drop":
        await finish(ctx, commitment, DROPPED)
    elif key == HELP:
        add_note(ctx, commitment, HELP)
        await ask_for_help(ctx, commitment)
    else:
        add_note(ctx, commitment, WORKING)
        await ctx.reply(_("alumni.working_ok"), number=commitment.number)


# Nudges ----------------------------------------------------------------------------------------


@router.job(NUDGE, payload=NudgeJob)
async def nudge_fell_due(ctx: Context, job: JobInfo[NudgeJob]) -> None:
    row = await ctx.session.get(Job, job.id)
    if row is not None and row.status == JobStatus.CANCELLED:
        return  # folded into a nudge sent earlier in this same batch of due jobs
    commitment = await ctx.session.get(Commitment, job.data.commitment_id)
    if commitment is None or commitment.status != OPEN:
        return
    if commitment.nudge_pending_since is None:
        commitment.nudge_pending_since = ctx.now
    await ctx.schedule(
        SEND,
        ctx.now,
        # One sender per nudge job: a key shared with a sender that already ran at this very
        # instant (a deferred one) would be ignored and leave this commitment waiting forever.
        key=f"{SEND}:p{commitment.person_id}:n{job.id}",
        person_id=commitment.person_id,
    )


@router.job(SEND)
async def send_nudge(ctx: Context, job: JobInfo) -> None:
    person = ctx.person
    if person is None:
        return
    waiting: list[Commitment] = []
    for commitment in await pending_nudges(ctx.session, person.id):
        if await may_contact(ctx, person.id, commitment.cohort_id):
            waiting.append(commitment)
        else:
            commitment.nudge_pending_since = None  # no yes to alumni contact: skipped for good
    if not waiting:
        return
    zone = zone_of(person, waiting[0].zone)
    when = await next_contact_time(ctx, person, zone)
    if when > ctx.now:
        await ctx.schedule(
            SEND, when, key=f"{SEND}:p{person.id}:{stamp(when)}", person_id=person.id
        )
        return
    waiting += await ride_along(ctx, person, {c.id for c in waiting})
    await deliver(ctx, person, sorted(waiting, key=lambda c: c.number))


async def ride_along(ctx: Context, person: Person, included: set[int]) -> list[Commitment]:
    """Open commitments whose next nudge is due within LOOKAHEAD: they join this message and
    their job is cancelled. Returns the ones not already included."""
    found = await ctx.session.execute(
        select(Job).where(
            Job.kind == NUDGE,
            Job.person_id == person.id,
            Job.status == JobStatus.PENDING,
            Job.due_at <= ctx.now + LOOKAHEAD,
        )
    )
    extra: list[Commitment] = []
    for job in found.scalars():
        nudge = NudgeJob.read(job.payload, NUDGE)
        if nudge is None:
            continue
        commitment = await ctx.session.get(Commitment, nudge.commitment_id)
        if commitment is None or commitment.status != OPEN:
            continue
        if commitment.id not in included:
            if not await may_contact(ctx, person.id, commitment.cohort_id):
                continue
            included.add(commitment.id)
            extra.append(commitment)
        job.status = JobStatus.CANCELLED
        job.finished_at = ctx.now
    return extra


async def deliver(ctx: Context, person: Person, items: list[Commitment]) -> None:
    """One nudge about `items`, with choices; logged, and the items stop waiting."""
    today = today_of(ctx, person, items[0])
    prefix = await prefix_for(ctx.session, person.id)
    lines = [ctx.tn("alumni.nudge_header", len(items))]
    lines += [item_line(ctx.tr, c, today) for c in items]
    lines.append("")
    lines.append(ctx.t(_("alumni.nudge_how")) if len(items) == 1 else ctx.t(_("alumni.nudge_pick")))
    lines.append(ctx.t(_("alumni.nudge_opt_out"), command=f"{prefix}consent alumni no"))
    await forget_questions(ctx.session, person.id, NUDGE_PICK, NUDGE_STATUS)
    if len(items) == 1:
        await ask_status(ctx, items[0], [], "\n".join(lines))
    else:
        await ask_pick(ctx, items, "\n".join(lines), first=True)
    cohorts = {c.cohort_id for c in items}
    ctx.session.add(
        AlumniContact(
            person_id=person.id,
            kind=CONTACT_NUDGE,
            cohort_id=next(iter(cohorts)) if len(cohorts) == 1 else None,
            commitments=[c.number for c in items],
            sent_at=ctx.now,
        )
    )
    for commitment in items:
        commitment.nudge_pending_since = None


async def ask_status(ctx: Context, commitment: Commitment, rest: list[int], text: str) -> None:
    choices = [Choice(key, ctx.t(label)) for key, label in ANSWER_LABELS.items()]
    await ctx.ask(
        NUDGE_STATUS,
        text,
        choices,
        payload=NudgeStatus(commitment.id, tuple(rest)),
        sticky=True,
        expires_in=QUESTION_LIFETIME,
    )


async def ask_pick(ctx: Context, items: list[Commitment], text: str, *, first: bool) -> None:
    # Keys are the commitment numbers, ascending: typing "3" picks #3 (a key match always comes
    # before a position match, since a number is never smaller than its position).
    choices = [Choice(str(c.number), short_label(c)) for c in items]
    label = _("alumni.choice_all_working") if first else _("alumni.choice_rest_working")
    choices.append(Choice(ALL_WORKING, ctx.t(label)))
    await ctx.ask(
        NUDGE_PICK,
        text,
        choices,
        payload=NudgePick({str(c.number): c.id for c in items}),
        sticky=True,
        expires_in=QUESTION_LIFETIME,
    )


async def owned(ctx: Context, commitment_id: object) -> Commitment | None:
    if not isinstance(commitment_id, int):
        return None
    commitment = await ctx.session.get(Commitment, commitment_id)
    if commitment is None or commitment.person_id != ctx.require_person().id:
        return None
    return commitment


@router.question(NUDGE_PICK, payload=NudgePick)
async def nudge_picked(ctx: Context, answer: Answer[NudgePick]) -> None:
    person = ctx.require_person()
    ids = answer.data.ids
    if answer.key == ALL_WORKING:
        items = await commitments_by_id(ctx.session, ids.values())
        still = [c for c in items if c.person_id == person.id and c.status == OPEN]
        for item in still:
            add_note(ctx, item, WORKING)
        await ctx.reply(_("alumni.all_working_ok"))
        return
    commitment = await owned(ctx, ids.get(answer.key or ""))
    if commitment is None:
        raise UserError(_("core.question_expired"))
    rest = [v for k, v in ids.items() if k != answer.key]
    text = ctx.t(
        _("alumni.nudge_status_one"),
        item=item_line(ctx.tr, commitment, today_of(ctx, person, commitment)),
    )
    await ask_status(ctx, commitment, rest, text)


@router.question(NUDGE_STATUS, payload=NudgeStatus)
async def nudge_answered(ctx: Context, answer: Answer[NudgeStatus]) -> None:
    person = ctx.require_person()
    commitment = await owned(ctx, answer.data.id)
    if commitment is None:
        raise UserError(_("core.question_expired"))
    await apply_answer(ctx, commitment, answer.key)
    rest_ids = list(answer.data.rest)
    rest = [
        c
        for c in await commitments_by_id(ctx.session, rest_ids)
        if c.person_id == person.id and c.status == OPEN
    ]
    if rest:
        await ask_pick(ctx, rest, ctx.t(_("alumni.nudge_more")), first=False)
