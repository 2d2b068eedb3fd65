"""Safety check-ins: `safetycheck ["MESSAGE"]` asks every member of the cohort now, whatever
the hour, "Are you safe?" (I'm safe / I need help); "I need help" alerts the safety contacts at
once with the person's name and, if they add it, what they need. `safetystatus [N]` shows who
answered what and who has not; those who have not get one reminder after REMIND_AFTER.

The asking is a job (`safety.check`) that asks FANOUT_BATCH members per run, by person id after
a cursor, each question an outbox row keyed by check and person: a restart resumes at the cursor
and asks nobody twice. The reminder is a job row too (`safety.check_reminder`)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select

from bot.commands import Args, pick_number
from bot.context import Ask, Context
from bot.errors import UserError
from bot.i18n import Translator, _
from bot.messages import Choice
from bot.router import Answer, JobInfo, Router
from handlers.safety.common import checked_text, cohort_label, names, send_each, unquoted
from handlers.safety.payloads import OfCheck
from storage.models import Cohort, PendingQuestion, Person
from storage.models.safety import ASKED, HELP, SAFE, SafetyCheck
from storage.repositories.cohorts import count_members
from storage.repositories.safety import (
    add_asked,
    answer_of,
    answers_of,
    check_by_number,
    member_batch,
    next_check_number,
    recipients,
)

router = Router()

FANOUT = "safety.check"
REMIND = "safety.check_reminder"
QUESTION = "safety.check"
MORE = "safety.check_more"
FANOUT_BATCH = 500
REMIND_AFTER = timedelta(minutes=30)
MAX_MESSAGE = 1000
NAMES_SHOWN = 40  # per group in `safetystatus`: a long list is cut with "and N more"


# safetycheck --------------------------------------------------------------------------------
@router.command("safetycheck", usage='["MESSAGE"]', help_id=_("safety.help_check"))
async def safetycheck(ctx: Context, args: Args) -> None:
    person = ctx.require_person()
    cohort = ctx.require_cohort()
    message = checked_text(unquoted(args.raw), MAX_MESSAGE) or None
    others = await count_members(ctx.session, cohort.id) - 1
    if others < 1:
        raise UserError(_("safety.check_nobody"))
    check = SafetyCheck(
        cohort_id=cohort.id,
        number=await next_check_number(ctx.session, cohort.id),
        author_id=person.id,
        message=message,
        created_at=ctx.now,
    )
    ctx.session.add(check)
    await ctx.session.flush()
    payload = OfCheck(check.id)
    await ctx.schedule(
        FANOUT, ctx.now, key=f"safety:check:{check.id}:0", payload=payload, cohort_id=cohort.id
    )
    await ctx.schedule(
        REMIND,
        ctx.now + REMIND_AFTER,
        key=f"safety:remind:{check.id}",
        payload=payload,
        cohort_id=cohort.id,
    )
    await ctx.reply(
        _("safety.check_started"),
        number=check.number,
        count=ctx.tr.number(others),
        minutes=int(REMIND_AFTER.total_seconds() // 60),
    )


def question_text(tr: Translator, cohort: Cohort, check: SafetyCheck, reminder: bool) -> str:
    lines = [
        tr.t(
            _("safety.check_reminder") if reminder else _("safety.check_question"),
            cohort=cohort_label(tr, cohort),
        )
    ]
    if check.message:
        lines += ["", check.message]
    return "\n".join(lines)


def check_choices(tr: Translator) -> tuple[Choice, ...]:
    return (
        Choice(SAFE, tr.t(_("safety.choice_safe"))),
        Choice(HELP, tr.t(_("safety.choice_help"))),
    )


async def ask_people(
    ctx: Context, cohort: Cohort, check: SafetyCheck, people: list[Person], reminder: bool
) -> None:
    texts: dict[str, tuple[str, tuple[Choice, ...]]] = {}
    asks = []
    default = ctx.config.bot.default_language
    for person in people:
        lang = person.language or default
        if lang not in texts:
            tr = ctx.services.catalogs.translator(lang)
            texts[lang] = (question_text(tr, cohort, check, reminder), check_choices(tr))
        text, choices = texts[lang]
        step = "remind" if reminder else "ask"
        asks.append(
            Ask(
                person_id=person.id,
                text=text,
                choices=choices,
                key=f"safety:{step}:{check.id}:{person.id}",
                payload=OfCheck(check.id),
            )
        )
    await ctx.ask_many(QUESTION, asks, sticky=True)


@router.job(FANOUT, payload=OfCheck)
async def fanout(ctx: Context, job: JobInfo[OfCheck]) -> None:
    check = await ctx.session.get(SafetyCheck, job.data.check, with_for_update=True)
    if check is None or check.fanout_done:
        return
    cohort = await ctx.session.get(Cohort, check.cohort_id)
    assert cohort is not None
    ctx.cohort = cohort
    people = await member_batch(
        ctx.session, cohort.id, check.fanout_after, FANOUT_BATCH, check.author_id
    )
    await add_asked(ctx.session, check.id, [p.id for p in people], ctx.now)
    await ask_people(ctx, cohort, check, people, reminder=False)
    if len(people) < FANOUT_BATCH:
        check.fanout_done = True
        return
    check.fanout_after = people[-1].id
    await ctx.schedule(
        FANOUT,
        ctx.now,
        key=f"safety:check:{check.id}:{check.fanout_after}",
        payload=OfCheck(check.id),
        cohort_id=cohort.id,
    )


@router.job(REMIND, payload=OfCheck)
async def remind(ctx: Context, job: JobInfo[OfCheck]) -> None:
    check = await ctx.session.get(SafetyCheck, job.data.check)
    if check is None:
        return
    cohort = await ctx.session.get(Cohort, check.cohort_id)
    assert cohort is not None
    ctx.cohort = cohort
    waiting = [a.person_id for a in await answers_of(ctx.session, check.id) if a.status == ASKED]
    found = await ctx.session.execute(
        select(Person).where(Person.id.in_(waiting)).order_by(Person.id)
    )
    people = list(found.scalars()) if waiting else []
    await ask_people(ctx, cohort, check, people, reminder=True)


# Answers ------------------------------------------------------------------------------------
async def this_checks_questions(ctx: Context, person_id: int, check_id: int) -> None:
    """Forget the person's other open questions of this check (the first ask or its reminder),
    so that one answer settles it."""
    found = await ctx.session.execute(
        PendingQuestion.__table__.select().where(
            PendingQuestion.person_id == person_id, PendingQuestion.kind == QUESTION
        )
    )
    for row in found.mappings():
        of = OfCheck.read(row["payload"], QUESTION)
        if of is not None and of.check == check_id:
            await ctx.session.execute(
                delete(PendingQuestion)
                .where(PendingQuestion.id == row["id"])
                .execution_options(synchronize_session=False)
            )


@router.question(QUESTION, payload=OfCheck)
async def answered(ctx: Context, answer: Answer[OfCheck]) -> None:
    person = ctx.require_person()
    check = await ctx.session.get(SafetyCheck, answer.data.check)
    row = await answer_of(ctx.session, check.id, person.id) if check is not None else None
    if check is None or row is None:
        raise UserError(_("core.question_expired"))
    cohort = await ctx.session.get(Cohort, check.cohort_id)
    assert cohort is not None
    await this_checks_questions(ctx, person.id, check.id)
    row.answered_at = ctx.now
    if answer.key == SAFE:
        row.status = SAFE
        await ctx.reply(_("safety.answer_safe"))
        return
    row.status = HELP
    name = (await names(ctx, [person.id]))[person.id]
    to = await alerted(ctx, check, person.id)

    def render(tr: Translator, _p: str) -> str:
        return tr.t(
            _("safety.help_alert"), name=name, cohort=cohort_label(tr, cohort), number=check.number
        )

    await send_each(ctx, to, render, unprompted="safety.help", key=f"safety:help:{row.id}")
    await ask_more(ctx, check)


async def ask_more(ctx: Context, check: SafetyCheck) -> None:
    """After "I need help": what they need, in their own words (sticky: it outlives commands)."""
    await ctx.ask(
        MORE,
        ctx.t(_("safety.ask_more")),
        [Choice("skip", ctx.t(_("safety.choice_skip")))],
        payload=OfCheck(check.id),
        free_text=True,
        sticky=True,
    )


async def alerted(ctx: Context, check: SafetyCheck, person_id: int) -> list[int]:
    """The safety contacts and the check's author, never the person who needs help."""
    to = await recipients(ctx.session, check.cohort_id, [person_id])
    if check.author_id is not None and check.author_id not in to and check.author_id != person_id:
        to.append(check.author_id)
    return to


