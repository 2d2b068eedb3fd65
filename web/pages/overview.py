"""`/c/{cohort}/`: the cohort at a glance. Members on a 24-hour world strip in the viewer's zone
(a row for the people who share a zone and quiet hours: their waking and quiet hours, the coming
week's sessions), counts by role, language and zone, and who has not finished onboarding."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import time, timedelta

from aiohttp import web

from bot.i18n import _
from bot.profile import quiet_hours
from handlers.scheduling import upcoming_occurrences
from storage.models.cohorts import ROLES
from storage.repositories.cohorts import roster
from web.auth import cohort_page, dashboard_of
from web.pages.common import count_bars, language_label, render, role_label, row_name, zone_label
from web.pages.strip import StripMember, strip_rows
from web.state import Page
from web.svg import StripSession, bars, world_strip

STRIP_DAYS = timedelta(days=7)  # sessions of the coming week are drawn on the strip
ONBOARDED = "done"
STEP_IDS = {
    "language": _("web.step_language"),
    "zone": _("web.step_zone"),
    "privacy": _("web.step_privacy"),
    "consent": _("web.step_consent"),
}


@dataclass(frozen=True)
class Pending:
    name: str
    step: str


@cohort_page(audit="overview")
async def overview(request: web.Request, p: Page) -> web.StreamResponse:
    dash = dashboard_of(request)
    tr = p.tr
    now = dash.services.clock.now()
    rows = await roster(p.session, p.cohort.id)
    roles: Counter[str] = Counter()
    for role in ROLES:
        n = sum(1 for row in rows if row.membership.role == role)
        if n:
            roles[role_label(tr, role)] = n
    languages = Counter(language_label(tr, row.person.language) for row in rows)
    zones = Counter(zone_label(tr, row.person.timezone) for row in rows)
    pending = [
        Pending(
            row_name(row), tr.t(STEP_IDS.get(row.person.onboarding_step or "", _("web.step_start")))
        )
        for row in rows
        if row.person.onboarding_step != ONBOARDED
    ]

    local_now = now.astimezone(p.zone)
    day_start = local_now.replace(hour=0, minute=0, second=0, microsecond=0)
    members = [
        StripMember(
            row_name(row), row.person.timezone, quiet_hours(row.person, dash.services.config)
        )
        for row in rows
    ]
    upcoming = await upcoming_occurrences(p.session, p.cohort.id, now, now + STRIP_DAYS)
    sessions = [
        StripSession(
            f"#{o.number} {tr.weekday(o.start.astimezone(p.zone).date())[:3]}",
            f"#{o.number} {o.title} · {tr.datetime(o.start, p.zone, 'medium')}",
            o.start,
            o.end,
        )
        for o in upcoming
    ]
    labels = [tr.time(time(hour)) if hour % 3 == 0 else "" for hour in range(24)]
    strip = world_strip(
        strip_rows(tr, members, now),
        sessions,
        day_start=day_start,
        now=now,
        hour_labels=labels,
        label=tr.t("web.strip_label", zone=zone_label(tr, p.zone.key)),
        legend=(
            tr.t("web.legend_awake"),
            tr.t("web.legend_quiet"),
            tr.t("web.legend_no_zone"),
            tr.t("web.legend_session"),
        ),
        rtl=tr.rtl,
    )
    return render(
        request,
        p,
        "overview.html",
        "overview",
        strip=strip,
        members=tr.number(len(rows)),
        role_chart=bars(count_bars(tr, roles), label=tr.t("web.by_role"), rtl=tr.rtl),
        language_chart=bars(count_bars(tr, languages), label=tr.t("web.by_language"), rtl=tr.rtl),
        zone_chart=bars(count_bars(tr, zones), label=tr.t("web.by_zone"), rtl=tr.rtl),
        pending=pending,
        viewer_zone=zone_label(tr, p.zone.key),
        today=tr.date(local_now.date(), "full"),
        upcoming_count=len(upcoming),
        generated=tr.datetime(now, p.zone, "medium"),
    )
