"""Inputs found by trying the bot as a clumsy user: dates at the end of the calendar, numbers
with 21 digits or written "²", a commitment with no text, zone names with invisible characters.
Each gets a clear reply in the person's language and changes nothing (never "something went
wrong", never a different zone)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.cohorts.helpers import dump, quick_bot
from tests.harness import BotHarness

BUG = "something went wrong"
BIG = "123456789012345678901"


@pytest.fixture
async def cohort_bot(db_url: str, tmp_path: Path) -> AsyncIterator[BotHarness]:
    bot = await quick_bot(db_url, tmp_path)
    await bot.new_cohort("coord", "Harbour Exchange", "UTC")
    await bot.send("coord", '/addsession "Weekly" 2026-12-10 10:00 every week')
    await bot.send("coord", '/commit "Call the lawyer" by 2027-01-10')
    try:
        yield bot
    finally:
        await bot.close()


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('/addsession "A" 9999-12-31 23:59', "is more than ten years away"),
        ('/addsession "A" 2037-01-01 10:00', "is more than ten years away"),
        ('/addsession "B" 2026-12-10 10:00 every week until 9999-12-31', "more than ten years"),
        ('/addsession "C" 9999-12-31 23:59 Etc/GMT+12', "not a date and time I understand"),
        ("/movesession 1 9999-12-31 23:59", "is more than ten years away"),
        ("/findtime 1h from 9999-12-30 to 9999-12-31", "is more than ten years away"),
        ('/announce "x" at 9999-12-31 23:59', "is more than ten years away"),
        (f"/consentreport {BIG}", f"There is no session “{BIG}”"),
        (f"/done {BIG}", "Say which commitment by its number"),
        (f"/drop {BIG}", "Say which commitment by its number"),
        (f"/cancelannouncement {BIG}", "Which announcement? Send its number"),
        (f'/translate {BIG} es "x"', "Write the announcement's number"),
        (f'/announce "x" to rsvp:{BIG}:yes', "I don't understand the target \"rsvp:"),
        (f"/sessions {BIG}", f'There is no session "{BIG}"'),
        (f"/rsvp {BIG} yes", f'There is no session "{BIG}"'),
        (f"/debriefs {BIG}", "There is no session"),
        ("/roster ²", 'The roster has pages 1 to 1; "²" is not one of them'),
        ("/role ² mentor", 'No member of Harbour Exchange is called "²"'),
        ("/done ²", "Say which commitment by its number"),
        ("/commit by 2027-01-01", "Say what you commit to and by when"),
        ("/commit by", "Say what you commit to and by when"),
    ],
)
async def test_a_clear_reply_and_nothing_changed(
    cohort_bot: BotHarness, line: str, expected: str
) -> None:
    bot = cohort_bot
    before = await dump(bot)
    reply = await bot.ask("coord", line)
    assert expected in reply, reply
    assert BUG not in reply.lower()
    assert await dump(bot) == before


async def test_a_session_within_ten_years_is_fine(cohort_bot: BotHarness) -> None:
    reply = await cohort_bot.ask("coord", '/addsession "Reunion" 2036-06-01 10:00')
    assert 'Scheduled #2 "Reunion"' in reply


@pytest.mark.parametrize(
    "typed", ["UTC\u200b", "\u200bUTC", "U\u200btc", "UTC\ufeff", "\u2066UTC\u2069"]
)
async def test_invisible_characters_in_a_zone_are_ignored(bot: BotHarness, typed: str) -> None:
    reply = await bot.ask("ana", f"/timezone {typed}")
    assert reply.startswith("Your time zone is now UTC."), reply
    assert "Amsterdam" not in reply


async def test_invisible_characters_in_a_country_and_a_city_are_ignored(bot: BotHarness) -> None:
    assert "Africa/Nairobi" in await bot.ask("ana", "/timezone Nai\u200brobi")
    assert "Kenya (KE)" in await bot.ask("ana", "/country K\u200bE")
