"""CSV exports for staff: the roster and attendance (personal data: each download is in the
audit log) and the report's aggregates (suppression applied). Cells that a spreadsheet would run
as formulas are defused (web/render.py: csv_safe). Column headers are stable English keys, for
scripts; values are as stored (UTC instants in ISO 8601, language and zone codes)."""

from __future__ import annotations

from aiohttp import web

from handlers.scheduling import session_members
from storage.repositories.attendance import cohort_marks
from storage.repositories.cohorts import identities_for, roster
from storage.repositories.scheduling import past_occurrences
from web.auth import cohort_page, dashboard_of
from web.pages.common import handle_of, name_of, row_name
from web.pages.report import ALL_TIME, gather
from web.render import csv_safe
from web.state import Page


def _csv(name: str, rows: list[list[object]]) -> web.Response:
    return web.Response(
        body=("\ufeff" + csv_safe(rows)).encode("utf-8"),  # the BOM: spreadsheets read UTF-8
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@cohort_page(audit="roster.csv")
async def roster_csv(request: web.Request, p: Page) -> web.StreamResponse:
    rows: list[list[object]] = [
        ["name", "handle", "role", "language", "timezone", "country", "joined_at", "onboarded"]
    ]
    for row in await roster(p.session, p.cohort.id):
        person = row.person
        rows.append(
            [
                row_name(row),
                handle_of(row.identities),
                row.membership.role,
                person.language or "",
                person.timezone or "",
                person.country or "",
                row.membership.joined_at.isoformat(),
                "yes" if person.onboarding_step == "done" else "no",
            ]
        )
    return _csv(f"cohort-{p.cohort.id}-roster.csv", rows)


@cohort_page(audit="attendance.csv")
async def attendance_csv(request: web.Request, p: Page) -> web.StreamResponse:
    now = dashboard_of(request).services.clock.now()
    held = await past_occurrences(p.session, p.cohort.id, now - ALL_TIME, now)
    marks = await cohort_marks(p.session, p.cohort.id, [o.id for o, _s in held])
    members = await session_members(p.session, p.cohort.id)
    identities = await identities_for(p.session, [m.id for m in members])
    rows: list[list[object]] = [["session", "title", "start_utc", "name", "attended"]]
    for occurrence, session in held:
        mine = marks.get(occurrence.id, {})
        for member in members:
            state = mine.get(member.id)
            rows.append(
                [
                    session.number,
                    session.title,
                    occurrence.start.isoformat(),
                    name_of(member, identities[member.id]),
                    "" if state is None else ("yes" if state else "no"),
                ]
            )
    return _csv(f"cohort-{p.cohort.id}-attendance.csv", rows)


@cohort_page()
async def aggregates_csv(request: web.Request, p: Page) -> web.StreamResponse:
    now = dashboard_of(request).services.clock.now()
    data = await gather(p.session, p.cohort, p.tr, now, p.zone)
    rows: list[list[object]] = [["metric", "count", "percent", "value"]]
    for _title, figures in data.sections:
        for f in figures:
            count = "" if f.count is None else ("<3" if f.count.suppressed else f.count.value)
            share = ""
            if f.share is not None:
                share = (
                    "suppressed"
                    if f.share.suppressed
                    else ("" if f.share.percent is None else f"{f.share.percent:.1f}")
                )
            rows.append([f.key, count, share, "" if f.number is None else f"{f.number:g}"])
    for index, r in enumerate(data.rounds, 1):
        rows.append(
            [
                f"debrief.round_{index}",
                "<3" if r.responded.suppressed else r.responded.value,
                "suppressed"
                if r.response.suppressed
                else ("" if r.response.percent is None else f"{r.response.percent:.1f}"),
                "" if r.average is None else f"{r.average:.2f}",
            ]
        )
    return _csv(f"cohort-{p.cohort.id}-aggregates.csv", rows)
