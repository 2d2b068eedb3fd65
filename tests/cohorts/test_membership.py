"""Several cohorts: `use` chooses one, the bot asks when a command is ambiguous, `me` lists them."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import Cohort
from tests.cohorts.helpers import dump, role_of
from tests.harness import BotHarness


async def three_cohorts(bot: BotHarness) -> None:
    for name in ("Alpha", "Beta", "Gamma"):
        code = await bot.new_cohort(f"coord-{name}", name)
        await bot.send("ana", f"/join {code}")


async def test_me_lists_cohorts_and_roles(bot: BotHarness) -> None:
    await three_cohorts(bot)
    await bot.send("coord-Beta", "/role ana mentor")
    text = await bot.ask("ana", "/me")
    assert "• Alpha — participant" in text
    assert "• Beta — mentor" in text
    assert "• Gamma — participant ★" in text  # the last joined is the current one


async def test_use_by_number_name_or_code(bot: BotHarness) -> None:
    await three_cohorts(bot)
    assert "Commands now act on Alpha" in await bot.ask("ana", "/use 1")
    assert "Commands now act on Beta" in await bot.ask("ana", "/use beta")
    before = await dump(bot)
    reply = await bot.ask("ana", "/use Delta")
    assert 'not in a cohort called "Delta". Your cohorts: 1. Alpha, 2. Beta, 3. Gamma' in reply
    assert "Which cohort? Your cohorts: 1. Alpha" in await bot.ask("ana", "/use")
    assert await dump(bot) == before


async def test_an_ambiguous_command_asks_which_cohort(bot: BotHarness) -> None:
    await three_cohorts(bot)
    await bot.send("ana", "/leave")  # leaves Gamma, the current one: now none is current
    assert await role_of(bot, "ana", "Gamma") is None
    sent = await bot.send("ana", "/leave")
    assert "several cohorts. Which one" in sent[-1].text
    assert sent[-1].choices == ("Alpha", "Beta")
    assert await role_of(bot, "ana", "Alpha") == "participant"
    assert "You left Beta" in await bot.ask("ana", "2")
    assert await role_of(bot, "ana", "Beta") is None
    assert await role_of(bot, "ana", "Alpha") == "participant"


async def test_a_cohort_created_without_any_zone_follows_its_creator_once_they_set_one(
    bot: BotHarness,
) -> None:
    reply = await bot.ask("coord", '/newcohort "Nairobi Circle"')
    assert "(time zone UTC)" in reply
    assert "Set yours with /timezone" in reply
    reply = await bot.ask("coord", "/timezone Africa/Nairobi")
    assert "Nairobi Circle now uses your time zone too (Africa/Nairobi)" in reply
    async with bot.db.transaction() as session:
        cohort = (await session.execute(select(Cohort))).scalar_one()
        assert cohort.zone == "Africa/Nairobi" and "zone_follows" not in cohort.settings
    # Only once: a later change of the coordinator's own zone leaves the cohort alone.
    assert "now uses" not in await bot.ask("coord", "/timezone Europe/Lisbon")
    # Created with an explicit zone, or by someone with a zone: no hint, nothing follows.
    assert "Set yours" not in await bot.ask("coord", '/newcohort "Lisbon Circle"')
    assert "Set yours" not in await bot.ask("bo", '/newcohort "Lima Circle" America/Lima')
    assert "now uses" not in await bot.ask("bo", "/timezone America/Bogota")
