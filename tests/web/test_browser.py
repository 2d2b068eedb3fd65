"""The dashboard in a real browser (headless Chromium from Debian's packages; skipped with the
reason when it is not installed): sign in by the link, load each page, take a screenshot, check
the text, the SVG charts, and right-to-left layout in Arabic. The strict CSP is in force, so a
page that needed a script or an inline style would show it here."""

from __future__ import annotations

from pathlib import Path

from tests.web.browser import chromium, require_chromium
from tests.web.conftest import World
from tests.web.helpers import login_link

MEMBERS = ("coord", "fac", "ana", "ben", "chen", "dia", "eli")
# Each strip row's hover text and how wide its label is drawn.
STRIP_ROWS = """return [...document.querySelectorAll('svg.world-strip g.strip-row')].map(g => ({
    title: g.querySelector('title').textContent,
    width: g.querySelector('text').getComputedTextLength(),
}));"""
PAGES = (
    ("overview", "/c/{c}/", "The day around the world", "svg.world-strip"),
    ("sessions", "/c/{c}/sessions", "Upcoming sessions and RSVPs", None),
    ("debriefs", "/c/{c}/debriefs", "Debrief response rate per session", "svg.line"),
    ("consent", "/c/{c}/consent", "Silence is never consent", "svg.bars"),
    ("broadcasts", "/c/{c}/broadcasts", "Announcements", None),
    ("alumni", "/c/{c}/alumni", "Action commitments", "svg.bars"),
    ("report", "/c/{c}/report", "Evaluation report", "svg.line"),
    ("audit", "/c/{c}/audit", "Every view of personal data", None),
)


async def test_each_page_in_chromium(world: World, tmp_path: Path) -> None:
    require_chromium()
    async with chromium(world.base, tmp_path) as browser:
        await browser.sign_in(await login_link(world.bot, "coord"))
        for name, template, text, chart in PAGES:
            await browser.get(template.format(c=world.cohort))
            shot = await browser.screenshot(name)
            assert shot.stat().st_size > 10_000, name
            assert text in await browser.text(), name
            assert await browser.attribute("html", "dir") == "ltr"
            if chart is not None:
                svgs = await browser.find_all(chart)
                assert svgs, (name, chart)
                size = svgs[0].size
                assert size["width"] > 200 and size["height"] > 10, (name, size)
        # The world strip: a row of coloured spans per zone and quiet hours (fewer rows than the
        # seven members), each naming everyone on hover; a band for the coming session.
        await browser.get(f"/c/{world.cohort}/")
        rows = await browser.find_all("svg.world-strip g.strip-row")
        assert 2 <= len(rows) < 7
        assert len(await browser.find_all("svg.world-strip g.strip-row rect")) >= len(rows)
        assert await browser.find_all("svg.world-strip rect.session")
        hover = await browser.script(STRIP_ROWS)
        assert sorted(name for row in hover for name in MEMBERS if name in row["title"]) == sorted(
            MEMBERS
        )
        # Every label fits the 210 px name column, as drawn.
        assert all(0 < row["width"] <= 202 for row in hover), hover
        # Signing out in the browser ends it.
        await browser.click("form.logout button")
        await browser.wait_for("section.message")
        await browser.get(f"/c/{world.cohort}/")
        assert "Please sign in" in await browser.text()


async def test_arabic_pages_run_right_to_left(world: World, tmp_path: Path) -> None:
    require_chromium()
    await world.bot.send("coord", "/language ar")
    async with chromium(world.base, tmp_path, lang="ar") as browser:
        await browser.sign_in(await login_link(world.bot, "coord"))
        for name, template, _text, chart in PAGES:
            await browser.get(template.format(c=world.cohort))
            await browser.screenshot(f"{name}-ar")
            assert await browser.attribute("html", "dir") == "rtl"
            assert await browser.attribute("html", "lang") == "ar"
            assert await browser.css("main", "direction") == "rtl"
            if chart is not None:
                assert await browser.find_all(chart), name
        await browser.get(f"/c/{world.cohort}/")
        body = await browser.text()
        assert "اليوم حول العالم" in body and "نظرة عامة" in body
        # The navigation starts at the right edge: the first tab is right of the last one.
        tabs = await browser.find_all("nav.tabs a")
        assert tabs[0].location["x"] > tabs[-1].location["x"]


async def test_a_used_link_in_the_browser_says_to_ask_again(world: World, tmp_path: Path) -> None:
    require_chromium()
    path = await login_link(world.bot, "coord")
    async with chromium(world.base, tmp_path, lang="fr") as browser:
        await browser.sign_in(path)
        await browser.get(path)
        await browser.screenshot("used-link")
        assert "Ce lien ne fonctionne plus" in await browser.text()
