"""Every route, for every kind of visitor, in every language: coordinators see all of their
cohort, facilitators all but the audit log, others nothing (not even that the cohort exists);
without a session nothing at all. Every response carries the security headers; links hold no
personal data; every view of personal data lands in the audit log."""

from __future__ import annotations

import html
import re

from sqlalchemy import select

from storage.models import Attendance, SessionOccurrence, WebAudit
from tests.web.conftest import World
from tests.web.helpers import LANGS, client, csrf_of, sign_in

PAGES = (
    "/c/{c}/",
    "/c/{c}/sessions",
    "/c/{c}/sessions/{o}",
    "/c/{c}/debriefs",
    "/c/{c}/consent",
    "/c/{c}/broadcasts",
    "/c/{c}/alumni",
    "/c/{c}/report",
    "/c/{c}/export/roster.csv",
    "/c/{c}/export/attendance.csv",
    "/c/{c}/export/aggregates.csv",
    "/c/{c}/audit",
)
COORDINATORS_ONLY = {"/c/{c}/audit"}
CSP = "default-src 'none'; style-src 'self'"
# The tab title of the overview in each language (locales/*/LC_MESSAGES/web.po).
OVERVIEW = {
    "en": "Overview",
    "es": "Resumen",
    "fr": "Vue d'ensemble",
    "pt_BR": "Visão geral",
    "ar": "نظرة عامة",
}
HREF = re.compile(r'(?:href|action)="([^"]+)"')
SAFE_LINK = re.compile(
    r"^/(c/\d+/([a-z]+(/\d+(/attendance)?)?|export/[a-z]+\.csv)?|static/style\.css|logout|login)?$"
)


async def _occurrence(world: World) -> int:
    async with world.bot.db.transaction() as db:
        found = await db.execute(select(SessionOccurrence.id).order_by(SessionOccurrence.start))
        return int(found.scalars().first() or 0)


def _paths(world: World, cohort: int, occurrence: int) -> list[str]:
    return [p.format(c=cohort, o=occurrence) for p in PAGES]


async def test_every_page_in_every_language_for_a_coordinator(world: World) -> None:
    occurrence = await _occurrence(world)
    for lang in LANGS:
        await world.bot.send("coord", f"/language {lang}")
        async with client(world.server) as browser:
            await sign_in(world.bot, browser, "coord")
            for path in _paths(world, world.cohort, occurrence):
                response = await browser.get(path)
                body = await response.text()
                assert response.status == 200, (lang, path, body[:300])
                assert response.headers["Content-Security-Policy"].startswith(CSP)
                assert response.headers["X-Frame-Options"] == "DENY"
                assert response.headers["Cache-Control"] == "no-store"
                if path.endswith(".csv"):
                    assert response.content_type == "text/csv"
                    continue
                html_lang = lang.replace("_", "-")
                direction = "rtl" if lang == "ar" else "ltr"
                assert f'<html lang="{html_lang}" dir="{direction}">' in body, (lang, path)
                assert OVERVIEW[lang] in html.unescape(body)
                assert not re.search(r"\bweb\.[a-z_]+\b", body), (lang, path)  # no raw ids
                assert "<script" not in body and " style=" not in body
                for link in HREF.findall(body):
                    assert SAFE_LINK.match(link), (path, link)


async def test_a_facilitator_sees_the_cohort_but_not_the_audit_log(world: World) -> None:
    occurrence = await _occurrence(world)
    async with client(world.server) as browser:
        await sign_in(world.bot, browser, "fac")
        for template, path in zip(PAGES, _paths(world, world.cohort, occurrence), strict=True):
            response = await browser.get(path)
            expected = 403 if template in COORDINATORS_ONLY else 200
            assert response.status == expected, (path, await response.text())
        home = await (await browser.get("/")).text()
        assert "/audit" not in home


