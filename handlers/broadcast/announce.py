"""Coordinator broadcasts: announce (with a confirmation), translate, announcements, cancel.

Flow: `announce` stores a draft and asks its author to confirm, showing how many will get it.
Confirming schedules the fan-out job (now, or at the chosen instant). The fan-out queues one
outbox row per recipient -- idempotency key `b:{announcement}:{person}` (group chats:
`b:{announcement}:chat:{platform}:{chat}`) -- in batches, each batch its own job and
transaction, so a restart mid-way resumes at the cursor and queues nobody twice. The delivery
layer sends the rows within each platform's limits, broadcasts after interactive replies. A
report job checks the rows until all are final and then tells the author the counts.

Languages: each member gets the variant in their language (`translate N LANG "TEXT"`),
falling back to the original. Group chats get the original: everyone in the cohort reads the
group, so the author's own wording is the common ground (documented in the help line).

Targeting (`to ...`): roles (`facilitators`, `mentors,participants`), `lang:es`,
`rsvp:SESSION:yes[+maybe]` (`none` = has not answered; the session's next meeting counts).
Roles are alternatives, and so are languages and answers; the kinds combine. Targeted
announcements go to members only, not to group chats."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.commands import Args, pick_number
from bot.context import Context, Services, private_address
from bot.errors import UserError
from bot.i18n import Translator, _
from bot.messages import Choice
from bot.outbox import PRIORITY_BROADCAST, cancel_jobs
from bot.profile import quiet_hours
from bot.router import Answer, JobInfo, Router
from bot.timeparse import PLAN_AHEAD, ParseError, next_quiet_end, parse_local_datetime
from handlers.profile import resolve_zone
from handlers.scheduling import LOOK_AHEAD, occurrences_between, people_by_rsvp
from storage.models import Cohort, Job, PendingQuestion, Person
from storage.models.broadcast import Announcement
from storage.repositories.broadcast import (
    Progress,
    QueuedMessage,
    RecipientCount,
    Target,
    by_number,
    count_recipients,
    drop_pending,
    earliest_waiting,
    locked,
    member_batch,
    next_number,
    progress,
    queue_messages,
    reachable_identities,
    recent,
    set_variant,
    variants,
)
from storage.repositories.cohorts import membership
from storage.repositories.scheduling import session_by_number

router = Router()

CONFIRM = "broadcast.confirm"
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
# Telegram's limit (UTF-16 code units after formatting), the smallest of the platforms we send
# to: an announcement must fit it in every language, header included.
MAX_TEXT = 4096
PREVIEW_CHARS = 40
DATETIME_EXAMPLE = "2026-12-03 15:00"
DATE_ONLY = re.compile(r"\d{4}-\d{1,2}-\d{1,2}")
QUOTES = "\"'“«„‘”"
RSVP_ANSWERS = ("yes", "no", "maybe", "none")  # none: has not answered
ROLE_WORDS = {
    "coordinator": "coordinator",
    "coordinators": "coordinator",
    "facilitator": "facilitator",
    "facilitators": "facilitator",
    "mentor": "mentor",
    "mentors": "mentor",
    "participant": "participant",
    "participants": "participant",
    "alumni": "alumni",
    "alumnus": "alumni",
    "alumna": "alumni",
}
EVERYONE_WORDS = ("all", "everyone", "everybody")

CHOICE_IDS = (
    _("broadcast.choice_send"),
    _("broadcast.choice_send_quiet"),
    _("broadcast.choice_cancel"),
)


# Parsing ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Request:
    text: str
    at: datetime | None
    zone: str
    target: Target


def utf16_length(text: str) -> int:
    """Telegram counts message length in UTF-16 code units (an emoji is two)."""
    return len(text.encode("utf-16-le")) // 2


def _quoted(raw: str) -> bool:
    return raw[:1] in QUOTES


def parse_request(ctx: Context, args: Args) -> Request:
    """`"TEXT" [at DATETIME [ZONE]] [to TARGET...]`, or unquoted TEXT with no options."""
    raw = args.raw.strip()
    if _quoted(raw):
        text, options = (args.get(0) or "").strip(), list(args.words[1:])
    else:
        text, options = raw, []
    if not text:
        raise UserError(_("broadcast.usage"), example=DATETIME_EXAMPLE)
    segments = _segments(options)
    zone = ctx.zone.key
    at = None
    if "at" in segments:
        at, zone = _parse_at(ctx, segments["at"])
    target = _parse_target(ctx, segments.get("to"))
    return Request(text=text, at=at, zone=zone, target=target)


def _segments(words: list[str]) -> dict[str, list[str]]:
    segments: dict[str, list[str]] = {}
    current: str | None = None
    for word in words:
        keyword = word.lower()
        if keyword in ("at", "to") and keyword not in segments:
            current = keyword
            segments[current] = []
        elif current is None:
            raise UserError(_("broadcast.unexpected"), word=word, example=DATETIME_EXAMPLE)
        else:
            segments[current].append(word)
    return segments


def _parse_at(ctx: Context, words: list[str]) -> tuple[datetime, str]:
    if not words:
        raise UserError(_("broadcast.bad_date"), given="", example=DATETIME_EXAMPLE)
    two_words = len(words) > 1 and DATE_ONLY.fullmatch(words[0]) is not None
    when = f"{words[0]} {words[1]}" if two_words else words[0]
    zone_words = words[2:] if two_words else words[1:]
    try:
        parse_local_datetime(when, ZoneInfo("UTC"))  # the form, before looking up a zone
    except ParseError:
        given = " ".join(words)
        raise UserError(_("broadcast.bad_date"), given=given, example=DATETIME_EXAMPLE) from None
    zone = ctx.zone.key
    if zone_words:
        resolution = resolve_zone(ctx, " ".join(zone_words))
        if resolution.zone is None:
            raise UserError(
                _("broadcast.zone_ambiguous"), zone=" ".join(zone_words), example="Europe/Berlin"
            )
        zone = resolution.zone
    try:
        instant = parse_local_datetime(when, ZoneInfo(zone)).instant
    except ParseError:
        raise UserError(_("broadcast.bad_date"), given=when, example=DATETIME_EXAMPLE) from None
    if instant <= ctx.now:
        shown = ctx.tr.datetime(instant, ZoneInfo(zone))
        raise UserError(_("broadcast.past_date"), when=shown, example=DATETIME_EXAMPLE)
    if instant > ctx.now + PLAN_AHEAD:
        raise UserError(_("time.too_far"), when=ctx.tr.datetime(instant, ZoneInfo(zone)))
    return instant, zone


def _parse_target(ctx: Context, words: list[str] | None) -> Target:
    if words is None:
        return Target()
    terms = [t for word in words for t in word.split(",") if t]
    if not terms:
        raise UserError(_("broadcast.bad_target"), target="", example="to lang:es")
    roles: list[str] = []
    languages: list[str] = []
    rsvp: tuple[int, tuple[str, ...]] | None = None
    for term in terms:
        lowered = term.lower()
        kind, _sep, value = lowered.partition(":")
        if lowered in EVERYONE_WORDS:
            continue
        if lowered in ROLE_WORDS or (kind == "role" and value in ROLE_WORDS):
            roles.append(ROLE_WORDS[value or lowered])
        elif kind in ("lang", "language") and value:
            lang = ctx.services.catalogs.normalize(term.partition(":")[2])
            if lang is None:
                raise UserError(_("broadcast.bad_target"), target=term, example="to lang:es")
            languages.append(lang)
        elif kind == "rsvp" and rsvp is None:
            rsvp = _parse_rsvp(term, value)
        else:
            raise UserError(_("broadcast.bad_target"), target=term, example="to lang:es")
    session, answers = rsvp if rsvp is not None else (None, ())
    return Target(
        roles=tuple(dict.fromkeys(roles)),
        languages=tuple(dict.fromkeys(languages)),
        rsvp_session=session,
        rsvp_answers=answers,
    )


def _parse_rsvp(term: str, value: str) -> tuple[int, tuple[str, ...]]:
    number, _sep, answers_text = value.partition(":")
    answers = tuple(dict.fromkeys(a for a in answers_text.split("+") if a)) or ("yes",)
    session = pick_number(number)
    if session is None or any(a not in RSVP_ANSWERS for a in answers):
        raise UserError(_("broadcast.bad_target"), target=term, example="to rsvp:3:yes")
    return session, answers


def _number(text: str | None, usage: str) -> int:
    number = pick_number(text)
    if number is None:
        raise UserError(usage)
    return number


# RSVP targeting -----------------------------------------------------------------------------


async def rsvp_people(ctx: Context, cohort_id: int, target: Target) -> list[int] | None:
    """Ids of the members whose answer for the session's next occurrence (an answer for that
    occurrence wins over one for the whole series) is one of the target's answers ("none" =
    not answered yet); None when not targeting by RSVP."""
    if target.rsvp_session is None:
        return None

    session = await session_by_number(ctx.session, cohort_id, target.rsvp_session)
    if session is None:
        raise UserError(_("broadcast.unknown_session"), session=target.rsvp_session)
    upcoming = await occurrences_between(ctx.session, session, ctx.now, ctx.now + LOOK_AHEAD)
    if not upcoming:
        raise UserError(_("broadcast.session_over"), session=target.rsvp_session)
    answers = [None if a == "none" else a for a in target.rsvp_answers]
    return await people_by_rsvp(ctx.session, upcoming[0], answers)


# Rendering ----------------------------------------------------------------------------------
def render(tr: Translator, cohort: str, text: str) -> str:
    return tr.t(_("broadcast.message"), cohort=cohort, text=text)


def check_fits(ctx: Context, cohort: str, text: str, languages: tuple[str, ...]) -> None:
    """The formatted announcement must fit Telegram's limit in each language it may go out in."""
    longest = max(
        utf16_length(render(ctx.services.catalogs.translator(lang), cohort, text))
        for lang in languages
    )
    if longest > MAX_TEXT:
        raise UserError(_("broadcast.too_long"), length=longest, limit=MAX_TEXT)