@router.question(MORE, payload=OfCheck)
async def answered_more(ctx: Context, answer: Answer[OfCheck]) -> None:
    if answer.key == "skip":
        await ctx.reply(_("safety.more_skipped"))
        return
    person = ctx.require_person()
    check = await ctx.session.get(SafetyCheck, answer.data.check)
    row = await answer_of(ctx.session, check.id, person.id) if check is not None else None
    if check is None or row is None:
        raise UserError(_("core.question_expired"))
    try:
        text = checked_text(answer.text or "", MAX_MESSAGE)
    except UserError as error:
        await ctx.say(ctx.t(error.message_id, **error.params))
        await ask_more(ctx, check)
        return
    row.text = "\n".join(filter(None, [row.text, text]))
    cohort = await ctx.session.get(Cohort, check.cohort_id)
    assert cohort is not None
    name = (await names(ctx, [person.id]))[person.id]

    def render(tr: Translator, _p: str) -> str:
        return tr.t(_("safety.help_more"), name=name, cohort=cohort_label(tr, cohort), text=text)

    to = await alerted(ctx, check, person.id)
    await send_each(
        ctx, to, render, unprompted="safety.help", key=f"safety:more:{row.id}:{ctx.next_key()}"
    )
    await ctx.reply(_("safety.more_sent"))


