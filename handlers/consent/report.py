"""What coordinators and facilitators see: the consent report and, for a recorded session, the
"do not record or photograph" list (also sent to them 15 minutes before each occurrence, and
updated at once when someone withdraws while a session is about to start or running).

Wording rule: facts only. Nobody is named as a problem, nobody is asked to persuade anyone;
an unanswered question is simply a "no" for now."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.context import Context
from bot.i18n import Translator, _
from bot.profile import zone_of
from bot.router import Router
from handlers.cohorts import RosterShown, name_of
from handlers.consent.events import ConsentGiven
from handlers.consent.flow import SESSION_SCOPES, policy_of
from handlers.consent.text import label, state_text
from handlers.scheduling import Occurrence, session_members, upcoming_occurrences
from storage.models import STAFF_ROLES, Cohort, Person
from storage.models.consent import NO, SCOPES, YES
from storage.repositories.cohorts import RosterRow, identities_for, members
from storage.repositories.consent import ConsentState, states_for

router = Router()

LIST_LEAD = timedelta(minutes=15)
LIST_SCOPES = ("recording", "photos")


@dataclass(frozen=True)
class PersonStates:
    person: Person
    name: str
    states: dict[str, ConsentState]


async def gather(
    ctx: Context,
    cohort: Cohort,
    people: Sequence[Person],
    occurrence: Occurrence | None = None,
) -> list[PersonStates]:
    ids = [p.id for p in people]
    states = await states_for(
        ctx.session,
        cohort.id,
        ids,
        ctx.now,
        policy_of(cohort),
        occurrence_key=occurrence.key if occurrence is not None else None,
    )
    identities = await identities_for(ctx.session, ids)
    return [PersonStates(p, name_of(p, identities[p.id]), states[p.id]) for p in people]


def do_not_record(rows: Sequence[PersonStates]) -> list[PersonStates]:
    """Everyone who has not said yes to both recording and photos (for this occurrence)."""
    return [r for r in rows if any(r.states[s].answer != YES for s in LIST_SCOPES)]


def list_lines(tr: Translator, rows: Sequence[PersonStates], zone: ZoneInfo) -> list[str]:
    lines = []
    for row in do_not_record(rows):
        parts = [
            tr.t(
                _("consent.list_part"),
                scope=label(tr, scope),
                state=state_text(tr, row.states[scope], zone),
            )
            for scope in LIST_SCOPES
            if row.states[scope].answer != YES
        ]
        lines.append(tr.t(_("consent.list_line"), name=row.name, what="; ".join(parts)))
    return lines


def session_heading(tr: Translator, occurrence: Occurrence, zone: ZoneInfo) -> str:
    return tr.t(
        _("consent.session_heading"),
        number=occurrence.number,
        title=occurrence.title,
        when=tr.datetime(occurrence.start, zone),
    )


def render_list(
    tr: Translator, occurrence: Occurrence, rows: Sequence[PersonStates], zone: ZoneInfo
) -> str:
    """The "do not record or photograph" list for one occurrence."""
    lines = [tr.t(_("consent.list_title")), session_heading(tr, occurrence, zone)]
    names = list_lines(tr, rows, zone)
    if names:
        lines.extend(names)
        lines.append(tr.t(_("consent.list_footer")))
    else:
        lines.append(tr.t(_("consent.list_empty")))
    return "\n".join(lines)


def render_report(
    tr: Translator,
    cohort: Cohort,
    rows: Sequence[PersonStates],
    zone: ZoneInfo,
    occurrence: Occurrence | None = None,
) -> str:
    """Counts per scope, who said no and who has not answered; for a recorded occurrence the
    do-not-record list too."""
    lines = [tr.tn("consent.report_title", len(rows), cohort=cohort.name)]
    if occurrence is not None:
        lines.append(session_heading(tr, occurrence, zone))
    for scope in SCOPES:
        said_no = [r.name for r in rows if r.states[scope].answer == NO]
        unanswered = [r.name for r in rows if r.states[scope].answer is None]
        yes = len(rows) - len(said_no) - len(unanswered)
        lines.append("")
        lines.append(
            tr.t(
                _("consent.report_counts"),
                scope=label(tr, scope),
                yes=tr.number(yes),
                no=tr.number(len(said_no)),
                unanswered=tr.number(len(unanswered)),
            )
        )
        if said_no:
            lines.append(tr.t(_("consent.report_no"), names=", ".join(said_no)))
        if unanswered:
            lines.append(tr.t(_("consent.report_unanswered"), names=", ".join(unanswered)))
    if occurrence is not None:
        lines.append("")
        if occurrence.recorded:
            lines.append(render_list(tr, occurrence, rows, zone))
        else:
            lines.append(tr.t(_("consent.report_not_recorded"), number=occurrence.number))
    lines.append("")
    lines.append(tr.t(_("consent.report_footer")))
    return "\n".join(lines)


async def report(ctx: Context, cohort: Cohort, occurrence: Occurrence | None) -> str:
    if occurrence is None:
        people = [p for _m, p in await members(ctx.session, cohort.id)]
    else:
        people = await session_members(ctx.session, cohort.id)
    rows = await gather(ctx, cohort, people, occurrence)
    return render_report(ctx.tr, cohort, rows, ctx.zone, occurrence)


async def staff(ctx: Context, cohort: Cohort) -> list[Person]:
    return [p for _m, p in await members(ctx.session, cohort.id, STAFF_ROLES)]


async def send_list(ctx: Context, cohort: Cohort, occurrence: Occurrence) -> int:
    """The list to every coordinator and facilitator, each in their language and zone."""
    rows = await gather(ctx, cohort, await session_members(ctx.session, cohort.id), occurrence)
    sent = 0
    for person in await staff(ctx, cohort):
        tr = ctx.translator_for(person)
        text = render_list(tr, occurrence, rows, zone_of(person, cohort.zone))
        if await ctx.send_to_person(person.id, text):
            sent += 1
    return sent


def list_window_open(occurrence: Occurrence, now: datetime) -> bool:
    """Between the moment the list goes out and the end of the occurrence."""
    return occurrence.start - LIST_LEAD <= now < occurrence.end


@router.on(ConsentGiven)
async def withdrawn(ctx: Context, event: ConsentGiven) -> None:
    if event.answer == NO and event.scope in SESSION_SCOPES:
        await tell_staff_of_withdrawal(
            ctx, event.person, event.cohort, event.scope, event.occurrence
        )


async def tell_staff_of_withdrawal(
    ctx: Context,
    person: Person,
    cohort: Cohort,
    scope: str,
    occurrence: Occurrence | None,
) -> None:
    """A no given after the list went out reaches the staff at once, for each recorded
    occurrence it applies to (one, for a per-session answer)."""
    if occurrence is not None:
        affected = [occurrence]
    else:
        affected = await upcoming_occurrences(ctx.session, cohort.id, ctx.now, ctx.now + LIST_LEAD)
    affected = [o for o in affected if o.recorded and list_window_open(o, ctx.now)]
    if not affected:
        return
    identities = await identities_for(ctx.session, [person.id])
    name = name_of(person, identities[person.id])
    for lead in await staff(ctx, cohort):
        if lead.id == person.id:
            continue
        tr = ctx.translator_for(lead)
        zone = zone_of(lead, cohort.zone)
        for occ in affected:
            text = "\n".join(
                [
                    tr.t(_("consent.update_title")),
                    session_heading(tr, occ, zone),
                    tr.t(_("consent.update_line"), name=name, scope=label(tr, scope)),
                ]
            )
            await ctx.send_to_person(lead.id, text, unprompted="consent.withdrawn_before_session")


@router.on(RosterShown)
async def add_roster_notes(ctx: Context, event: RosterShown) -> None:
    event.add(await roster_consent_note(ctx, event.cohort, event.rows))


async def roster_consent_note(
    ctx: Context, cohort: Cohort, rows: Sequence[RosterRow]
) -> Mapping[int, str]:
    """For `roster`: which scopes each member said yes and no to, e.g.
    "consent: yes Recording, Photos; no Sharing notes" (the rest: not answered). Nothing while
    nobody on the page has answered anything (like the RSVP note without a next session)."""
    people = [row.person for row in rows]
    states = await states_for(
        ctx.session, cohort.id, [p.id for p in people], ctx.now, policy_of(cohort)
    )
    if all(state.record is None for mine in states.values() for state in mine.values()):
        return {}
    notes: dict[int, str] = {}
    for person in people:
        mine = states[person.id]
        yes = [label(ctx.tr, s) for s in SCOPES if mine[s].answer == YES]
        no = [label(ctx.tr, s) for s in SCOPES if mine[s].answer == NO]
        if not yes and not no:
            notes[person.id] = ctx.t(_("consent.roster_none"))
            continue
        none = ctx.t(_("consent.roster_nothing"))
        notes[person.id] = ctx.t(
            _("consent.roster_note"),
            yes=", ".join(yes) or none,
            no=", ".join(no) or none,
        )
    return notes