async def test_another_cohorts_staff_and_visitors_without_a_session_get_nothing(
    world: World,
) -> None:
    occurrence = await _occurrence(world)
    paths = _paths(world, world.cohort, occurrence)
    async with client(world.server) as stranger:
        await sign_in(world.bot, stranger, "other")
        for path in paths:
            response = await stranger.get(path)
            assert response.status == 404, path
            body = await response.text()
            assert "Bridges" not in body and "ana" not in body
        # Their own cohort's pages, with an occurrence id of the other cohort: still nothing.
        mixed = await stranger.get(f"/c/{world.other}/sessions/{occurrence}")
        assert mixed.status == 404
        csrf = csrf_of(await (await stranger.get("/")).text())
        post = await stranger.post(
            f"/c/{world.cohort}/sessions/{occurrence}/attendance",
            data={"csrf": csrf, "listed": "1", "present": "1"},
        )
        assert post.status == 404
    async with client(world.server) as nobody:
        for path in ["/", *paths]:
            response = await nobody.get(path)
            assert response.status == 401, path
            assert "send /dashboard" in await response.text()
        post = await nobody.post(f"/c/{world.cohort}/sessions/{occurrence}/attendance")
        assert post.status == 401
        for odd in ("/c/abc/", "/c/99999/", "/nowhere"):
            assert (await nobody.get(odd)).status in (401, 404)
    async with world.bot.db.transaction() as db:
        assert not list((await db.execute(select(Attendance))).scalars())


async def test_losing_the_role_closes_the_cohort_to_an_open_session(world: World) -> None:
    async with client(world.server) as browser:
        await sign_in(world.bot, browser, "fac")
        assert (await browser.get(f"/c/{world.cohort}/")).status == 200
        await world.bot.send("coord", "/role fac participant")
        assert (await browser.get(f"/c/{world.cohort}/")).status == 404
        assert "Bridges" not in await (await browser.get("/")).text()


async def test_attendance_is_marked_in_the_page_with_the_form_token(world: World) -> None:
    occurrence = await _occurrence(world)
    page = f"/c/{world.cohort}/sessions/{occurrence}"
    async with client(world.server) as browser:
        await sign_in(world.bot, browser, "fac")
        html = await (await browser.get(page)).text()
        csrf = csrf_of(html)
        listed = re.findall(r'name="listed" value="(\d+)"', html)
        assert len(listed) == 7  # everyone the session is for (alumni excepted)
        present = listed[:4]
        action = f"{page}/attendance"
        form = [("listed", x) for x in listed] + [("present", x) for x in present]
        assert (await browser.post(action, data=form)).status == 403  # no token
        forged = await browser.post(
            action, data=[("csrf", csrf), *form], headers={"Origin": "https://evil.example"}
        )
        assert forged.status == 403
        done = await browser.post(action, data=[("csrf", csrf), *form], allow_redirects=False)
        assert done.status == 303 and done.headers["Location"] == f"{page}?saved=1"
        shown = await (await browser.get(done.headers["Location"])).text()
        assert "Attendance saved." in shown
        assert shown.count("checked") == 4
    async with world.bot.db.transaction() as db:
        rows = list((await db.execute(select(Attendance))).scalars())
    assert sorted(r.attended for r in rows) == [False] * 3 + [True] * 4


async def test_views_of_personal_data_are_audited_for_coordinators(world: World) -> None:
    async with client(world.server) as browser:
        await sign_in(world.bot, browser, "fac")
        await browser.get(f"/c/{world.cohort}/consent")
        await browser.get(f"/c/{world.cohort}/export/roster.csv")
        await browser.get(f"/c/{world.cohort}/report")  # aggregates only: not a view of anyone
    async with world.bot.db.transaction() as db:
        pages = [r.page for r in (await db.execute(select(WebAudit))).scalars()]
    assert pages == ["consent", "roster.csv"]
    async with client(world.server) as browser:
        await sign_in(world.bot, browser, "coord")
        log = await (await browser.get(f"/c/{world.cohort}/audit")).text()
        assert "fac" in log and "Consent" in log and "Roster (CSV)" in log


async def test_the_static_stylesheet_and_unknown_paths(world: World) -> None:
    async with client(world.server) as browser:
        css = await browser.get("/static/style.css")
        assert css.status == 200 and "@media print" in await css.text()
        assert css.headers["X-Content-Type-Options"] == "nosniff"
        missing = await browser.get("/static/nothing.css")
        assert missing.status == 404
        assert missing.headers["Content-Security-Policy"].startswith(CSP)
