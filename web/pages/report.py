"""`/c/{cohort}/report`: the evaluation report for funders, one page per cohort, printable (the
stylesheet's print rules give a clean A4 page; "Save as PDF" in any browser makes the PDF).

Aggregates only, no names; every count under MIN_CELL (3) people is shown as "fewer than 3", and a
rate only when the people it counts and those it leaves out are each at least 3
(web/suppress.py). What it reports:
- participation: participants, onboarding completed;
- sessions held, attendance (marked person-sessions), completion: participants who attended at
  least COMPLETION of the sessions whose attendance was marked;
- debriefs: response rate and average rating per round (the rating only from rounds with at least
  3 respondents), wellbeing counts;
- commitments followed through: of those made at least 30 / 90 / 365 days ago, how many were
  done within that time;
- consent per scope;
- safety: how many confidential reports (and urgent ones) and safety check-ins, and how many
  answered "I need help" -- counts only, never contents (handlers/safety).
The same figures are the aggregates CSV (web/pages/exports.py)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from aiohttp import web
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import Translator, _
from storage.models import Cohort
from storage.models.alumni import DONE, Commitment
from storage.models.cohorts import STAFF_ROLES
from storage.models.consent import NO, SCOPES, YES
from storage.models.debrief import STEP_RATING, STEP_WELLBEING
from storage.repositories.attendance import cohort_marks
from storage.repositories.cohorts import roster
from storage.repositories.consent import cohort_policy, states_for
from storage.repositories.debrief import answers_of, rounds_of_cohort
from storage.repositories.safety import safety_counts
from storage.repositories.scheduling import past_occurrences
from web.auth import cohort_page, dashboard_of
from web.pages.common import render
from web.pages.consent import SCOPE_IDS
from web.pages.debriefs import WELLBEING, WELLBEING_IDS
from web.state import Page
from web.suppress import MIN_CELL, MIN_GROUP, Cell, Rate, cell, rate
from web.svg import Point, line

COMPLETION = 0.75
FOLLOW_UP_DAYS = (30, 90, 365)
ALL_TIME = timedelta(days=366 * 20)
ROUNDS = 200


@dataclass(frozen=True)
class Figure:
    """One line of the report and of the aggregates CSV."""

    key: str  # stable, for the CSV: "attendance.rate"
    label: str
    count: Cell | None = None
    share: Rate | None = None
    number: float | None = None  # an average (ratings)


@dataclass(frozen=True)
class RoundFigure:
    label: str
    responded: Cell
    response: Rate
    average: float | None


@dataclass(frozen=True)
class ReportData:
    cohort: Cohort
    period: str
    sections: tuple[tuple[str, tuple[Figure, ...]], ...]
    rounds: tuple[RoundFigure, ...]
    trend: Markup


def _share_text(tr: Translator, share: Rate | None) -> str:
    if share is None:
        return ""
    if share.suppressed:
        return tr.t("web.suppressed")
    return "—" if share.percent is None else f"{share.percent:.0f}%"


def shown(tr: Translator, figure: Figure) -> str:
    """A figure as text, suppression applied."""
    parts = []
    if figure.count is not None:
        parts.append(
            tr.t("web.suppressed")
            if figure.count.suppressed
            else tr.number(figure.count.value or 0)
        )
    if figure.share is not None:
        parts.append(_share_text(tr, figure.share))
    if figure.number is not None:
        parts.append(tr.number(round(figure.number, 1)))
    return " · ".join(p for p in parts if p) or "—"


async def gather(
    session: AsyncSession, cohort: Cohort, tr: Translator, now: datetime, zone: ZoneInfo
) -> ReportData:
    rows = await roster(session, cohort.id)
    participants = [r for r in rows if r.membership.role not in STAFF_ROLES]
    ids = {r.person.id for r in participants}
    onboarded = sum(1 for r in participants if r.person.onboarding_step == "done")
    participation = (
        Figure("participants", tr.t("web.r_participants"), count=cell(len(participants))),
        Figure(
            "onboarding.completed",
            tr.t("web.r_onboarded"),
            count=cell(onboarded),
            share=rate(onboarded, len(participants)),
        ),
    )

    held = await past_occurrences(session, cohort.id, now - ALL_TIME, now)
    marks = await cohort_marks(session, cohort.id, [o.id for o, _s in held])
    marked_occurrences = [o for o, _s in held if any(p in ids for p in marks.get(o.id, {}))]
    present_total = marked_total = 0
    attended_by: Counter[int] = Counter()
    for o in marked_occurrences:
        for person_id, attended in marks[o.id].items():
            if person_id not in ids:
                continue
            marked_total += 1
            if attended:
                present_total += 1
                attended_by[person_id] += 1
    needed = COMPLETION * len(marked_occurrences)
    completed = sum(1 for pid in ids if attended_by[pid] >= needed) if marked_occurrences else 0
    attendance = (
        Figure("sessions.held", tr.t("web.r_sessions_held"), number=float(len(held))),
        Figure(
            "sessions.marked", tr.t("web.r_sessions_marked"), number=float(len(marked_occurrences))
        ),
        Figure(
            "attendance.rate",
            tr.t("web.r_attendance"),
            count=cell(present_total),
            share=rate(present_total, marked_total),
        ),
        Figure(
            "completion.rate",
            tr.t("web.r_completion", percent=int(COMPLETION * 100)),
            count=cell(completed) if marked_occurrences else None,
            share=rate(completed, len(ids)) if marked_occurrences else None,
        ),
    )

    rounds = list(reversed(await rounds_of_cohort(session, cohort.id, limit=ROUNDS)))
    round_figures = []
    moods: Counter[str] = Counter()
    responded_total = invited_total = 0
    for debrief in rounds:
        responded_total += debrief.responded
        invited_total += debrief.invited
        average = None
        if debrief.responded >= MIN_GROUP:
            answers = await answers_of(session, debrief)
            ratings = [int(a.choice) for a in answers if a.question == STEP_RATING and a.choice]
            if len(ratings) >= MIN_CELL:
                average = sum(ratings) / len(ratings)
            moods.update(a.choice for a in answers if a.question == STEP_WELLBEING and a.choice)
        round_figures.append(
            RoundFigure(
                tr.date(debrief.held_at.astimezone(zone).date(), "medium"),
                cell(debrief.responded),
                rate(debrief.responded, debrief.invited),
                average,
            )
        )
    debrief_figures = (
        Figure("debriefs.rounds", tr.t("web.r_rounds"), number=float(len(rounds))),
        Figure(
            "debriefs.response",
            tr.t("web.r_response"),
            count=cell(responded_total),
            share=rate(responded_total, invited_total),
        ),
        *(
            Figure(f"wellbeing.{k}", tr.t(WELLBEING_IDS[k]), count=cell(moods[k]))
            for k in WELLBEING
        ),
    )

    commitments = list(
        (
            await session.execute(select(Commitment).where(Commitment.cohort_id == cohort.id))
        ).scalars()
    )
    follow = []
    for days in FOLLOW_UP_DAYS:
        span = timedelta(days=days)
        eligible = [c for c in commitments if c.created_at <= now - span]
        done = [
            c
            for c in eligible
            if c.status == DONE and c.closed_at is not None and c.closed_at <= c.created_at + span
        ]
        follow.append(
            Figure(
                f"commitments.done_{days}d",
                tr.t("web.r_followed", days=days),
                count=cell(len(done)),
                share=rate(len(done), len(eligible)),
            )
        )
    commitment_figures = (
        Figure("commitments.made", tr.t("web.r_commitments"), count=cell(len(commitments))),
        *follow,
    )

    states = await states_for(
        session, cohort.id, [r.person.id for r in rows], now, cohort_policy(cohort.settings)
    )
    consent_figures = []
    for scope in SCOPES:
        given = Counter(states[r.person.id][scope].answer for r in rows)
        label = tr.t(SCOPE_IDS[scope])
        consent_figures += [
            Figure(
                f"consent.{scope}.yes",
                f"{label}: {tr.t('web.answer_yes')}",
                count=cell(given[YES]),
            ),
            Figure(
                f"consent.{scope}.no", f"{label}: {tr.t('web.answer_no')}", count=cell(given[NO])
            ),
            Figure(
                f"consent.{scope}.unanswered",
                f"{label}: {tr.t('web.answer_none')}",
                count=cell(given[None]),
            ),
        ]

    start = tr.date(cohort.created_at.astimezone(zone).date(), "long")
    end = (
        tr.date(cohort.closed_at.astimezone(zone).date(), "long")
        if cohort.closed_at is not None
        else tr.t("web.ongoing")
    )
    trend = line(
        [
            Point(r.label, r.average, f"{r.average:.1f}" if r.average else "—")
            for r in round_figures
        ],
        label=tr.t("web.rating_trend_chart"),
        low=1,
        high=5,
        rtl=tr.rtl,
    )
    return ReportData(
        cohort=cohort,
        period=tr.t("web.r_period", start=start, end=end),
        sections=(
            (tr.t("web.r_participation"), participation),
            (tr.t("web.r_attendance_title"), attendance),
            (tr.t("web.r_debriefs_title"), debrief_figures),
            (tr.t("web.r_commitments_title"), commitment_figures),
            (tr.t("web.r_consent_title"), tuple(consent_figures)),
        ),
        rounds=tuple(round_figures),
        trend=trend,
    )


@cohort_page()
async def report(request: web.Request, p: Page) -> web.StreamResponse:
    now = dashboard_of(request).services.clock.now()
    data = await gather(p.session, p.cohort, p.tr, now, p.zone)
    return render(
        request,
        p,
        "report.html",
        "report",
        data=data,
        shown=lambda f: shown(p.tr, f),
        share_text=lambda r: _share_text(p.tr, r),
        generated=p.tr.datetime(now, p.zone, "long"),
        min_cell=MIN_CELL,
        completion=int(COMPLETION * 100),
        safety=await _safety(p),
    )


async def _safety(p: Page) -> str:
    """Counts of safety reports and check-ins, never their contents; 1 or 2 suppressed."""
    counts = await safety_counts(p.session, p.cohort.id)

    def show(n: int) -> str:
        return p.tr.number(n) if n == 0 or n >= MIN_CELL else p.tr.t("web.suppressed")

    return p.tr.t(
        _("web.r_safety_counts"),
        reports=show(counts.reports),
        urgent=show(counts.urgent_reports),
        checks=p.tr.number(counts.checks),
        help=show(counts.needed_help),
    )
