"""`/c/{cohort}/sessions`: upcoming occurrences with their RSVPs, past ones with attendance;
`/c/{cohort}/sessions/{occurrence}`: one occurrence, everyone's RSVP, the attendance form (once
it has begun) and, for a recorded session, the do-not-record list (who has not said yes to both
recording and photos, for this occurrence)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

from aiohttp import web

from bot.i18n import _
from handlers.scheduling import answers_for, occurrence_by_id, session_members, upcoming_occurrences
from storage.models import ScheduledSession, SessionOccurrence
from storage.models.consent import YES
from storage.repositories.attendance import cohort_marks, mark, marks_of
from storage.repositories.cohorts import identities_for
from storage.repositories.consent import cohort_policy, states_for
from storage.repositories.scheduling import past_occurrences
from web.auth import cohort_page, dashboard_of, not_found_page
from web.pages.common import name_of, render, when
from web.state import Page

UPCOMING = timedelta(days=60)
PAST = timedelta(days=366)
PAST_LIMIT = 100
DO_NOT_RECORD_SCOPES = ("recording", "photos")
RSVP_IDS = {
    "yes": _("web.rsvp_yes"),
    "no": _("web.rsvp_no"),
    "maybe": _("web.rsvp_maybe"),
}


@dataclass(frozen=True)
class UpcomingRow:
    number: int
    title: str
    when: str
    recorded: bool
    yes: int
    maybe: int
    no: int
    unanswered: int
    link: str | None


@dataclass(frozen=True)
class PastRow:
    number: int
    title: str
    when: str
    present: int
    absent: int
    unmarked: int
    link: str


@cohort_page(audit="sessions")
async def sessions(request: web.Request, p: Page) -> web.StreamResponse:
    now = dashboard_of(request).services.clock.now()
    tr = p.tr
    members = await session_members(p.session, p.cohort.id)
    ids = [m.id for m in members]
    base = f"/c/{p.cohort.id}/sessions"
    upcoming: list[UpcomingRow] = []
    for o in await upcoming_occurrences(p.session, p.cohort.id, now, now + UPCOMING):
        answers = await answers_for(p.session, o, ids)
        counts = Counter(answers.of(pid) for pid in ids)
        upcoming.append(
            UpcomingRow(
                o.number,
                o.title,
                when(tr, p, o.start),
                o.recorded,
                counts["yes"],
                counts["maybe"],
                counts["no"],
                counts[None],
                f"{base}/{o.row_id}" if o.row_id is not None else None,
            )
        )
    held = await past_occurrences(p.session, p.cohort.id, now - PAST, now)
    held = held[::-1][:PAST_LIMIT]
    marks = await cohort_marks(p.session, p.cohort.id, [o.id for o, _s in held])
    past = []
    for row, session in held:
        mine = {pid: a for pid, a in marks.get(row.id, {}).items() if pid in set(ids)}
        present = sum(1 for a in mine.values() if a)
        past.append(
            PastRow(
                session.number,
                session.title,
                when(tr, p, row.start),
                present,
                len(mine) - present,
                len(ids) - len(mine),
                f"{base}/{row.id}",
            )
        )
    return render(request, p, "sessions.html", "sessions", upcoming=upcoming, past=past)


@dataclass(frozen=True)
class MemberRow:
    id: int
    name: str
    rsvp: str
    attended: bool | None
    do_not_record: bool


async def _occurrence_of(p: Page, raw: str) -> tuple[SessionOccurrence, ScheduledSession] | None:
    try:
        occurrence_id = int(raw)
    except ValueError:
        return None
    row = await p.session.get(SessionOccurrence, occurrence_id)
    if row is None:
        return None
    session = await p.session.get(ScheduledSession, row.session_id)
    if session is None or session.cohort_id != p.cohort.id:
        return None  # another cohort's occurrence: not found, like any other
    return row, session


@cohort_page(audit="occurrence")
async def occurrence(request: web.Request, p: Page) -> web.StreamResponse:
    found = await _occurrence_of(p, request.match_info["occurrence"])
    if found is None:
        return not_found_page(request, p.tr)
    row, session = found
    o = await occurrence_by_id(p.session, row.id)
    if o is None:
        return not_found_page(request, p.tr)
    tr = p.tr
    now = dashboard_of(request).services.clock.now()
    members = await session_members(p.session, p.cohort.id)
    ids = [m.id for m in members]
    identities = await identities_for(p.session, ids)
    answers = await answers_for(p.session, o, ids)
    marks = await marks_of(p.session, row.id)
    blocked: set[int] = set()
    if o.recorded:
        states = await states_for(
            p.session,
            p.cohort.id,
            ids,
            now,
            cohort_policy(p.cohort.settings),
            scopes=DO_NOT_RECORD_SCOPES,
            occurrence_key=o.key,
        )
        blocked = {
            pid
            for pid, scoped in states.items()
            if any(scoped[s].answer != YES for s in DO_NOT_RECORD_SCOPES)
        }
    people = sorted(
        (
            MemberRow(
                m.id,
                name_of(m, identities[m.id]),
                tr.t(RSVP_IDS.get(answers.of(m.id) or "", _("web.rsvp_none"))),
                marks.get(m.id),
                m.id in blocked,
            )
            for m in members
        ),
        key=lambda r: r.name.casefold(),
    )
    return render(
        request,
        p,
        "occurrence.html",
        "sessions",
        number=session.number,
        title=session.title,
        when=when(tr, p, o.start),
        recorded=o.recorded,
        cancelled=o.cancelled,
        started=o.start <= now,
        people=people,
        do_not_record=[r for r in people if r.do_not_record],
        saved=request.query.get("saved") == "1",
        action=f"/c/{p.cohort.id}/sessions/{row.id}/attendance",
    )


@cohort_page(action=True)
async def save_attendance(request: web.Request, p: Page) -> web.StreamResponse:
    found = await _occurrence_of(p, request.match_info["occurrence"])
    if found is None:
        return not_found_page(request, p.tr)
    row, _session = found
    now = dashboard_of(request).services.clock.now()
    if row.start > now or row.status == "cancelled":
        return not_found_page(request, p.tr)
    form = await request.post()
    members = {m.id for m in await session_members(p.session, p.cohort.id)}
    present = {_int(v) for v in form.getall("present", [])}
    for value in form.getall("listed", []):
        person_id = _int(value)
        if person_id is None or person_id not in members:
            continue
        await mark(
            p.session,
            occurrence_id=row.id,
            person_id=person_id,
            attended=person_id in present,
            marked_by=p.viewer.person.id,
            now=now,
        )
    location = f"/c/{p.cohort.id}/sessions/{row.id}?saved=1"
    return web.Response(status=303, headers={"Location": location})


def _int(value: object) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None
