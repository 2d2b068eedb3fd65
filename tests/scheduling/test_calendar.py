"""calendar: an .ics file with VTIMEZONE, RRULE, EXDATE and moved occurrences that calendar
apps expand to exactly the occurrences the bot knows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from dateutil.rrule import rrulestr
from icalendar import Calendar
from sqlalchemy import select

from handlers.scheduling.api import occurrences_between
from storage.models.scheduling import ScheduledSession
from tests.harness import BotHarness
from tests.scheduling.helpers import add, make_cohort


def read(path: str | None) -> bytes:
    assert path is not None
    return Path(path).read_bytes()


def expand_ics(calendar: Calendar, low: datetime, high: datetime) -> dict[str, list[datetime]]:
    """What a calendar app would show: RRULE from DTSTART, minus EXDATE, plus overrides."""
    shown: dict[str, list[datetime]] = {}
    masters = {}
    overrides: dict[str, dict[datetime, datetime]] = {}
    for event in calendar.walk("VEVENT"):
        uid = str(event["uid"])
        if "recurrence-id" in event:
            original = event.decoded("recurrence-id").astimezone(UTC)
            overrides.setdefault(uid, {})[original] = event.decoded("dtstart").astimezone(UTC)
        else:
            masters[uid] = event
    for uid, event in masters.items():
        if str(event.get("status")) == "CANCELLED":
            shown[uid] = []
            continue
        start = event.decoded("dtstart")
        if "rrule" in event:
            ical = event["rrule"].to_ical()
            text = ical.decode() if isinstance(ical, bytes) else str(ical)
            rule = rrulestr(text, dtstart=start)
            starts = list(rule.between(low - timedelta(days=1), high, inc=True))
        else:
            starts = [start]
        exdates = event.get("exdate") or []
        if not isinstance(exdates, list):
            exdates = [exdates]
        excluded = {d.dt.astimezone(UTC) for exdate in exdates for d in exdate.dts}
        instants = []
        for value in starts:
            instant = value.astimezone(UTC)
            if instant in excluded:
                continue
            instants.append(overrides.get(uid, {}).get(instant, instant))
        shown[uid] = sorted(i for i in instants if low <= i < high)
    return shown


async def test_the_calendar_file_matches_the_bots_occurrences(
    bot: BotHarness, tmp_path: Path
) -> None:
    await make_cohort(bot, {"ana": ("America/New_York", None)})
    await add(
        bot, '/addsession "Circle" 2026-12-08 18:00 for 1h every week until 2027-04-06 recorded'
    )
    await add(bot, '/addsession "Kickoff" 2026-12-03 15:00')
    await bot.ask("coord", "/cancelsession 1 2026-12-22")
    await bot.ask("coord", "/movesession 1 2026-12-29 2026-12-30 17:00")
    messages = await bot.send("ana", "/calendar")
    (message,) = [m for m in messages if m.to == "ana"]
    assert "calendar with 2 sessions" in message.text
    assert message.file is not None and message.file.endswith(".ics")
    raw = read(message.file)
    assert b"BEGIN:VTIMEZONE" in raw and b"TZID:Europe/Berlin" in raw
    assert b"RRULE:FREQ=WEEKLY;UNTIL=20270406T215959Z" in raw
    assert b"EXDATE;TZID=Europe/Berlin:20261222T180000" in raw
    assert b"RECURRENCE-ID;TZID=Europe/Berlin:20261229T180000" in raw
    assert b"DTSTART;TZID=Europe/Berlin:20261208T180000" in raw
    assert b"This session will be recorded." in raw
    calendar = Calendar.from_ical(raw)
    low, high = datetime(2026, 12, 1, tzinfo=UTC), datetime(2027, 5, 1, tzinfo=UTC)
    shown = expand_ics(calendar, low, high)
    async with bot.db.transaction() as session:
        for number in (1, 2):
            found = await session.execute(
                select(ScheduledSession).where(ScheduledSession.number == number)
            )
            record = found.scalar_one()
            expected = [o.start for o in await occurrences_between(session, record, low, high)]
            assert shown[f"session-{record.id}@cohortbot"] == expected
    # DST in Europe on Mar 28: the series stays at 18:00 Berlin in the file as in the bot.
    circle = shown[next(k for k in shown if len(shown[k]) > 1)]
    assert datetime(2027, 3, 23, 17, 0, tzinfo=UTC) in circle
    assert datetime(2027, 3, 30, 16, 0, tzinfo=UTC) in circle


async def test_cancelled_sessions_are_marked_cancelled_and_nothing_means_no_file(
    bot: BotHarness,
) -> None:
    await make_cohort(bot, {"ana": ("America/New_York", None)})
    reply = await bot.ask("ana", "/calendar")
    assert "no sessions yet" in reply
    await add(bot, '/addsession "Kickoff" 2026-12-03 15:00')
    await add(bot, '/addsession "Other" 2026-12-04 15:00')
    await bot.ask("coord", "/cancelsession 1")
    messages = await bot.send("ana", "/calendar")
    (message,) = [m for m in messages if m.to == "ana"]
    assert "calendar with 1 session." in message.text
    calendar = Calendar.from_ical(read(message.file))
    statuses = sorted(str(e["status"]) for e in calendar.walk("VEVENT"))
    assert statuses == ["CANCELLED", "CONFIRMED"]


async def test_calendar_text_is_localized(bot: BotHarness) -> None:
    await make_cohort(bot, {"chen": ("America/Sao_Paulo", "es")})
    await add(bot, '/addsession "Kickoff" 2026-12-03 15:00')
    messages = await bot.send("chen", "/calendar")
    (message,) = [m for m in messages if m.to == "chen"]
    assert "Aquí tienes tu calendario con 1 sesión" in message.text
    raw = read(message.file).decode()
    assert "Sesiones de la cohorte" in raw