def preview(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= PREVIEW_CHARS else flat[: PREVIEW_CHARS - 1].rstrip() + "…"


def describe_target(tr: Translator, target: Target) -> str:
    parts = [tr.t(f"role.{role}") for role in target.roles]
    parts += [tr.language_name(lang) for lang in target.languages]
    if target.rsvp_session is not None:
        parts.append(
            tr.t(
                _("broadcast.target_rsvp"),
                session=target.rsvp_session,
                answers="/".join(target.rsvp_answers),
            )
        )
    return tr.join(parts)


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
        status="draft",
        scheduled_at=request.at,
        zone=request.zone,
        respect_quiet=False,
        target=request.target.to_json(),
        created_at=ctx.now,
    )
    ctx.session.add(announcement)
    await ctx.session.flush()
    await ask_confirmation(ctx, announcement, cohort, person, count)


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
    if count is None:
        rsvp = await rsvp_people(ctx, cohort.id, target)
        count = await count_recipients(
            ctx.session, cohort.id, target, ctx.config.bot.default_language, rsvp
        )
    await _forget_confirmations(ctx, author.id, announcement.id)
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
    translated = await variants(ctx.session, announcement.id)
    if translated:
        names = tr.join([tr.language_name(lang) for lang in sorted(translated)])
        lines.append(tr.t(_("broadcast.confirm_translations"), languages=names))
    lines.append(tr.t(_("broadcast.confirm_translate_hint"), number=announcement.number))
    lines.append(tr.t(_("broadcast.confirm_question")))
    choices = [
        Choice("send", tr.t(_("broadcast.choice_send"))),
        Choice("quiet", tr.t(_("broadcast.choice_send_quiet"))),
        Choice("cancel", tr.t(_("broadcast.choice_cancel"))),
    ]
    await ctx.ask(
        CONFIRM,
        "\n".join(lines),
        choices,
        payload={"announcement": announcement.id},
        person=author,
        sticky=True,
    )


