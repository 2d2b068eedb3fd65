"""`consentreport [SESSION]` and the do-not-record list: counts, who said no or has not
answered, facts without pressure; the list reaches staff 15 minutes before each recorded
occurrence, once, and a withdrawal after that reaches them at once."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from tests.consent.helpers import LIST, cohort, prompts, recorded_session
from tests.harness import BotHarness

START = datetime(2026, 12, 5, 14, 0, tzinfo=UTC)
# Words that blame, pressure or single people out: never in what staff read.
PRESSURE = re.compile(
    r"refus|fail|still ha|yet to|haven't|hasn't|remind|chase|persuade|convince|urge|"
    r"follow up|must|should|!|problem|non-?complian|missing",
    re.IGNORECASE,
)


async def answered(bot: BotHarness) -> None:
    await cohort(bot, "ana", "ben", "cai")
    await bot.send("ana", "/consent recording yes")
    await bot.send("ana", "/consent photos yes")
    await bot.send("ben", "/consent recording no")
    await bot.send("ben", "/consent photos yes")
    await bot.send("cai", "/consent sharing yes")


async def test_counts_and_names_without_pressure(bot: BotHarness) -> None:
    await answered(bot)
    reply = await bot.ask("coord", "/consentreport")
    assert "Consent in Bridges (4 people)" in reply
    assert "Recording: yes 1 · no 1 · not answered 2" in reply
    assert "No: ben" in reply
    assert "Not answered: coord, cai" in reply
    assert "Sharing notes: yes 1 · no 0 · not answered 3" in reply
    assert "Not answered counts as no." in reply
    assert "don't ask anyone to explain or change theirs" in reply
    assert not PRESSURE.search(reply), PRESSURE.search(reply)


async def test_session_report_has_the_do_not_record_list(bot: BotHarness) -> None:
    await answered(bot)
    await recorded_session(bot)
    await bot.send("cai", "/consent photos yes")
    reply = await bot.ask("coord", "/consentreport 1")
    assert "Session 1 “Story circle”" in reply
    assert LIST in reply
    listed = reply.split(LIST, 1)[1]
    assert "ben — Recording: no" in listed
    assert "cai — Recording: not answered (counts as no)" in listed
    assert "ana" not in listed  # said yes to both
    assert not PRESSURE.search(reply)


async def test_report_for_a_session_that_is_not_recorded(bot: BotHarness) -> None:
    await answered(bot)
    await bot.send("coord", '/addsession "Plain" 2026-12-05 15:00')
    reply = await bot.ask("coord", "/consentreport 1")
    assert "Session 1 is not marked as recorded." in reply
    assert LIST not in reply


@pytest.mark.parametrize("arg", ["7", "abc"])
async def test_unknown_session_says_what_to_type(bot: BotHarness, arg: str) -> None:
    await answered(bot)
    reply = await bot.ask("coord", f"/consentreport {arg}")
    assert f"There is no session “{arg}”" in reply
    assert "/consentreport 1" in reply


async def test_facilitators_may_participants_may_not(bot: BotHarness) -> None:
    await answered(bot)
    await bot.send("coord", "/role ana facilitator")
    assert "Consent in Bridges" in await bot.ask("ana", "/consentreport")
    reply = await bot.ask("ben", "/consentreport")
    assert "Consent in Bridges" not in reply
    assert "ana" not in reply


async def test_list_goes_to_staff_15_minutes_before_once(bot: BotHarness) -> None:
    await answered(bot)
    await bot.send("coord", "/role ana facilitator")
    await recorded_session(bot, extra="every week until 2026-12-13")
    await bot.advance(START - timedelta(minutes=16) - bot.clock.now())
    assert prompts(bot, "coord", LIST) == []
    await bot.advance(timedelta(minutes=2))
    [sent] = prompts(bot, "coord", LIST)
    assert sent.at == START - timedelta(minutes=15)
    assert "ben — Recording: no" in sent.text
    assert len(prompts(bot, "ana", LIST)) == 1  # facilitators too
    assert prompts(bot, "ben", LIST) == prompts(bot, "cai", LIST) == []  # never participants
    await bot.advance(timedelta(hours=2))
    assert len(prompts(bot, "coord", LIST)) == 1
    await bot.advance(timedelta(days=7))
    assert len(prompts(bot, "coord", LIST)) == 2  # the next week's occurrence


async def test_withdrawal_right_before_the_session_reaches_staff_at_once(
    bot: BotHarness,
) -> None:
    await answered(bot)
    await recorded_session(bot)
    await bot.advance(START - timedelta(minutes=10) - bot.clock.now())
    reply = await bot.ask("ana", "/consent photos no")
    assert "Photos in Bridges: no, from now on" in reply
    update = bot.last_text("coord")
    assert "Update to the do-not-record list" in update
    assert "ana — Photos: no, from now on." in update
    # and the report shows it straight away
    assert "ana — Photos: no" in await bot.ask("coord", "/consentreport 1")


async def test_withdrawal_long_before_updates_the_list_itself(bot: BotHarness) -> None:
    await answered(bot)
    await recorded_session(bot)
    await bot.send("ana", "/consent recording no")
    assert "Update to the do-not-record list" not in bot.last_text("coord")
    await bot.advance(START - bot.clock.now())
    [sent] = prompts(bot, "coord", LIST)
    assert "ana — Recording: no" in sent.text


async def test_roster_shows_each_members_answers(bot: BotHarness) -> None:
    await answered(bot)
    roster = await bot.ask("coord", "/roster")
    [ben] = [line for line in roster.splitlines() if "ben" in line]
    assert "consent: yes Photos; no Recording" in ben
    [coord] = [line for line in roster.splitlines() if "coord" in line and "consent" in line]
    assert "consent: not answered" in coord
