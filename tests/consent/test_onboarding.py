"""Onboarding asks for the core scopes once, each skippable, after the privacy notice."""

from __future__ import annotations

from tests.consent.helpers import ledger
from tests.harness import BotHarness


async def start(bot: BotHarness, name: str) -> None:
    code = await bot.new_cohort("coord", "Bridges", "Europe/Berlin")
    await bot.send(name, f"/start {code}")
    await bot.send(name, "1")  # English
    await bot.send(name, "Berlin")
    reply = await bot.ask(name, "understood")
    assert "A few questions about consent in Bridges" in reply
    assert "Each one is optional" in reply
    assert "(1/5) Recording" in reply


async def test_each_scope_once_each_skippable(bot: BotHarness) -> None:
    await start(bot, "ana")
    assert "(2/5) Photos" in await bot.ask("ana", "yes")
    assert "(3/5) Sharing notes" in await bot.ask("ana", "No")
    assert "(4/5) Alumni contact" in await bot.ask("ana", "Skip")
    assert "(5/5) Debrief answers" in await bot.ask("ana", "3")  # by number: skip
    reply = await bot.ask("ana", "1")
    assert "You can see and change your answers at any time with /consent" in reply
    assert "all set" in reply  # onboarding finished
    assert await ledger(bot, "ana") == [
        ("recording", "yes", "onboarding", None),
        ("photos", "no", "onboarding", None),
        ("debrief", "yes", "onboarding", None),
    ]
    shown = await bot.ask("ana", "/consent")
    assert "Sharing notes (sharing): not answered" in shown


async def test_skip_the_rest_finishes_at_once(bot: BotHarness) -> None:
    await start(bot, "ana")
    reply = await bot.ask("ana", "Skip the rest")
    assert "all set" in reply
    assert await ledger(bot) == []


async def test_repeating_start_asks_only_what_has_no_answer(bot: BotHarness) -> None:
    await start(bot, "ana")
    await bot.send("ana", "yes")
    await bot.send("ana", "Skip the rest")
    await bot.send("ana", "/start")
    await bot.send("ana", "1")
    await bot.send("ana", "Berlin")
    reply = await bot.ask("ana", "understood")
    assert "(1/4) Photos" in reply
    await bot.send("ana", "Skip the rest")
    for scope in ("photos", "sharing", "alumni", "debrief"):
        await bot.send("ana", f"/consent {scope} no")
    await bot.send("ana", "/start")
    await bot.send("ana", "1")
    await bot.send("ana", "Berlin")
    reply = await bot.ask("ana", "understood")
    assert "consent" not in reply.lower()
    assert "all set" in reply


async def test_without_a_cohort_there_is_nothing_to_ask(bot: BotHarness) -> None:
    await bot.send("zoe", "/start")
    await bot.send("zoe", "1")
    await bot.send("zoe", "Berlin")
    reply = await bot.ask("zoe", "understood")
    assert "consent" not in reply.lower()
    assert "all set" in reply


async def test_a_command_in_between_leaves_the_question_open(bot: BotHarness) -> None:
    await start(bot, "ana")
    await bot.send("ana", "/me")
    assert "(2/5) Photos" in await bot.ask("ana", "no")
    assert await ledger(bot, "ana") == [("recording", "no", "onboarding", None)]
