"""`debriefs` and `debriefsettings`: who may use them, what they show, and bad input."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from storage.models import Cohort
from tests.debrief.helpers import (
    ENDS,
    cohort,
    rounds,
    session,
    until_ended,
)
from tests.harness import BotHarness


async def settings(bot: BotHarness) -> tuple[bool, dict[str, object]]:
    async with bot.db.transaction() as db:
        found = (await db.execute(select(Cohort))).scalar_one()
        return found.anonymous_debriefs, dict(found.settings or {})


async def test_debriefs_is_for_coordinators_and_facilitators(bot: BotHarness) -> None:
    await cohort(bot, "ana", facilitator="fay")
    assert "can't use /debriefs" in await bot.ask("ana", "/debriefs")
    assert "No debriefs yet" in await bot.ask("fay", "/debriefs")
    assert "No debriefs yet" in await bot.ask("coord", "/debriefs")


async def test_debriefs_lists_rounds_and_shows_one_session(bot: BotHarness) -> None:
    await cohort(bot, "ana", "ben", "cy")
    await session(bot)
    await bot.send("coord", '/addsession "Second" 2026-12-02 15:00')
    assert "has no debrief yet" in await bot.ask("coord", "/debriefs 2")
    await until_ended(bot)
    for name in ("ana", "ben", "cy"):
        for text in ("Good pace", "skip", "skip", "4", "Okay"):
            await bot.send(name, text)
    one = await bot.ask("coord", "/debriefs")
    assert "Debrief for #1 “Story circle”" in one  # a single round: its summary
    assert "open until" in one
    assert "Answered: 3 of 3" in one
    assert "“Good pace” — ana" in one
    await bot.advance(timedelta(days=1))
    listing = await bot.ask("coord", "/debriefs")
    assert "#2 “Second”" in listing
    assert "#1 “Story circle”" in listing
    assert listing.index("#2") < listing.index("#1")  # most recent first
    assert "3 of 3 answered" in listing
    assert "0 of 0 answered" not in listing  # nobody answered #2 yet, but 3 were asked
    assert "0 of 3 answered" in listing
    detail = await bot.ask("coord", "/debriefs 1 2026-12-01")
    assert "Answered: 3 of 3" in detail


async def test_debriefs_bad_input_says_what_to_type(bot: BotHarness) -> None:
    await cohort(bot, "ana")
    await session(bot)
    await until_ended(bot)
    assert "There is no session 7" in await bot.ask("coord", "/debriefs 7")
    assert "There is no session x" in await bot.ask("coord", "/debriefs x")
    assert "has no debrief for" in await bot.ask("coord", "/debriefs 1 2026-12-09")
    assert "/debriefs NUMBER [DATE]" in await bot.ask("coord", "/debriefs 1 2026-12-09 extra")
    assert "/debriefs NUMBER [DATE]" in await bot.ask("coord", "/debriefs 1 someday")


async def test_settings_show_and_change(bot: BotHarness) -> None:
    await cohort(bot, "ana")
    shown = await bot.ask("coord", "/debriefsettings")
    assert "named" in shown and "3 days" in shown
    assert "anonymous" in await bot.ask("coord", "/debriefsettings anonymous on")
    assert "2 days" in await bot.ask("coord", "/debriefsettings expiry 48h")
    assert await settings(bot) == (True, {"debrief_window_hours": 48})
    await session(bot)
    await until_ended(bot)
    [debrief] = await rounds(bot)
    assert debrief.anonymous
    assert debrief.closes_at == ENDS + timedelta(hours=48)
    assert "named" in await bot.ask("coord", "/debriefsettings anonymous off")
    assert (await settings(bot))[0] is False


async def test_settings_bad_input_changes_nothing(bot: BotHarness) -> None:
    await cohort(bot, "ana", facilitator="fay")
    before = await settings(bot)
    for text, expected in (
        ("/debriefsettings anonymous maybe", "is neither on nor off"),
        ("/debriefsettings expiry soon", "is not a duration I understand"),
        ("/debriefsettings expiry 2h", "between 12 hours and 14 days"),
        ("/debriefsettings expiry 30d", "between 12 hours and 14 days"),
        ("/debriefsettings colour blue", "/debriefsettings anonymous on|off"),
        ("/debriefsettings anonymous", "/debriefsettings anonymous on|off"),
    ):
        reply = await bot.ask("coord", text)
        assert expected in reply, (text, reply)
    assert await settings(bot) == before
    assert "can't use /debriefsettings" in await bot.ask("fay", "/debriefsettings anonymous on")
    assert await settings(bot) == before
