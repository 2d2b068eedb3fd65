"""`announce`: a draft, the author's confirmation, and who will get it (roles, languages, RSVPs)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.commands import Args
from bot.context import Context
from bot.errors import UserError
from bot.i18n import _
from bot.messages import Choice
from bot.router import Answer, Router
from handlers.broadcast.audience import rsvp_people
from handlers.broadcast.fanout import FANOUT
from handlers.broadcast.parse import parse_request
from handlers.broadcast.payloads import OfAnnouncement
from handlers.broadcast.quiet import quiet_names
from handlers.broadcast.text import check_fits, describe_target, render
from storage.models import Cohort, PendingQuestion, Person
from storage.models.broadcast import Announcement, AnnouncementStatus
from storage.models.cohorts import Role
from storage.repositories.broadcast import (
    RecipientCount,
    Target,
    count_recipients,
    locked,
    next_number,
    variants,
)
from storage.repositories.cohorts import membership

router = Router()

CONFIRM = "broadcast.confirm"

CHOICE_IDS = (
    _("broadcast.choice_send"),
    _("broadcast.choice_send_quiet"),
    _("broadcast.choice_cancel"),
)


# announce -----------------------------------------------------------------------------------
@router.command(
    "announce",
    usage='"TEXT" [at DATETIME [ZONE]] [to TARGET]',
    help_id=_("broadcast.help_announce"),
)
async def announce(ctx: Context, args: Args) -> None:
    person = ctx.require_person()
    cohort = ctx.require_cohort()
    request = parse_request(ctx, args)
    check_fits(ctx, cohort.name, request.text, ctx.config.bot.languages)
    rsvp = await rsvp_people(ctx, cohort.id, request.target)
    count = await count_recipients(
        ctx.session, cohort.id, request.target, ctx.config.bot.default_language, rsvp
    )
    if count.total == 0:
        raise UserError(_("broadcast.nobody"))
    announcement = Announcement(
        cohort_id=cohort.id,
        number=await next_number(ctx.session, cohort.id),
        author_id=person.id,
        text=request.text,
        language=ctx.tr.lang,
        status=AnnouncementStatus.DRAFT,
        scheduled_at=request.at,
        zone=request.zone,
        respect_quiet=False,
        target=request.target.to_json(),
        created_at=ctx.now,
    )
    ctx.session.add(announcement)
    await ctx.session.flush()
    await ask_confirmation(ctx, announcement, cohort, person, count)


QUIET_NAMES_SHOWN = 10


async def ask_confirmation(
    ctx: Context,
    announcement: Announcement,
    cohort: Cohort,
    author: Person,
    count: RecipientCount | None = None,
) -> None:
    """Show the author what goes out, to how many, and when; ask to send (sticky: the author
    may run `translate` before answering, which asks again)."""
    tr = ctx.translator_for(author)
    target = Target.from_json(announcement.target)
    rsvp = await rsvp_people(ctx, cohort.id, target)
    if count is None:
        count = await count_recipients(
            ctx.session, cohort.id, target, ctx.config.bot.default_language, rsvp
        )
    await forget_confirmations(ctx, author.id, announcement.id)
    members = tr.tn(_("broadcast.count_members"), count.members)
    chats = tr.tn(_("broadcast.count_chats"), count.chats)
    lines = [
        tr.t(_("broadcast.confirm_header"), number=announcement.number),
        "",
        render(tr, cohort.name, announcement.text),
        "",
        tr.tn(_("broadcast.confirm_recipients"), count.total, members=members, chats=chats)
        if count.chats
        else tr.tn(_("broadcast.confirm_members_only"), count.members),
    ]
    if not target.everyone:
        lines.append(tr.t(_("broadcast.confirm_target"), who=describe_target(tr, target)))
    if announcement.scheduled_at is not None:
        when = tr.datetime(announcement.scheduled_at, ZoneInfo(announcement.zone))
        lines.append(tr.t(_("broadcast.confirm_at"), when=when))
    else:
        lines.append(tr.t(_("broadcast.confirm_now")))
    asleep = await quiet_names(ctx, cohort, target, rsvp, announcement.scheduled_at or ctx.now)
    if asleep:
        shown = tr.join(asleep[:QUIET_NAMES_SHOWN])
        lines.append(tr.tn(_("broadcast.confirm_quiet_now"), len(asleep), names=shown))
    translated = await variants(ctx.session, announcement.id)
    if translated:
        names = tr.join([tr.language_name(lang) for lang in sorted(translated)])
        lines.append(tr.t(_("broadcast.confirm_translations"), languages=names))
    lines.append(tr.t(_("broadcast.confirm_translate_hint"), number=announcement.number))
    lines.append(tr.t(_("broadcast.confirm_question")))
    choices = [
        # The first choice, the one a quick "1" picks, lets people sleep.
        Choice("quiet", tr.t(_("broadcast.choice_send_quiet"))),
        Choice("send", tr.t(_("broadcast.choice_send"))),
        Choice("cancel", tr.t(_("broadcast.choice_cancel"))),
    ]
    await ctx.ask(
        CONFIRM,
        "\n".join(lines),
        choices,
        payload=OfAnnouncement(announcement.id),
        person=author,
        sticky=True,
    )


async def forget_confirmations(ctx: Context, person_id: int, announcement_id: int) -> None:
    found = await ctx.session.execute(
        select(PendingQuestion).where(
            PendingQuestion.person_id == person_id, PendingQuestion.kind == CONFIRM
        )
    )
    for question in found.scalars():
        of = OfAnnouncement.read(question.payload, CONFIRM)
        if of is not None and of.announcement == announcement_id:
            await ctx.session.delete(question)
    await ctx.session.flush()


@router.question(CONFIRM, payload=OfAnnouncement)
async def confirmed(ctx: Context, answer: Answer[OfAnnouncement]) -> None:
    person = ctx.require_person()
    announcement = await locked(ctx.session, answer.data.announcement)
    if (
        announcement is None
        or announcement.status != AnnouncementStatus.DRAFT
        or announcement.author_id != (person.id)
    ):
        raise UserError(_("broadcast.not_a_draft"))
    member = await membership(ctx.session, announcement.cohort_id, person.id)
    if member is None:
        raise UserError(_("core.not_member"))
    if member.role != Role.COORDINATOR:  # their role changed since they wrote it
        raise UserError(
            _("core.not_allowed"), command="announce", role=ctx.t(f"role.{member.role}")
        )
    if answer.key == "cancel":
        number = announcement.number
        await ctx.session.delete(announcement)
        await ctx.reply(_("broadcast.draft_cancelled"), number=number)
        return
    announcement.respect_quiet = answer.key == "quiet"
    announcement.confirmed_at = ctx.now
    announcement.status = AnnouncementStatus.SCHEDULED
    if announcement.scheduled_at is not None and announcement.scheduled_at <= ctx.now:
        announcement.scheduled_at = None  # confirmed after the chosen time: send now
    due = announcement.scheduled_at or ctx.now
    await ctx.schedule(
        FANOUT,
        due,
        key=f"broadcast:fanout:{announcement.id}:0",
        payload=OfAnnouncement(announcement.id),
        cohort_id=announcement.cohort_id,
    )
    quiet = ctx.t(_("broadcast.quiet_note")) if announcement.respect_quiet else ""
    if announcement.scheduled_at is None:
        await ctx.reply(_("broadcast.sending"), number=announcement.number, quiet=quiet)
    else:
        when = ctx.tr.datetime(announcement.scheduled_at, ZoneInfo(announcement.zone))
        await ctx.reply(
            _("broadcast.scheduled"), number=announcement.number, when=when, quiet=quiet
        )
