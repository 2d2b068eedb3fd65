"""`mydata`'s readable summary: what the bot holds (counts per kind), why, for how long, and
how to erase it, in the person's language, beside the JSON file."""

from __future__ import annotations

from datetime import timedelta

from tests.harness import BotHarness
from tests.privacy.helpers import export_of


async def _member(bot: BotHarness, lang: str | None = None) -> None:
    code = await bot.new_cohort("coord", "Harbour Exchange", "Europe/Lisbon")
    if lang:
        await bot.ask("ana", f"/language {lang}")
    await bot.ask("ana", "/timezone Africa/Nairobi")
    await bot.ask("ana", f"/join {code}")
    await bot.ask("ana", "/consent photos no")
    await bot.ask("ana", "/consent recording yes")


async def test_the_summary_counts_what_the_export_holds(bot: BotHarness) -> None:
    await _member(bot)
    reply = await bot.ask("ana", "/mydata")
    data, _raw = export_of(bot, "ana")  # the JSON file is still there
    assert len(data["tables"]["consent_record"]) == 2
    assert "In short, this is what I hold about you:" in reply
    assert "• Your profile: time zone and country (for public holidays)" in reply
    assert "• 1 platform account (Telegram, Matrix)" in reply
    assert "• 1 cohort membership" in reply
    assert "• 2 consent answers" in reply
    assert "Kept until you erase it." in reply
    assert "I never store the text of your messages." in reply
    assert "To erase all of it: /forgetme (I ask you to confirm first)." in reply
    assert "• 1 debrief" not in reply and "debrief answers with your name" not in reply


async def test_the_retention_comes_from_the_configuration(bot: BotHarness) -> None:
    await _member(bot)
    await bot.ask("coord", '/addsession "Circle" 2026-12-01 11:00')
    await bot.ask("ana", "/consent debrief yes")
    await bot.advance(timedelta(hours=4))  # it has ended: the debrief's first question
    assert "What worked well for you?" in bot.last_text("ana")
    await bot.ask("ana", "The circle")  # a named debrief answer
    reply = await bot.ask("ana", "/mydata")
    days = bot.app.services.config.privacy.debrief_retention_days
    assert "• 1 debrief answer with your name" in reply
    assert f"Kept {days} days after the cohort closes." in reply


async def test_the_summary_speaks_the_persons_language(bot: BotHarness) -> None:
    await _member(bot, "ar")
    reply = await bot.ask("ana", "/mydata")
    assert "باختصار، هذا ما أحتفظ به عنك:" in reply
    assert "• ردّان على طلبات الموافقة" in reply  # the dual, not "2 ..."
    assert "لحذف كل ذلك" in reply and "/forgetme" in reply
