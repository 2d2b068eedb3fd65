"""`calendar feed` (a private, revocable webcal address served by the dashboard's server) and
`attendance` in chat, which feeds the same marks the page does and the report's figures."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from icalendar import Calendar
from sqlalchemy import select

from storage.models import Attendance, CalendarFeed
from tests.web.conftest import World
from tests.web.helpers import client, sign_in

FEED = re.compile(r"webcal://\S+?(/calendar/[A-Za-z0-9_-]+\.ics)")


async def _feed(world: World, name: str) -> str:
    reply = await world.bot.ask(name, "/calendar feed")
    match = FEED.search(reply)
    assert match, reply
    assert "http://127.0.0.1:8080/calendar/" in reply  # the https/http form too
    return match.group(1)


async def test_a_feed_follows_changes_in_the_persons_zone_and_can_be_revoked(
    world: World,
) -> None:
    bot = world.bot
    path = await _feed(world, "ana")  # ana lives in Africa/Lagos
    async with client(world.server) as app:
        response = await app.get(path)
        assert response.status == 200
        assert response.content_type == "text/calendar"
        calendar = Calendar.from_ical(await response.read())
        assert calendar["X-WR-TIMEZONE"] == "Africa/Lagos"
        zones = {str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")}
        assert {"Africa/Lagos", "Europe/Berlin"} <= zones
        titles = sorted(str(e["SUMMARY"]) for e in calendar.walk("VEVENT"))
        assert titles == ["Open space", "Story circle"]
        # A change to a session shows in the next fetch (no new address needed).
        await bot.send("coord", "/cancelsession 2")
        if bot.last("coord").choices:
            await bot.send("coord", "1")
        again = Calendar.from_ical(await (await app.get(path)).read())
        status = {str(e["SUMMARY"]): str(e["STATUS"]) for e in again.walk("VEVENT")}
        assert status["Open space"] == "CANCELLED"
        # Asking again replaces the address; off revokes it.
        newer = await _feed(world, "ana")
        assert (await app.get(path)).status == 404
        assert (await app.get(newer)).status == 200
        assert "is off" in await bot.ask("ana", "/calendar feed off")
        assert (await app.get(newer)).status == 404
        assert "no calendar feed" in await bot.ask("ana", "/calendar feed off")
    async with bot.db.transaction() as db:
        assert not list((await db.execute(select(CalendarFeed))).scalars())
    # The .ics file stays as it was.
    sent = await bot.send("ana", "/calendar")
    assert any(m.file for m in sent)


async def test_feed_tokens_are_hashed_and_guessing_is_limited(world: World) -> None:
    path = await _feed(world, "ben")
    token = urlsplit(path).path.rsplit("/", 1)[1].removesuffix(".ics")
    async with world.bot.db.transaction() as db:
        stored = [f.token_hash for f in (await db.execute(select(CalendarFeed))).scalars()]
    assert token not in stored
    async with client(world.server) as guesser:
        for n in range(10):
            assert (await guesser.get(f"/calendar/guess{n}.ics")).status == 404
        assert (await guesser.get(path)).status == 429


async def test_attendance_in_chat_marks_the_latest_session_that_began(world: World) -> None:
    bot = world.bot
    reply = await bot.ask("fac", "/attendance 1 ana ben chen")
    assert "3 of 7 attended" in reply and "ana" in reply and "Not marked:" in reply
    reply = await bot.ask("fac", "/attendance 1 absent dia")
    assert "Absent: dia" in reply
    reply = await bot.ask("fac", "/attendance 1 ana")  # marking again changes nothing
    assert "3 of 7 attended" in reply
    assert "has not begun" in await bot.ask("fac", "/attendance 2 ana")
    assert "no session 9" in await bot.ask("fac", "/attendance 9 ana")
    assert "Write attendance SESSION" in await bot.ask("fac", "/attendance")
    refused = await bot.ask("ana", "/attendance 1 ana")
    assert "attended" not in refused
    async with bot.db.transaction() as db:
        rows = list((await db.execute(select(Attendance))).scalars())
    assert sorted(r.attended for r in rows) == [False, True, True, True]
    # The same marks on the page and in the report.
    async with client(world.server) as browser:
        await sign_in(bot, browser, "coord")
        sessions = await (await browser.get(f"/c/{world.cohort}/sessions")).text()
        assert re.search(
            r'<td class="num">3</td><td class="num">1</td><td class="num">3</td>', sessions
        )
        report = await (await browser.get(f"/c/{world.cohort}/report")).text()
        assert "Sessions with attendance marked" in report
        aggregates = await (await browser.get(f"/c/{world.cohort}/export/aggregates.csv")).text()
        lines = dict(line.split(",", 1) for line in aggregates.lstrip("\ufeff").splitlines())
        # 3 present of 4 marked: the one absent would be identifiable, so the rate is hidden.
        assert lines["attendance.rate"] == "3,suppressed,"
        assert lines["sessions.marked"] == ",,1"
        attendance = await (await browser.get(f"/c/{world.cohort}/export/attendance.csv")).text()
        assert "1,Story circle," in attendance and ",ana,yes" in attendance
        assert ",dia,no" in attendance and ",eli," in attendance
