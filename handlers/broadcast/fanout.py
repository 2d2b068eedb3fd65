"""Sending a confirmed announcement: the fan-out jobs that queue everyone's outbox rows in
batches, and the report job that tells the author the counts once all are final."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.context import Context, Services, private_address
from bot.discreet import cohort_label
from bot.i18n import _
from bot.outbox import PRIORITY_BROADCAST
from bot.profile import quiet_hours
from bot.router import JobInfo, Router
from bot.timeparse import next_quiet_end
from handlers.broadcast.audience import rsvp_people
from handlers.broadcast.payloads import OfAnnouncement, ReportJob
from handlers.broadcast.text import render
from storage.models import Cohort, Person
from storage.models.broadcast import Announcement, AnnouncementStatus
from storage.models.cohorts import is_discreet
from storage.repositories.broadcast import (
    QueuedMessage,
    Target,
    count_recipients,
    earliest_waiting,
    locked,
    member_batch,
    progress,
    queue_messages,
    reachable_identities,
    variants,
)

router = Router()

FANOUT = "broadcast.fanout"
REPORT = "broadcast.report"

# Recipients queued per fan-out job (one transaction each). bench/broadcast.py --fanout
# measures it: a 500-row batch holds SQLite for ~0.1 s (all 10,000 at once: several seconds,
# during which no reply could be written); bigger batches are hardly faster overall.
FANOUT_BATCH = 500
# The report job looks again this long after the fan-out ends, then when the rows still waiting
# should be out at the platform's pace (between REPORT_SOONEST and REPORT_INTERVAL; or when the
# earliest waiting row is due, if later: quiet hours can hold rows until morning).
FIRST_CHECK = timedelta(seconds=5)
REPORT_SOONEST = timedelta(seconds=5)
REPORT_INTERVAL = timedelta(minutes=1)
REPORT_PACE = 30  # messages a second: Telegram's overall limit, the slowest platform's


# Fan-out ------------------------------------------------------------------------------------
def _not_before(
    person: Person, cohort_zone: str, services: Services, now: datetime, respect: bool
) -> datetime:
    """Now, or -- when the author chose to respect quiet hours -- the end of the recipient's
    quiet period if they are in one now."""
    if not respect:
        return now
    hours = quiet_hours(person, services.config)
    if hours is None:
        return now
    return next_quiet_end(now, ZoneInfo(person.timezone or cohort_zone), *hours)


async def start_fanout(
    ctx: Context, announcement: Announcement, cohort: Cohort, target: Target
) -> None:
    """First fan-out step: count the recipients and queue the group chats."""
    rsvp = await rsvp_people(ctx, cohort.id, target)
    count = await count_recipients(
        ctx.session, cohort.id, target, ctx.config.bot.default_language, rsvp
    )
    announcement.status = AnnouncementStatus.SENDING
    announcement.started_at = ctx.now
    announcement.planned = count.total
    tr = ctx.services.catalogs.translator(announcement.language)
    text = render(tr, cohort_label(tr, cohort), announcement.text)
    chats = [
        QueuedMessage(
            key=f"b:{announcement.id}:chat:{chat.platform}:{chat.chat_id}",
            platform=chat.platform,
            chat_id=chat.chat_id,
            is_group=True,
            person_id=None,
            text=text,
            not_before=ctx.now,
            protect=is_discreet(cohort),
        )
        for chat in count.chat_rows
    ]
    announcement.queued += await queue_messages(
        ctx.session, chats, broadcast_id=announcement.id, priority=PRIORITY_BROADCAST, now=ctx.now
    )


async def fan_out_batch(
    ctx: Context, announcement: Announcement, cohort: Cohort, target: Target, limit: int
) -> bool:
    """Queue the next `limit` members after the cursor. True when no member is left."""
    session, services = ctx.session, ctx.services
    rsvp = await rsvp_people(ctx, cohort.id, target)
    people = await member_batch(
        session,
        cohort.id,
        target,
        services.config.bot.default_language,
        after=announcement.fanout_after,
        limit=limit,
        rsvp_people=rsvp,
    )
    if not people:
        return True
    identities = await reachable_identities(session, [p.id for p in people])
    translated = await variants(session, announcement.id)
    default = services.config.bot.default_language
    rendered: dict[str, str] = {}
    rows: list[QueuedMessage] = []
    for person in people:
        identity = identities.get(person.id)
        if identity is None:
            announcement.unreachable += 1
            continue
        lang = person.language or default
        if lang not in rendered:
            body = translated.get(lang, announcement.text)
            tr = services.catalogs.translator(lang)
            rendered[lang] = render(tr, cohort_label(tr, cohort), body)
        address = private_address(identity)
        rows.append(
            QueuedMessage(
                key=f"b:{announcement.id}:{person.id}",
                platform=address.platform,
                chat_id=address.chat_id,
                is_group=False,
                person_id=person.id,
                text=rendered[lang],
                not_before=_not_before(
                    person, cohort.zone, services, ctx.now, announcement.respect_quiet
                ),
                protect=is_discreet(cohort),
                language=lang if is_discreet(cohort) else None,
            )
        )
    announcement.queued += await queue_messages(
        session, rows, broadcast_id=announcement.id, priority=PRIORITY_BROADCAST, now=ctx.now
    )
    announcement.fanout_after = people[-1].id
    return len(people) < limit


@router.job(FANOUT, payload=OfAnnouncement)
async def fanout(ctx: Context, job: JobInfo[OfAnnouncement]) -> None:
    announcement = await locked(ctx.session, job.data.announcement)
    if (
        announcement is None
        or announcement.status not in (AnnouncementStatus.SCHEDULED, AnnouncementStatus.SENDING)
        or announcement.fanout_done
    ):
        return  # cancelled (or already complete): nothing to queue
    cohort = await ctx.session.get(Cohort, announcement.cohort_id)
    assert cohort is not None
    target = Target.from_json(announcement.target)
    if announcement.status == AnnouncementStatus.SCHEDULED:
        await start_fanout(ctx, announcement, cohort, target)
    finished = await fan_out_batch(ctx, announcement, cohort, target, FANOUT_BATCH)
    if not finished:
        await ctx.schedule(
            FANOUT,
            ctx.now,
            key=f"broadcast:fanout:{announcement.id}:{announcement.fanout_after}",
            payload=OfAnnouncement(announcement.id),
            cohort_id=announcement.cohort_id,
        )
        return
    announcement.fanout_done = True
    await ctx.schedule(
        REPORT,
        ctx.now + FIRST_CHECK,
        key=f"broadcast:report:{announcement.id}:0",
        payload=ReportJob(announcement.id, 0),
        cohort_id=announcement.cohort_id,
    )


# Report -------------------------------------------------------------------------------------
@router.job(REPORT, payload=ReportJob)
async def report(ctx: Context, job: JobInfo[ReportJob]) -> None:
    """Tell the author the outcome once every row is final; until then look again later."""
    announcement = await locked(ctx.session, job.data.announcement)
    if (
        announcement is None
        or announcement.status != AnnouncementStatus.SENDING
        or not announcement.fanout_done
    ):
        return
    counts = (await progress(ctx.session, [announcement.id]))[announcement.id]
    if counts.waiting:
        earliest = await earliest_waiting(ctx.session, announcement.id) or ctx.now
        out_in = timedelta(seconds=counts.waiting / REPORT_PACE)
        due = max(ctx.now + min(max(out_in, REPORT_SOONEST), REPORT_INTERVAL), earliest)
        check = job.data.check + 1
        await ctx.schedule(
            REPORT,
            due,
            key=f"broadcast:report:{announcement.id}:{check}",
            payload=ReportJob(announcement.id, check),
            cohort_id=announcement.cohort_id,
        )
        return
    announcement.status = AnnouncementStatus.DONE
    announcement.finished_at = ctx.now
    # Not the job's person: erasing the author would delete the job with them.
    author = await ctx.session.get(Person, announcement.author_id or 0)
    if author is None:
        return  # the author erased their data: nobody to report to
    tr = ctx.translator_for(author)
    text = tr.t(
        _("broadcast.delivery_report"),
        number=announcement.number,
        sent=tr.number(counts.sent),
        waiting=tr.number(counts.waiting),
        failed=tr.number(counts.failed),
        blocked=tr.number(counts.blocked + announcement.unreachable),
    )
    await ctx.send_to_person(author.id, text, key=f"b:{announcement.id}:report")
