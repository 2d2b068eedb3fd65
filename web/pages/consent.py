"""`/c/{cohort}/consent`: per consent scope, how many said yes, no, or have not answered (an
expired yes counts as unanswered), and who, by name (the page is for staff only, and each view is
in the audit log). Silence is never consent: "unanswered" is its own column, never a yes."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from bot.i18n import _
from storage.models.consent import NO, SCOPES, YES
from storage.repositories.cohorts import roster
from storage.repositories.consent import cohort_policy, states_for
from web.auth import cohort_page, dashboard_of
from web.pages.common import render, row_name
from web.state import Page
from web.svg import Bar, bars

SCOPE_IDS = {
    "recording": _("web.scope_recording"),
    "photos": _("web.scope_photos"),
    "sharing": _("web.scope_sharing"),
    "alumni": _("web.scope_alumni"),
    "debrief": _("web.scope_debrief"),
}


@dataclass(frozen=True)
class ScopeRow:
    scope: str
    label: str
    yes: tuple[str, ...]
    no: tuple[str, ...]
    unanswered: tuple[str, ...]


@cohort_page(audit="consent")
async def consent(request: web.Request, p: Page) -> web.StreamResponse:
    tr = p.tr
    now = dashboard_of(request).services.clock.now()
    rows = await roster(p.session, p.cohort.id)
    names = {row.person.id: row_name(row) for row in rows}
    states = await states_for(
        p.session, p.cohort.id, list(names), now, cohort_policy(p.cohort.settings)
    )
    scopes = []
    for scope in SCOPES:
        by_answer: dict[str | None, list[str]] = {YES: [], NO: [], None: []}
        for person_id, name in names.items():
            by_answer[states[person_id][scope].answer].append(name)
        scopes.append(
            ScopeRow(
                scope,
                tr.t(SCOPE_IDS[scope]),
                tuple(sorted(by_answer[YES], key=str.casefold)),
                tuple(sorted(by_answer[NO], key=str.casefold)),
                tuple(sorted(by_answer[None], key=str.casefold)),
            )
        )
    chart = bars(
        [
            Bar(
                s.label,
                100.0 * len(s.yes) / len(names) if names else 0.0,
                f"{tr.number(len(s.yes))}/{tr.number(len(names))}",
            )
            for s in scopes
        ],
        label=tr.t("web.consent_chart"),
        maximum=100.0,
        rtl=tr.rtl,
    )
    return render(
        request, p, "consent.html", "consent", scopes=scopes, chart=chart, members=len(names)
    )
