"""Mistakes get a clear reply that says what to type instead, and nothing is stored or sent."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from bot.config import load_config
from tests.broadcast.helpers import announcements, broadcast_rows, cohort_with
from tests.conftest import START
from tests.harness import BotHarness


async def nothing_happened(bot: BotHarness) -> None:
    await bot.advance(timedelta(minutes=5))
    assert await announcements(bot.db) == []
    assert await broadcast_rows(bot.db) == []
    assert [m for m in bot.to("ana") if m.text.startswith("📣")] == []


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("/announce", r"Write the announcement in quotes"),
        ('/announce ""', r"Write the announcement in quotes"),
        ("/announce    ", r"Write the announcement in quotes"),
        ('/announce "Hi" tomorrow', r"don't understand \"tomorrow\" after the text"),
        ('/announce "Hi" at', r"couldn't read \"\" as a date"),
        ('/announce "Hi" at next tuesday', r"couldn't read \"next tuesday\" as a date"),
        ('/announce "Hi" at 2026-13-40 10:00', r"couldn't read \"2026-13-40 10:00\""),
        ('/announce "Hi" at 2026-11-30 10:00', r"already in the past.*Nothing was sent"),
        ('/announce "Hi" at 2026-12-01 08:59 UTC', r"already in the past"),
        ('/announce "Hi" at 2026-12-03 10:00 Xyzzyville', r"Xyzzyville"),
        ('/announce "Hi" to wizards', r"don't understand the target \"wizards\""),
        ('/announce "Hi" to lang:xx', r"target \"lang:xx\""),
        ('/announce "Hi" to rsvp:x:yes', r"target \"rsvp:x:yes\""),
        ('/announce "Hi" to rsvp:1:perhaps', r"target \"rsvp:1:perhaps\""),
        ('/announce "Hi" to rsvp:9:yes', r"no session 9"),
        ('/announce "Hi" to', r"target \"\""),
        ('/announce "Hi" to lang:fr', r"Nobody in this cohort matches"),
    ],
)
async def test_bad_announce_is_refused_and_nothing_changes(
    bot: BotHarness, command: str, expected: str
) -> None:
    import re

    await cohort_with(bot, "ana")
    reply = await bot.ask("coord", command)
    assert re.search(expected, reply), reply
    await nothing_happened(bot)


async def test_text_too_long_for_telegram_once_formatted_is_refused(bot: BotHarness) -> None:
    await cohort_with(bot, "ana")
    # 3,000 characters, 6,000 UTF-16 units: under the bot's input limit, over Telegram's.
    reply = await bot.ask("coord", '/announce "' + "🎉" * 3000 + '"')
    assert "announcement is 60" in reply and "Telegram allows 4096" in reply
    await nothing_happened(bot)


async def test_text_that_fits_only_without_the_heading_is_refused(
    db_url: str, tmp_path: Path
) -> None:
    base = load_config(None, env={})
    config = replace(base, bot=replace(base.bot, max_text_length=10_000))
    bot = await BotHarness.create(db_url, tmp_path, START, config)
    try:
        await cohort_with(bot, "ana")
        reply = await bot.ask("coord", '/announce "' + "x" * 4090 + '"')
        assert "Telegram allows 4096" in reply
        reply = await bot.ask("coord", '/announce "' + "x" * 4000 + '"')
        assert "It goes to 2 members privately" in reply
        await bot.send("coord", "1")
        assert [m for m in bot.to("ana") if m.text.endswith("x" * 4000)] != []
    finally:
        await bot.close()


async def test_bad_translate_and_cancel_are_refused(bot: BotHarness) -> None:
    await cohort_with(bot, "ana")
    await bot.send("coord", '/announce "Lunch at one"')
    cases = [
        ("/translate", "Write the announcement's number, the language and the text"),
        ("/translate 1 es", "Write the announcement's number"),
        ('/translate one es "Hola"', "Write the announcement's number"),
        ('/translate 7 es "Hola"', "no announcement #7"),
        ('/translate 1 klingon "Hola"', 'don\'t know the language "klingon"'),
        ('/translate 1 en "Lunch"', "already written in English"),
        ('/translate 1 es "' + "🎉" * 3000 + '"', "Telegram allows 4096"),
        ("/cancelannouncement", "Which announcement?"),
        ("/cancelannouncement x", "Which announcement?"),
        ("/cancelannouncement 9", "no announcement #9"),
    ]
    for command, expected in cases:
        reply = await bot.ask("coord", command)
        assert expected in reply, (command, reply)
    (draft,) = await announcements(bot.db)
    assert draft.status == "draft"
    # The draft's confirmation is still open after all that: answering it sends the original.
    await bot.send("coord", "1")
    assert [m for m in bot.to("ana") if "Lunch at one" in m.text] != []


async def test_cancelling_a_delivered_announcement_is_refused(bot: BotHarness) -> None:
    await cohort_with(bot, "ana")
    await bot.send("coord", '/announce "Done deal"')
    await bot.send("coord", "1")
    await bot.advance(timedelta(minutes=2))
    reply = await bot.ask("coord", "/cancelannouncement 1")
    assert "already been delivered" in reply
    (done,) = await announcements(bot.db)
    assert done.status == "done"


async def test_an_answered_confirmation_cannot_be_answered_again(bot: BotHarness) -> None:
    await cohort_with(bot, "ana")
    await bot.send("coord", '/announce "Once only"')
    question = bot.last("coord")
    assert question.choices
    await bot.send("coord", "1")
    reply = await bot.ask("coord", "1")
    assert "didn't understand" in reply  # the question is gone: no second broadcast
    assert len([m for m in bot.to("ana") if "Once only" in m.text]) == 1


async def test_a_draft_cannot_be_confirmed_after_losing_the_coordinator_role(
    bot: BotHarness,
) -> None:
    await cohort_with(bot, "ana")
    await bot.send("coord", "/role ana coordinator")
    await bot.send("ana", '/announce "From Ana"')
    await bot.send("coord", "/role ana participant")
    reply = await bot.ask("ana", "1")
    assert "can't use /announce as participant" in reply
    await bot.advance(timedelta(minutes=5))
    assert [m for m in bot.to("coord") if "From Ana" in m.text] == []
    (draft,) = await announcements(bot.db)
    assert draft.status == "draft"
