"""`sessions`: upcoming sessions in the reader's zone and language, numbered; `sessions N`: one
session's dates, the reader's answers, and for staff everyone's answers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from bot.commands import Args
from bot.context import Context
from bot.i18n import _
from bot.router import Router
from handlers.cohorts import RosterShown
from handlers.scheduling.api import (
    answers_for,
    next_occurrence_answers,
    occurrences_between,
    session_members,
)
from handlers.scheduling.core import (
    LOOK_AHEAD,
    Occurrence,
)
from handlers.scheduling.lookup import find_session
from handlers.scheduling.text import (
    answer_label,
    day_short,
    duration_text,
    repeat_text,
    when_local,
    when_short,
)
from storage.models import STAFF_ROLES, Cohort
from storage.models.cohorts import Role
from storage.models.scheduling import (
    ScheduledSession,
)
from storage.repositories.cohorts import RosterRow
from storage.repositories.people import display_name
from storage.repositories.scheduling import (
    active_sessions,
)

router = Router()

MORE_DATES = 3


@router.command("sessions", usage="[NUMBER]", help_id=_("scheduling.help_sessions"))
async def sessions(ctx: Context, args: Args) -> None:
    cohort = ctx.require_cohort()
    if args.words:
        session = await find_session(ctx, args.words[0])
        await show_session(ctx, session)
        return
    zone = ctx.zone
    person = ctx.require_person()
    staff = ctx.role in STAFF_ROLES
    blocks: list[tuple[datetime, str]] = []
    for session in await active_sessions(ctx.session, cohort.id, ending_after=ctx.now):
        upcoming = await occurrences_between(ctx.session, session, ctx.now, ctx.now + LOOK_AHEAD)
        if not upcoming:
            continue
        first = upcoming[0]
        answers = await answers_for(ctx.session, first)
        lines = [
            ctx.t(
                _("scheduling.list_item"),
                number=session.number,
                title=session.title,
                when=when_local(ctx.tr, first.start, zone),
                duration=duration_text(ctx.tr, first.duration),
            )
        ]
        if first.moved:
            lines.append(ctx.t(_("scheduling.list_moved")))
        if session.recorded:
            lines.append(ctx.t(_("scheduling.list_recorded")))
        if session.rrule:
            later = "; ".join(
                when_short(ctx.tr, o.start, zone) for o in upcoming[1 : 1 + MORE_DATES]
            )
            lines.append(
                ctx.t(
                    _("scheduling.list_repeat"),
                    repeat=repeat_text(ctx.tr, session, zone),
                    next=later or "—",
                )
            )
        if staff:
            members = await session_members(ctx.session, cohort.id)
            counts = {a: 0 for a in ("yes", "maybe", "no")}
            missing = 0
            for member in members:
                given = answers.of(member.id)
                if given is None:
                    missing += 1
                else:
                    counts[given] += 1
            lines.append(ctx.t(_("scheduling.list_counts"), none=missing, **counts))
        else:
            lines.append(
                ctx.t(
                    _("scheduling.list_your_answer"),
                    answer=answer_label(ctx.tr, answers.of(person.id)),
                )
            )
        blocks.append((first.start, "\n".join(lines)))
    if not blocks:
        key = _("scheduling.list_empty_staff") if staff else _("scheduling.list_empty")
        await ctx.reply(key)
        return
    blocks.sort(key=lambda item: item[0])
    text = "\n\n".join(
        [ctx.t(_("scheduling.list_header"), zone=zone.key), *(b for _s, b in blocks)]
    )
    await ctx.say(f"{text}\n\n{ctx.t(_('scheduling.list_footer'))}")


async def show_session(ctx: Context, session: ScheduledSession) -> None:
    zone = ctx.zone
    person = ctx.require_person()
    upcoming = await occurrences_between(
        ctx.session, session, ctx.now, ctx.now + LOOK_AHEAD, include_cancelled=True
    )
    head = ctx.t(
        _("scheduling.detail_header"),
        number=session.number,
        title=session.title,
        zone=session.zone,
        duration=duration_text(ctx.tr, timedelta(minutes=session.duration_minutes)),
    )
    lines = [head]
    if session.rrule:
        lines.append(repeat_text(ctx.tr, session, zone))
    if session.recorded:
        lines.append(ctx.t(_("scheduling.recorded_note")))
    lines.append(ctx.t(_("scheduling.detail_dates"), zone=zone.key))
    shown = upcoming[:6]
    for occurrence in shown:
        when = when_local(ctx.tr, occurrence.start, zone)
        if occurrence.cancelled:
            lines.append(ctx.t(_("scheduling.detail_cancelled"), when=when))
            continue
        answers = await answers_for(ctx.session, occurrence, [person.id])
        msgid = _("scheduling.detail_moved") if occurrence.moved else _("scheduling.detail_date")
        lines.append(ctx.t(msgid, when=when, answer=answer_label(ctx.tr, answers.of(person.id))))
    live = [o for o in shown if not o.cancelled]
    if ctx.role in STAFF_ROLES and live:
        lines.append(await _answers_block(ctx, live[0]))
    await ctx.say("\n".join(lines))


async def _answers_block(ctx: Context, occurrence: Occurrence) -> str:
    cohort = ctx.require_cohort()
    answers = await answers_for(ctx.session, occurrence)
    groups: dict[str | None, list[str]] = {"yes": [], "maybe": [], "no": [], None: []}
    for member in await session_members(ctx.session, cohort.id):
        groups[answers.of(member.id)].append(await display_name(ctx.session, member.id))
    lines = [
        ctx.t(_("scheduling.detail_answers"), date=day_short(ctx.tr, occurrence.start, ctx.zone))
    ]
    for key, names in groups.items():
        lines.append(f"  {answer_label(ctx.tr, key)}: {ctx.tr.join(names) or '—'}")
    return "\n".join(lines)


# After the consent note: the roster reads "consent: ... — next: #2 Tue, Dec 8: yes".
@router.on(RosterShown, order=1)
async def add_roster_notes(ctx: Context, event: RosterShown) -> None:
    event.add(await roster_rsvp_note(ctx, event.cohort, event.rows))


async def roster_rsvp_note(
    ctx: Context, cohort: Cohort, rows: Sequence[RosterRow]
) -> Mapping[int, str]:
    """For `roster`: each member's answer for the cohort's next session, e.g.
    "next: #2 Tue, Dec 8: yes"."""
    found = await next_occurrence_answers(ctx.session, cohort.id, ctx.now, ctx.now + LOOK_AHEAD)
    if found is None:
        return {}
    occurrence, answers = found
    day = day_short(ctx.tr, occurrence.start, ctx.zone)
    return {
        row.person.id: ctx.t(
            _("scheduling.roster_note"),
            number=occurrence.number,
            date=day,
            answer=answer_label(ctx.tr, answers.of(row.person.id)),
        )
        for row in rows
        if row.membership.role != Role.ALUMNI
    }
