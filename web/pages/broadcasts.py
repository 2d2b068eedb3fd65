"""`/c/{cohort}/broadcasts`: each announcement's delivery: planned, sent, waiting, failed,
blocked, unreachable, as the outbox counts them. While one is sending, the page reloads itself
every few seconds (a meta refresh: no script)."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web
from markupsafe import Markup

from bot.i18n import _
from storage.models.broadcast import AnnouncementStatus
from storage.repositories.broadcast import progress, recent
from web.auth import cohort_page
from web.pages.common import render, when
from web.state import Page
from web.svg import progress as progress_bar

REFRESH_SECONDS = 5
SHOWN = 30
EXCERPT = 160
STATUS_IDS = {
    "draft": _("web.broadcast_draft"),
    "scheduled": _("web.broadcast_scheduled"),
    "sending": _("web.broadcast_sending"),
    "done": _("web.broadcast_done"),
    "cancelled": _("web.broadcast_cancelled"),
}


@dataclass(frozen=True)
class BroadcastRow:
    number: int
    excerpt: str
    status: str
    sending: bool
    when: str
    planned: int
    sent: int
    waiting: int
    failed: int
    blocked: int
    unreachable: int
    bar: Markup


@cohort_page()
async def broadcasts(request: web.Request, p: Page) -> web.StreamResponse:
    tr = p.tr
    found = await recent(p.session, p.cohort.id, limit=SHOWN)
    counts = await progress(p.session, [a.id for a in found])
    rows = []
    for a in found:
        c = counts[a.id]
        planned = max(a.planned, c.rows)
        moment = a.started_at or a.scheduled_at or a.created_at
        text = a.text if len(a.text) <= EXCERPT else a.text[: EXCERPT - 1] + "…"
        rows.append(
            BroadcastRow(
                number=a.number,
                excerpt=text,
                status=tr.t(STATUS_IDS.get(a.status, _("web.broadcast_draft"))),
                sending=a.status == AnnouncementStatus.SENDING,
                when=when(tr, p, moment),
                planned=planned,
                sent=c.sent,
                waiting=c.waiting,
                failed=c.failed,
                blocked=c.blocked,
                unreachable=a.unreachable,
                bar=progress_bar(
                    c.sent,
                    c.waiting,
                    c.failed + c.blocked,
                    planned,
                    label=tr.t("web.delivery_chart", number=a.number),
                ),
            )
        )
    live = any(r.sending for r in rows)
    return render(
        request, p, "broadcasts.html", "broadcasts", rows=rows, live=live, refresh=REFRESH_SECONDS
    )
