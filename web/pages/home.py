"""`/`: the cohorts the viewer coordinates or facilitates."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from bot.i18n import _
from storage.models.cohorts import CohortStatus
from storage.repositories.cohorts import count_members
from web.auth import dashboard_of, signed_in, unit_of_work
from web.pages.common import role_label
from web.render import page
from web.state import Viewer

CLOSED = _("web.status_closed")
ACTIVE = _("web.status_active")


@dataclass(frozen=True)
class CohortRow:
    id: int
    name: str
    role: str
    status: str
    members: str


@signed_in
async def home(request: web.Request, viewer: Viewer) -> web.StreamResponse:
    session = unit_of_work(request)
    tr = viewer.tr
    rows = [
        CohortRow(
            id=entry.cohort.id,
            name=entry.cohort.name,
            role=role_label(tr, entry.role),
            status=tr.t(CLOSED if entry.cohort.status == CohortStatus.CLOSED else ACTIVE),
            members=tr.number(await count_members(session, entry.cohort.id)),
        )
        for entry in viewer.cohorts
    ]
    return page(dashboard_of(request).templates, tr, "home.html", viewer=viewer, rows=rows)
