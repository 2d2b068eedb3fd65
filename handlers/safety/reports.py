"""Confidential reports: `report` asks what happened, whom it concerns, how urgent, and whether
to stay anonymous, then sends it to the cohort's safety contacts -- never to the person it
concerns. `report add REF TEXT` adds to it later; `reportreply REF TEXT` is a contact's answer,
which reaches the reporter through the bot without telling the contact who they are."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from bot.commands import Args
from bot.context import Context
from bot.errors import UserError
from bot.i18n import Translator, _
from bot.messages import Choice
from bot.payloads import PayloadError
from bot.router import Answer, Router
from handlers.cohorts.names import row_matches
from handlers.help import prefix
from handlers.safety.common import (
    MAX_SHORT,
    checked_text,
    cohort_label,
    names,
    send_each,
    unquoted,
)
from handlers.safety.payloads import ReportDraft
from storage.models import Cohort
from storage.models.safety import SafetyReport, SafetyReportNote
from storage.repositories.cohorts import membership, roster
from storage.repositories.safety import new_ref, recipients, report_by_ref

router = Router()

WHAT = "safety.report_what"
WHOM = "safety.report_whom"
URGENCY = "safety.report_urgency"
SEND = "safety.report_send"
CANCEL, SKIP = "cancel", "skip"
URGENCY_IDS = {
    "now": _("safety.urgency_now"),
    "soon": _("safety.urgency_soon"),
    "later": _("safety.urgency_later"),
}


async def send_about(
    ctx: Context,
    report: SafetyReport,
    to: Sequence[int],
    render: Callable[[Translator, str], str],
    key: str,
) -> None:
    """Report traffic as bot/unprompted.py names it: an urgent report's reaches people at once,
    the others' after the reader's quiet hours."""
    if report.urgency == "now":
        await send_each(ctx, to, render, unprompted="safety.report_urgent", key=key)
    else:
        await send_each(ctx, to, render, unprompted="safety.report", key=key)


def cancel_choice(ctx: Context) -> Choice:
    return Choice(CANCEL, ctx.t(_("safety.choice_cancel")))


# report -------------------------------------------------------------------------------------
@router.command("report", usage="[add REF TEXT]", help_id=_("safety.help_report"))
async def report(ctx: Context, args: Args) -> None:
    if ctx.in_group:  # what someone reports is nobody else's business, not even that they do
        raise UserError(_("safety.report_in_group"))
    if (args.get(0) or "").lower() == "add":
        await add_to_report(ctx, args)
        return
    cohort = ctx.require_cohort()
    given = unquoted(args.raw)
    if given:
        await ask_whom(ctx, ReportDraft(cohort.id, checked_text(given)))
        return
    await ask_what(ctx, ReportDraft(cohort.id))


async def ask_what(ctx: Context, draft: ReportDraft) -> None:
    await ctx.ask(
        WHAT, ctx.t(_("safety.ask_what")), [cancel_choice(ctx)], payload=draft, free_text=True
    )


@router.question(WHAT, payload=ReportDraft)
async def answered_what(ctx: Context, answer: Answer[ReportDraft]) -> None:
    if answer.key == CANCEL:
        await ctx.reply(_("safety.report_cancelled"))
        return
    draft = answer.data
    try:
        draft = replace(draft, text=checked_text(answer.text or ""))
    except UserError as error:  # say why, and ask again: the draft is not lost
        await ctx.say(ctx.t(error.message_id, **error.params))
        await ask_what(ctx, draft)
        return
    if not draft.text:
        await ask_what(ctx, draft)
        return
    await ask_whom(ctx, draft)


async def ask_whom(ctx: Context, draft: ReportDraft) -> None:
    await ctx.ask(
        WHOM,
        ctx.t(_("safety.ask_whom")),
        [Choice(SKIP, ctx.t(_("safety.choice_nobody"))), cancel_choice(ctx)],
        payload=draft,
        free_text=True,
    )


@router.question(WHOM, payload=ReportDraft)
async def answered_whom(ctx: Context, answer: Answer[ReportDraft]) -> None:
    if answer.key == CANCEL:
        await ctx.reply(_("safety.report_cancelled"))
        return
    draft = answer.data
    if answer.key != SKIP:
        text = (answer.text or "").strip()
        if len(text) > MAX_SHORT:
            await ctx.reply(_("safety.too_long"), length=len(text), limit=MAX_SHORT)
            await ask_whom(ctx, draft)
            return
        draft = replace(draft, concerned_text=text)
        rows = await roster(ctx.session, draft.cohort)
        found = [row for row in rows if row_matches(row, text)]
        if len(found) == 1:
            draft = replace(draft, concerned_id=found[0].person.id)
    await ctx.ask(
        URGENCY,
        ctx.t(_("safety.ask_urgency")),
        [
            *(Choice(key, ctx.t(msgid)) for key, msgid in URGENCY_IDS.items()),
            cancel_choice(ctx),
        ],
        payload=draft,
    )


async def draft_recipients(ctx: Context, draft: ReportDraft) -> list[int]:
    excluded = [ctx.require_person().id]
    if draft.concerned_id is not None:
        excluded.append(draft.concerned_id)
    return await recipients(ctx.session, draft.cohort, excluded)


@router.question(URGENCY, payload=ReportDraft)
async def answered_urgency(ctx: Context, answer: Answer[ReportDraft]) -> None:
    if answer.key == CANCEL or answer.key not in URGENCY_IDS:
        await ctx.reply(_("safety.report_cancelled"))
        return
    draft = replace(answer.data, urgency=answer.key)
    to = await draft_recipients(ctx, draft)
    if not to:
        raise UserError(_("safety.report_nobody"))
    found = await names(ctx, to)
    await ctx.ask(
        SEND,
        ctx.t(_("safety.ask_send"), names=ctx.tr.join([found[pid] for pid in to])),
        [
            Choice("named", ctx.t(_("safety.choice_named"))),
            Choice("anonymous", ctx.t(_("safety.choice_anonymous"))),
            cancel_choice(ctx),
        ],
        payload=draft,
    )


@router.question(SEND, payload=ReportDraft)
async def answered_send(ctx: Context, answer: Answer[ReportDraft]) -> None:
    if answer.key not in ("named", "anonymous"):
        await ctx.reply(_("safety.report_cancelled"))
        return
    person = ctx.require_person()
    draft = answer.data
    if draft.text is None or draft.urgency is None:
        raise PayloadError(SEND, "text" if draft.text is None else "urgency", "is missing")
    cohort = await ctx.session.get(Cohort, draft.cohort)
    if cohort is None or await membership(ctx.session, cohort.id, person.id) is None:
        raise UserError(_("core.not_member"))
    to = await draft_recipients(ctx, draft)
    if not to:
        raise UserError(_("safety.report_nobody"))
    report = SafetyReport(
        ref=await new_ref(ctx.session),
        cohort_id=cohort.id,
        reporter_id=person.id,
        anonymous=answer.key == "anonymous",
        concerned_id=draft.concerned_id,
        concerned_text=draft.concerned_text or None,
        urgency=draft.urgency,
        text=draft.text,
        created_at=ctx.now,
        updated_at=ctx.now,
    )
    ctx.session.add(report)
    await ctx.session.flush()
    reporter = None if report.anonymous else (await names(ctx, [person.id]))[person.id]

    def render(tr: Translator, p: str) -> str:
        return tr.t(
            _("safety.report_to_contact"),
            ref=report.ref,
            cohort=cohort_label(tr, cohort),
            urgency=tr.t(URGENCY_IDS[report.urgency]),
            reporter=reporter or tr.t(_("safety.anonymous")),
            concerned=report.concerned_text or "—",
            text=report.text,
            reply=f"{p}reportreply {report.ref}",
        )

    await send_about(ctx, report, to, render, key=f"safety:r:{report.ref}:0")
    await ctx.reply(
        _("safety.report_sent_anonymous") if report.anonymous else _("safety.report_sent"),
        ref=report.ref,
        cohort=cohort.name,
        add=f"{prefix(ctx)}report add {report.ref}",
    )


# report add ---------------------------------------------------------------------------------
async def add_to_report(ctx: Context, args: Args) -> None:
    parts = args.raw.split(None, 2)
    if len(parts) < 3:
        raise UserError(_("safety.add_usage"))
    person = ctx.require_person()
    found = await report_by_ref(ctx.session, parts[1])
    if found is None or found.reporter_id != person.id:
        raise UserError(_("safety.unknown_ref"), ref=parts[1][:20])
    text = checked_text(unquoted(parts[2]))
    if not text:
        raise UserError(_("safety.add_usage"))
    cohort = await ctx.session.get(Cohort, found.cohort_id)
    assert cohort is not None
    excluded = [person.id, *([found.concerned_id] if found.concerned_id else [])]
    to = await recipients(ctx.session, cohort.id, excluded)
    if not to:
        raise UserError(_("safety.report_nobody"))
    note = await add_note(ctx, found, text, author_id=None)

    def render(tr: Translator, p: str) -> str:
        return tr.t(
            _("safety.addition_to_contact"),
            ref=found.ref,
            cohort=cohort_label(tr, cohort),
            text=text,
            reply=f"{p}reportreply {found.ref}",
        )

    await send_about(ctx, found, to, render, key=f"safety:r:{note.id}")
    await ctx.reply(_("safety.addition_sent"), ref=found.ref)


async def add_note(
    ctx: Context, report: SafetyReport, text: str, author_id: int | None
) -> SafetyReportNote:
    note = SafetyReportNote(
        report_id=report.id,
        reporter_id=report.reporter_id,
        author_id=author_id,
        text=text,
        created_at=ctx.now,
    )
    ctx.session.add(note)
    report.updated_at = ctx.now
    await ctx.session.flush()
    return note


# reportreply --------------------------------------------------------------------------------
@router.command("reportreply", usage="REF TEXT", help_id=_("safety.help_reply"))
async def reportreply(ctx: Context, args: Args) -> None:
    parts = args.raw.split(None, 1)
    if len(parts) < 2:
        raise UserError(_("safety.reply_usage"))
    person = ctx.require_person()
    found = await report_by_ref(ctx.session, parts[0])
    # Only the report's current recipients may answer it; anyone else learns nothing, not even
    # that the reference exists.
    concerned = [found.concerned_id] if found is not None and found.concerned_id else []
    reporter = [found.reporter_id] if found is not None and found.reporter_id else []
    allowed = (
        await recipients(ctx.session, found.cohort_id, [*concerned, *reporter])
        if found is not None
        else []
    )
    if found is None or person.id not in allowed:
        raise UserError(_("safety.unknown_ref"), ref=parts[0][:20])
    text = checked_text(unquoted(parts[1]))
    if not text:
        raise UserError(_("safety.reply_usage"))
    if found.reporter_id is None:
        raise UserError(_("safety.reporter_gone"), ref=found.ref)
    cohort = await ctx.session.get(Cohort, found.cohort_id)
    assert cohort is not None
    note = await add_note(ctx, found, text, author_id=person.id)
    author = (await names(ctx, [person.id]))[person.id]

    def to_reporter(tr: Translator, p: str) -> str:
        return tr.t(
            _("safety.reply_to_reporter"),
            ref=found.ref,
            cohort=cohort_label(tr, cohort),
            name=author,
            text=text,
            add=f"{p}report add {found.ref}",
        )

    def to_others(tr: Translator, p: str) -> str:
        return tr.t(
            _("safety.reply_to_contacts"),
            ref=found.ref,
            cohort=cohort_label(tr, cohort),
            name=author,
            text=text,
        )

    await send_about(ctx, found, [found.reporter_id], to_reporter, key=f"safety:n:{note.id}")
    others = [pid for pid in allowed if pid != person.id]
    await send_about(ctx, found, others, to_others, key=f"safety:n:{note.id}")
    await ctx.reply(_("safety.reply_sent"), ref=found.ref)
