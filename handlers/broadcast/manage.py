"""`announcements`, `cancelannouncement` and `translate`: what the coordinator does with sent
and scheduled announcements."""

from __future__ import annotations

from bot.commands import Args
from bot.context import Context
from bot.errors import UserError
from bot.i18n import _
from bot.outbox import cancel_jobs
from bot.router import Router
from handlers.broadcast.announce import ask_confirmation, forget_confirmations
from handlers.broadcast.parse import number_of, quoted
from handlers.broadcast.text import check_fits, preview
from storage.models import Job, Person
from storage.models.broadcast import Announcement, AnnouncementStatus
from storage.repositories.broadcast import (
    Progress,
    by_number,
    drop_pending,
    progress,
    recent,
    set_variant,
)

router = Router()


# announcements ------------------------------------------------------------------------------
@router.command("announcements", help_id=_("broadcast.help_announcements"))
async def announcements(ctx: Context, args: Args) -> None:
    cohort = ctx.require_cohort()
    found = await recent(ctx.session, cohort.id)
    if not found:
        await ctx.reply(_("broadcast.list_empty"), cohort=cohort.name)
        return
    counts = await progress(ctx.session, [a.id for a in found])
    lines = [ctx.t(_("broadcast.list_header"), cohort=cohort.name)]
    for a in found:
        lines.append(_status_line(ctx, a, counts[a.id]))
    await ctx.say("\n".join(lines))


def _status_line(ctx: Context, a: Announcement, counts: Progress) -> str:
    common: dict[str, object] = {"number": a.number, "preview": preview(a.text)}
    quiet = ctx.t(_("broadcast.quiet_note")) if a.respect_quiet else ""
    blocked = ctx.tr.number(counts.blocked + a.unreachable)
    if a.status == AnnouncementStatus.DRAFT:
        return ctx.t(_("broadcast.status_draft"), **common)
    if a.status == AnnouncementStatus.SCHEDULED:
        if a.scheduled_at is None:
            return ctx.t(_("broadcast.status_starting"), quiet=quiet, **common)
        when = ctx.tr.datetime(a.scheduled_at, ctx.zone)
        return ctx.t(_("broadcast.status_scheduled"), when=when, quiet=quiet, **common)
    if a.status == AnnouncementStatus.SENDING:
        not_queued = 0 if a.fanout_done else max(0, a.planned - a.queued - a.unreachable)
        return ctx.t(
            _("broadcast.status_sending"),
            sent=ctx.tr.number(counts.sent),
            waiting=ctx.tr.number(counts.waiting + not_queued),
            failed=ctx.tr.number(counts.failed),
            blocked=blocked,
            quiet=quiet,
            **common,
        )
    if a.status == AnnouncementStatus.DONE:
        return ctx.t(
            _("broadcast.status_done"),
            sent=ctx.tr.number(counts.sent),
            failed=ctx.tr.number(counts.failed),
            blocked=blocked,
            **common,
        )
    if a.started_at is None:
        return ctx.t(_("broadcast.status_cancelled_early"), **common)
    return ctx.t(
        _("broadcast.status_cancelled"),
        sent=ctx.tr.number(counts.sent),
        stopped=ctx.tr.number(a.stopped),
        **common,
    )


# cancelannouncement -------------------------------------------------------------------------
@router.command(
    "cancelannouncement",
    usage="N",
    help_id=_("broadcast.help_cancel"),
)
async def cancel_announcement(ctx: Context, args: Args) -> None:
    cohort = ctx.require_cohort()
    number = number_of(args.get(0), _("broadcast.cancel_usage"))
    a = await by_number(ctx.session, cohort.id, number, lock=True)
    if a is None:
        raise UserError(_("broadcast.unknown_number"), number=number)
    if a.status == AnnouncementStatus.DONE:
        raise UserError(_("broadcast.already_done"), number=number)
    if a.status == AnnouncementStatus.CANCELLED:
        raise UserError(_("broadcast.already_cancelled"), number=number)
    await cancel_jobs(ctx.session, Job.idempotency_key.like(f"broadcast:%:{a.id}:%"))
    if a.status == AnnouncementStatus.DRAFT:
        if a.author_id is not None:
            await forget_confirmations(ctx, a.author_id, a.id)
        await ctx.session.delete(a)
        await ctx.reply(_("broadcast.draft_cancelled"), number=number)
        return
    was_sending = a.status == AnnouncementStatus.SENDING
    a.status = AnnouncementStatus.CANCELLED
    a.finished_at = ctx.now
    if not was_sending:
        await ctx.reply(_("broadcast.cancelled_scheduled"), number=number)
        return
    dropped = await drop_pending(ctx.session, a.id)
    not_queued = 0 if a.fanout_done else max(0, a.planned - a.queued - a.unreachable)
    a.stopped = dropped + not_queued
    counts = (await progress(ctx.session, [a.id]))[a.id]
    await ctx.reply(
        _("broadcast.cancelled_running"),
        number=number,
        sent=ctx.tr.number(counts.sent + counts.waiting),
        stopped=ctx.tr.number(a.stopped),
    )


# translate ----------------------------------------------------------------------------------
@router.command(
    "translate",
    usage='N LANG "TEXT"',
    help_id=_("broadcast.help_translate"),
)
async def translate(ctx: Context, args: Args) -> None:
    cohort = ctx.require_cohort()
    parts = args.raw.split(None, 2)
    if len(parts) < 3:
        raise UserError(_("broadcast.translate_usage"))
    number = number_of(parts[0], _("broadcast.translate_usage"))
    tail = parts[2].strip()
    text = (args.get(2) or "") if quoted(tail) else tail
    text = text.strip()
    if not text:
        raise UserError(_("broadcast.translate_usage"))
    catalogs = ctx.services.catalogs
    lang = catalogs.normalize(parts[1])
    if lang is None:
        available = ", ".join(catalogs.languages)
        raise UserError(_("broadcast.unknown_language"), language=parts[1], available=available)
    a = await by_number(ctx.session, cohort.id, number, lock=True)
    if a is None:
        raise UserError(_("broadcast.unknown_number"), number=number)
    if a.status not in (AnnouncementStatus.DRAFT, AnnouncementStatus.SCHEDULED):
        raise UserError(_("broadcast.translate_too_late"), number=number)
    if lang == a.language:
        raise UserError(
            _("broadcast.translate_original"), language=ctx.tr.language_name(lang), number=number
        )
    check_fits(ctx, cohort.name, text, (lang,))
    await set_variant(ctx.session, a.id, lang, text, ctx.now)
    await ctx.reply(_("broadcast.translated"), number=number, language=ctx.tr.language_name(lang))
    if a.status == AnnouncementStatus.DRAFT and a.author_id is not None:
        author = await ctx.session.get(Person, a.author_id)
        if author is not None:
            await ask_confirmation(ctx, a, cohort, author)
