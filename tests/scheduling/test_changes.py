"""cancelsession and movesession: one occurrence or the series; members told, reminders follow."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from tests.harness import BotHarness
from tests.scheduling.helpers import add, counts, make_cohort, texts

PEOPLE = {"ana": ("America/New_York", None), "chen": ("America/Sao_Paulo", "es")}


async def setup_weekly(bot: BotHarness) -> None:
    await make_cohort(bot, PEOPLE)
    await add(bot, '/addsession "Circle" 2026-12-08 15:00 for 1h every week until 2027-01-26')
    await bot.advance(timedelta(hours=5))  # everyone has heard of it


def reminders_to(bot: BotHarness, name: str, since: int = 0) -> list[datetime]:
    return [m.at for m in bot.sent[since:] if m.to == name and "Reminder" in m.text]


async def test_cancel_one_date_of_a_series(bot: BotHarness) -> None:
    await setup_weekly(bot)
    reply = await bot.ask("coord", "/cancelsession 1")
    assert '"Circle" (#1) repeats. What should I cancel?' in reply
    assert bot.last("coord").choices == ("Only Tue, Dec 8", "The whole series", "Keep it")
    mark = len(bot.sent)
    reply = await bot.ask("coord", "1")
    assert re.search(r'Cancelled "Circle" on Tuesday, December 8, 2026 at 3:00\s?PM', reply)
    assert "telling 2 members" in reply
    assert re.search(
        r'Cancelled: "Circle" on Tuesday, December 8, 2026 at 9:00\s?AM', bot.last_text("ana")
    )
    assert "Cancelada" in bot.last_text("chen") and "no se celebrará" in bot.last_text("chen")
    listing = await bot.ask("ana", "/sessions")
    assert "December 15, 2026" in listing and "December 8, 2026" not in listing
    detail = await bot.ask("ana", "/sessions 1")
    assert re.search(r"December 8, 2026.*: cancelled", detail)
    await bot.advance(timedelta(days=13, hours=1))  # to Dec 14, 15:00 UTC
    assert reminders_to(bot, "ana", mark) == [datetime(2026, 12, 14, 14, 0, tzinfo=UTC)]


async def test_cancel_a_date_directly_and_the_whole_series(bot: BotHarness) -> None:
    await setup_weekly(bot)
    reply = await bot.ask("coord", "/cancelsession 1 2026-12-22")
    assert "December 22" in reply
    mark = len(bot.sent)
    reply = await bot.ask("coord", "/cancelsession 1 all")
    assert 'Cancelled the series "Circle" (#1)' in reply
    assert "will not take place any more" in bot.last_text("ana")
    assert "There are no upcoming sessions" in await bot.ask("coord", "/sessions")
    await bot.advance(timedelta(weeks=3))
    assert reminders_to(bot, "ana", mark) == []
    assert 'There is no session "1"' in await bot.ask("coord", "/cancelsession 1")


async def test_cancel_a_one_off_and_a_notice_nobody_saw_yet_is_withdrawn(bot: BotHarness) -> None:
    await make_cohort(bot, PEOPLE)
    mark = len(bot.sent)
    await add(bot, '/addsession "Kickoff" 2026-12-03 15:00')
    # It is 04:00 in New York: ana has not been told yet, so she need not hear of the cancel.
    reply = await bot.ask("coord", "/cancelsession 1")
    assert re.search(r'Cancelled "Kickoff" on Thursday, December 3, 2026 at 3:00\s?PM', reply)
    await bot.advance(timedelta(days=3))
    assert texts(bot, "ana", mark) == []


async def test_cancelling_a_one_off_names_its_date_in_each_readers_zone(bot: BotHarness) -> None:
    await make_cohort(bot, PEOPLE)
    await add(bot, '/addsession "Kickoff" 2026-12-03 15:00')
    await bot.advance(timedelta(hours=5))  # everyone has heard of it
    await bot.ask("coord", "/cancelsession 1")
    await bot.advance(timedelta(hours=12))
    ana, chen = bot.last_text("ana"), bot.last_text("chen")
    assert re.search(r'Cancelled: "Kickoff" on Thursday, December 3, 2026 at 9:00\s?AM', ana)
    assert "America/New_York" in ana and "sessions" not in ana
    assert "jueves, 3 de diciembre de 2026, 11:00" in chen and "no se celebrará" in chen
    assert "las sesiones" not in chen


async def test_move_one_date(bot: BotHarness) -> None:
    await setup_weekly(bot)
    reply = await bot.ask("coord", "/movesession 1 2026-12-08 2026-12-09 16:00")
    assert re.search(
        r'Moved "Circle" from Tuesday, December 8, 2026 at 3:00\s?PM .* to Wednesday, December 9, 2026 at 4:00\s?PM',
        reply,
    )
    assert re.search(
        r"no longer on Tuesday, December 8, 2026 at 9:00\s?AM .*now on Wednesday, December 9, 2026 at 10:00\s?AM",
        bot.last_text("ana"),
    )
    assert bot.last("ana").choices == ("yes", "no", "maybe")
    listing = await bot.ask("ana", "/sessions")
    assert "Wednesday, December 9, 2026 at 10:00" in listing and "(moved)" in listing
    mark = len(bot.sent)
    await bot.advance(timedelta(days=9))
    assert reminders_to(bot, "ana", mark)[:2] == [
        datetime(2026, 12, 8, 15, 0, tzinfo=UTC),
        datetime(2026, 12, 9, 14, 0, tzinfo=UTC),
    ]


async def test_move_next_date_of_a_series_by_choice_then_the_series(bot: BotHarness) -> None:
    await setup_weekly(bot)
    reply = await bot.ask("coord", "/movesession 1 2026-12-10 15:00")
    assert "repeats. What should move to Thursday, December 10, 2026" in reply
    assert bot.last("coord").choices == ("Only Tue, Dec 8", "This and all later dates", "Keep it")
    assert "nothing was changed" in await bot.ask("coord", "3")
    await bot.ask("coord", "/movesession 1 2026-12-10 15:00")
    reply = await bot.ask("coord", "2")
    assert re.search(
        r'Moved the series "Circle": from Thursday, December 10, 2026 at 3:00\s?PM', reply
    )
    assert "every week until Tue, Jan 26, 2027" in reply
    assert re.search(
        r"now meets every week.*from Thursday, December 10, 2026 at 9:00\s?AM", bot.last_text("ana")
    )
    listing = await bot.ask("ana", "/sessions")
    assert "Thursday, December 10, 2026 at 9:00" in listing
    assert "Thu, Dec 17, 2026" in listing and "Tue" not in listing.split("then:")[1].split("\n")[0]


async def test_a_move_into_someones_night_needs_confirmation(bot: BotHarness) -> None:
    await setup_weekly(bot)
    mark = len(bot.sent)
    before = await counts(bot)
    reply = await bot.ask("coord", "/movesession 1 2026-12-08 2026-12-08 09:00")
    assert "Before I tell anyone" in reply and re.search(r"ana: .*3:00\s?AM", reply)
    assert await counts(bot) == before
    assert texts(bot, "ana", mark) == []
    assert "Moved" in await bot.ask("coord", "Move it anyway")
    assert re.search(r"now on Tuesday, December 8, 2026 at 3:00\s?AM", bot.last_text("ana"))


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("/movesession 1 2026-11-30 15:00", r"That time is in the past"),
        ("/movesession 1 2026-12-09T25:00", r'"2026-12-09T25:00" is not a date and time'),
        ("/movesession 1 2026-12-09 15:00 nonsense", r'time zone or city "nonsense"'),
        ("/movesession 1", r"Write it like /movesession"),
        ("/movesession 7 2026-12-09 15:00", r'There is no session "7"'),
        ("/movesession 1 2026-12-09 2026-12-10 15:00", r"does not meet on 2026-12-09"),
        ("/movesession 1 2027-03-01 15:00 Atlantis-on-Sea", r"don't know the time zone"),
        ("/cancelsession", r"Write it like /cancelsession"),
        ("/cancelsession 1 2026-12-09", r"does not meet on 2026-12-09"),
    ],
)
async def test_bad_changes_change_nothing(bot: BotHarness, command: str, expected: str) -> None:
    await setup_weekly(bot)
    before = await counts(bot)
    mark = len(bot.sent)
    reply = await bot.ask("coord", command)
    assert re.search(expected, reply, re.DOTALL), reply
    assert await counts(bot) == before
    assert texts(bot, "ana", mark) == []


async def test_moving_the_series_past_its_end_is_refused(bot: BotHarness) -> None:
    await setup_weekly(bot)
    before = await counts(bot)
    reply = await bot.ask("coord", "/movesession 1 2027-03-02 15:00")
    assert "after the series ends (2027-01-26)" in reply
    assert await counts(bot) == before


async def test_participants_cannot_cancel_or_move(bot: BotHarness) -> None:
    await setup_weekly(bot)
    assert "can't use /cancelsession" in await bot.ask("ana", "/cancelsession 1")
    assert "can't use /movesession" in await bot.ask("ana", "/movesession 1 2026-12-10 15:00")


async def test_closing_the_cohort_ends_its_sessions(bot: BotHarness) -> None:
    await setup_weekly(bot)
    await bot.ask("coord", "/closecohort")
    await bot.ask("coord", "1")
    mark = len(bot.sent)
    await bot.advance(timedelta(weeks=3))
    assert reminders_to(bot, "ana", mark) == []
    assert reminders_to(bot, "coord", mark) == []
    assert "no upcoming sessions" in await bot.ask("coord", "/sessions")
    assert "has closed" in await bot.ask("coord", "/cancelsession 1")