# safetystatus -------------------------------------------------------------------------------
@router.command("safetystatus", usage="[N]", help_id=_("safety.help_status"))
async def safetystatus(ctx: Context, args: Args) -> None:
    cohort = ctx.require_cohort()
    wanted = args.get(0)
    number = pick_number(wanted) if wanted is not None else None
    if wanted is not None and number is None:
        raise UserError(_("safety.status_usage"))
    check = await check_by_number(ctx.session, cohort.id, number)
    if check is None:
        if number is None:
            raise UserError(_("safety.no_checks"), cohort=cohort.name)
        raise UserError(_("safety.unknown_check"), number=number)
    rows = await answers_of(ctx.session, check.id)
    found = await names(ctx, [r.person_id for r in rows])
    by: dict[str, list[str]] = {HELP: [], SAFE: [], ASKED: []}
    for row in rows:
        name = found.get(row.person_id, f"#{row.person_id}")
        if row.status == HELP and row.text:
            name = ctx.t(_("safety.status_help_text"), name=name, text=row.text)
        by[row.status].append(name)
    lines = [
        ctx.t(
            _("safety.status_header"),
            number=check.number,
            when=ctx.tr.datetime(check.created_at, ctx.zone),
            safe=ctx.tr.number(len(by[SAFE])),
            help=ctx.tr.number(len(by[HELP])),
            waiting=ctx.tr.number(len(by[ASKED])),
        )
    ]
    if check.message:
        lines.append(check.message)
    for status, msgid in (
        (HELP, _("safety.status_help")),
        (ASKED, _("safety.status_waiting")),
        (SAFE, _("safety.status_safe")),
    ):
        if by[status]:
            lines += ["", ctx.t(msgid), *by[status][:NAMES_SHOWN]]
            if len(by[status]) > NAMES_SHOWN:
                more = ctx.tr.number(len(by[status]) - NAMES_SHOWN)
                lines.append(ctx.t(_("safety.status_more"), count=more))
    if not check.fanout_done:
        lines += ["", ctx.t(_("safety.status_still_asking"))]
    await ctx.say("\n".join(lines))