async def _forget_confirmations(ctx: Context, person_id: int, announcement_id: int) -> None:
    found = await ctx.session.execute(
        select(PendingQuestion).where(
            PendingQuestion.person_id == person_id, PendingQuestion.kind == CONFIRM
        )
    )
    for question in found.scalars():
        if question.payload.get("announcement") == announcement_id:
            await ctx.session.delete(question)
    await ctx.session.flush()


@router.question(CONFIRM)
async def confirmed(ctx: Context, answer: Answer) -> None:
    person = ctx.require_person()
    announcement = await locked(ctx.session, int(answer.payload["announcement"]))
    if (
        announcement is None
        or announcement.status != "draft"
        or announcement.author_id != (person.id)
    ):
        raise UserError(_("broadcast.not_a_draft"))
    member = await membership(ctx.session, announcement.cohort_id, person.id)
    if member is None:
        raise UserError(_("core.not_member"))
    if member.role != "coordinator":  # their role changed since they wrote it
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
    announcement.status = "scheduled"
    if announcement.scheduled_at is not None and announcement.scheduled_at <= ctx.now:
        announcement.scheduled_at = None  # confirmed after the chosen time: send now
    due = announcement.scheduled_at or ctx.now
    await ctx.schedule(
        FANOUT,
        due,
        key=f"broadcast:fanout:{announcement.id}:0",
        payload={"announcement": announcement.id},
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
    announcement.status = "sending"
    announcement.started_at = ctx.now
    announcement.planned = count.total
    text = render(
        ctx.services.catalogs.translator(announcement.language), cohort.name, announcement.text
    )
    chats = [
        QueuedMessage(
            key=f"b:{announcement.id}:chat:{chat.platform}:{chat.chat_id}",
            platform=chat.platform,
            chat_id=chat.chat_id,
            is_group=True,
            person_id=None,
            text=text,
            not_before=ctx.now,
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
            rendered[lang] = render(services.catalogs.translator(lang), cohort.name, body)
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
            )
        )
    announcement.queued += await queue_messages(
        session, rows, broadcast_id=announcement.id, priority=PRIORITY_BROADCAST, now=ctx.now
    )
    announcement.fanout_after = people[-1].id
    return len(people) < limit


@router.job(FANOUT)
async def fanout(ctx: Context, job: JobInfo) -> None:
    announcement = await locked(ctx.session, int(job.payload["announcement"]))
    if (
        announcement is None
        or announcement.status not in ("scheduled", "sending")
        or announcement.fanout_done
    ):
        return  # cancelled (or already complete): nothing to queue
    cohort = await ctx.session.get(Cohort, announcement.cohort_id)
    assert cohort is not None
    target = Target.from_json(announcement.target)
    if announcement.status == "scheduled":
        await start_fanout(ctx, announcement, cohort, target)
    finished = await fan_out_batch(ctx, announcement, cohort, target, FANOUT_BATCH)
    if not finished:
        await ctx.schedule(
            FANOUT,
            ctx.now,
            key=f"broadcast:fanout:{announcement.id}:{announcement.fanout_after}",
            payload={"announcement": announcement.id},
            cohort_id=announcement.cohort_id,
        )
        return
    announcement.fanout_done = True
    await ctx.schedule(
        REPORT,
        ctx.now + FIRST_CHECK,
        key=f"broadcast:report:{announcement.id}:0",
        payload={"announcement": announcement.id, "check": 0},
        cohort_id=announcement.cohort_id,
    )


# Report -------------------------------------------------------------------------------------
@router.job(REPORT)
async def report(ctx: Context, job: JobInfo) -> None:
    """Tell the author the outcome once every row is final; until then look again later."""
    announcement = await locked(ctx.session, int(job.payload["announcement"]))
    if announcement is None or announcement.status != "sending" or not announcement.fanout_done:
        return
    counts = (await progress(ctx.session, [announcement.id]))[announcement.id]
    if counts.waiting:
        earliest = await earliest_waiting(ctx.session, announcement.id) or ctx.now
        out_in = timedelta(seconds=counts.waiting / REPORT_PACE)
        due = max(ctx.now + min(max(out_in, REPORT_SOONEST), REPORT_INTERVAL), earliest)
        check = int(job.payload.get("check", 0)) + 1
        await ctx.schedule(
            REPORT,
            due,
            key=f"broadcast:report:{announcement.id}:{check}",
            payload={"announcement": announcement.id, "check": check},
            cohort_id=announcement.cohort_id,
        )
        return
    announcement.status = "done"
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
    if a.status == "draft":
        return ctx.t(_("broadcast.status_draft"), **common)
    if a.status == "scheduled":
        if a.scheduled_at is None:
            return ctx.t(_("broadcast.status_starting"), quiet=quiet, **common)
        when = ctx.tr.datetime(a.scheduled_at, ctx.zone)
        return ctx.t(_("broadcast.status_scheduled"), when=when, quiet=quiet, **common)
    if a.status == "sending":
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
    if a.status == "done":
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
    number = _number(args.get(0), _("broadcast.cancel_usage"))
    a = await by_number(ctx.session, cohort.id, number, lock=True)
    if a is None:
        raise UserError(_("broadcast.unknown_number"), number=number)
    if a.status == "done":
        raise UserError(_("broadcast.already_done"), number=number)
    if a.status == "cancelled":
        raise UserError(_("broadcast.already_cancelled"), number=number)
    await cancel_jobs(ctx.session, Job.idempotency_key.like(f"broadcast:%:{a.id}:%"))
    if a.status == "draft":
        if a.author_id is not None:
            await _forget_confirmations(ctx, a.author_id, a.id)
        await ctx.session.delete(a)
        await ctx.reply(_("broadcast.draft_cancelled"), number=number)
        return
    was_sending = a.status == "sending"
    a.status = "cancelled"
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
    number = _number(parts[0], _("broadcast.translate_usage"))
    tail = parts[2].strip()
    text = (args.get(2) or "") if _quoted(tail) else tail
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
    if a.status not in ("draft", "scheduled"):
        raise UserError(_("broadcast.translate_too_late"), number=number)
    if lang == a.language:
        raise UserError(
            _("broadcast.translate_original"), language=ctx.tr.language_name(lang), number=number
        )
    check_fits(ctx, cohort.name, text, (lang,))
    await set_variant(ctx.session, a.id, lang, text, ctx.now)
    await ctx.reply(_("broadcast.translated"), number=number, language=ctx.tr.language_name(lang))
    if a.status == "draft" and a.author_id is not None:
        author = await ctx.session.get(Person, a.author_id)
        if author is not None:
            await ask_confirmation(ctx, a, cohort, author)
