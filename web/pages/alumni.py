"""`/c/{cohort}/alumni`: the alumni phase. Commitments made in the cohort (open, done, dropped,
overdue), the answers to nudges month by month, and mentor pairs of the cohort's members."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from aiohttp import web
from sqlalchemy import select

from bot.i18n import _
from storage.models.alumni import (
    DONE,
    DROPPED,
    HELP,
    NOTE,
    OPEN,
    WORKING,
    Commitment,
    CommitmentNote,
    MentorPairing,
)
from storage.repositories.cohorts import identities_for
from storage.repositories.web import people_named
from web.auth import cohort_page, dashboard_of
from web.pages.common import name_of, render
from web.state import Page
from web.svg import Bar, bars

MONTHS = 12
NOTE_IDS = {
    WORKING: _("web.note_working"),
    HELP: _("web.note_help"),
    DONE: _("web.note_done"),
    DROPPED: _("web.note_dropped"),
    NOTE: _("web.note_note"),
}
PAIRING_IDS = {
    "asked": _("web.pairing_asked"),
    "active": _("web.pairing_active"),
    "declined": _("web.pairing_declined"),
    "expired": _("web.pairing_expired"),
    "ended": _("web.pairing_ended"),
}


@dataclass(frozen=True)
class MonthRow:
    month: str
    counts: tuple[int, ...]  # in NOTE_IDS order


@dataclass(frozen=True)
class PairRow:
    mentor: str
    mentee: str
    status: str
    since: str


@cohort_page(audit="alumni")
async def alumni(request: web.Request, p: Page) -> web.StreamResponse:
    tr = p.tr
    now = dashboard_of(request).services.clock.now()
    commitments = list(
        (
            await p.session.execute(select(Commitment).where(Commitment.cohort_id == p.cohort.id))
        ).scalars()
    )
    status = Counter(c.status for c in commitments)
    overdue = sum(
        1 for c in commitments if c.status == OPEN and c.due_date < now.astimezone(p.zone).date()
    )
    notes = list(
        (
            await p.session.execute(
                select(CommitmentNote.kind, CommitmentNote.created_at)
                .join(Commitment, Commitment.id == CommitmentNote.commitment_id)
                .where(Commitment.cohort_id == p.cohort.id)
            )
        ).all()
    )
    by_month: dict[str, Counter[str]] = {}
    for kind, at in notes:
        local = at.astimezone(p.zone)
        by_month.setdefault(f"{local:%Y-%m}", Counter())[kind] += 1
    kinds = tuple(NOTE_IDS)
    months = [
        MonthRow(month, tuple(by_month[month][k] for k in kinds))
        for month in sorted(by_month)[-MONTHS:]
    ]
    chart = bars(
        [
            Bar(
                tr.t(NOTE_IDS[k]),
                float(sum(m.counts[i] for m in months)),
                tr.number(sum(m.counts[i] for m in months)),
            )
            for i, k in enumerate(kinds)
        ],
        label=tr.t("web.nudge_chart"),
        rtl=tr.rtl,
    )
    pairings = list(
        (
            await p.session.execute(
                select(MentorPairing)
                .where(MentorPairing.cohort_id == p.cohort.id)
                .order_by(MentorPairing.created_at.desc())
            )
        ).scalars()
    )
    ids = {x.mentor_id for x in pairings} | {x.mentee_id for x in pairings}
    people = {person.id: person for person in await people_named(p.session, list(ids))}
    identities = await identities_for(p.session, ids)
    pairs = [
        PairRow(
            name_of(people[x.mentor_id], identities[x.mentor_id]),
            name_of(people[x.mentee_id], identities[x.mentee_id]),
            tr.t(PAIRING_IDS.get(x.status, _("web.pairing_asked"))),
            tr.date(x.created_at.astimezone(p.zone).date(), "medium"),
        )
        for x in pairings
    ]
    return render(
        request,
        p,
        "alumni.html",
        "alumni",
        made=len(commitments),
        done=status[DONE],
        open_=status[OPEN],
        dropped=status[DROPPED],
        overdue=overdue,
        chart=chart,
        months=months,
        kinds=[tr.t(NOTE_IDS[k]) for k in kinds],
        pairs=pairs,
    )
