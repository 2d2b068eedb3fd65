"""`/c/{cohort}/audit` (coordinators): who viewed the cohort's personal data on the dashboard,
which page, when. The newest first; a viewer erased since shows as such."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from bot.i18n import _
from storage.repositories.cohorts import identities_for
from storage.repositories.web import audit_rows, people_named
from web.auth import cohort_page
from web.pages.common import name_of, render, when
from web.state import Page

SHOWN = 300
PAGE_IDS = {
    "overview": _("web.tab_overview"),
    "sessions": _("web.tab_sessions"),
    "occurrence": _("web.page_occurrence"),
    "debriefs": _("web.tab_debriefs"),
    "consent": _("web.tab_consent"),
    "alumni": _("web.tab_alumni"),
    "roster.csv": _("web.export_roster"),
    "attendance.csv": _("web.export_attendance"),
}


@dataclass(frozen=True)
class AuditLine:
    who: str
    page: str
    when: str


@cohort_page(coordinators_only=True)
async def audit(request: web.Request, p: Page) -> web.StreamResponse:
    tr = p.tr
    rows = await audit_rows(p.session, p.cohort.id, limit=SHOWN)
    ids = {r.viewer_id for r in rows if r.viewer_id is not None}
    people = {person.id: person for person in await people_named(p.session, list(ids))}
    identities = await identities_for(p.session, ids)
    lines = [
        AuditLine(
            name_of(people[r.viewer_id], identities[r.viewer_id])
            if r.viewer_id in people
            else tr.t("web.erased_person"),
            tr.t(PAGE_IDS[r.page]) if r.page in PAGE_IDS else r.page,
            when(tr, p, r.viewed_at),
        )
        for r in rows
    ]
    return render(request, p, "audit.html", "audit", lines=lines, shown=SHOWN)
