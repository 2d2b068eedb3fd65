"""What several pages share: names of people, roles, languages and zones in the viewer's words,
and rendering a cohort page."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from aiohttp import web

from bot.i18n import Translator
from storage.models import Identity, Person
from storage.repositories.cohorts import RosterRow
from web.render import page
from web.state import DASHBOARD, Page
from web.svg import Bar


def name_of(person: Person, identities: Iterable[Identity]) -> str:
    for identity in identities:
        if identity.display_name:
            return identity.display_name
    return f"#{person.id}"


def handle_of(identities: Iterable[Identity]) -> str:
    for identity in identities:
        if identity.username:
            return f"@{identity.username}"
    return ""


def row_name(row: RosterRow) -> str:
    return name_of(row.person, row.identities)


def role_label(tr: Translator, role: str) -> str:
    return tr.t(f"role.{role}")


def language_label(tr: Translator, lang: str | None) -> str:
    return tr.language_name(lang) if lang else tr.t("web.not_set")


def zone_label(tr: Translator, zone: str | None) -> str:
    if not zone:
        return tr.t("web.not_set")
    return "UTC" if zone in ("UTC", "Etc/UTC") else tr.zone_name(zone)


def when(tr: Translator, page_: Page, instant: datetime) -> str:
    return tr.datetime(instant, page_.zone, "medium")


def count_bars(tr: Translator, counts: Counter[str]) -> list[Bar]:
    return [
        Bar(label, float(n), tr.number(n))
        for label, n in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    ]


def render(request: web.Request, p: Page, template: str, tab: str, **values: Any) -> web.Response:
    dash = request.app[DASHBOARD]
    return page(
        dash.templates,
        p.tr,
        template,
        viewer=p.viewer,
        cohort=p.cohort,
        role=p.role,
        tab=tab,
        **values,
    )
