"""`forgetme` never leaves an open cohort without a coordinator: its only coordinator is asked to
hand the role over (or close the cohort) first, and nothing is erased meanwhile."""

from __future__ import annotations

from tests.cohorts.helpers import dump, role_of
from tests.harness import BotHarness
from tests.privacy.helpers import person_exists, person_id

HAND_OVER = (
    "You are the only coordinator of Harbour Exchange: erasing you now would leave it with "
    "nobody to run it."
)


async def test_the_only_coordinator_hands_over_first(bot: BotHarness) -> None:
    code = await bot.new_cohort("coord", "Harbour Exchange")
    await bot.send("ana", f"/join {code}")
    before = await dump(bot)
    reply = await bot.ask("coord", "/forgetme")
    assert reply.startswith(HAND_OVER)
    assert "/role USER coordinator" in reply and "/closecohort" in reply
    assert reply.endswith("Nothing was erased.")
    assert await dump(bot) == before  # not even a question is left open
    assert "didn't understand" in await bot.ask("coord", "yes")

    await bot.send("coord", "/role ana coordinator")
    assert "Erase everything now?" in await bot.ask("coord", "/forgetme")
    assert "erased" in await bot.ask("coord", "yes")
    assert await role_of(bot, "ana", "Harbour Exchange") == "coordinator"


async def test_a_co_coordinator_who_leaves_meanwhile_stops_the_erasure(bot: BotHarness) -> None:
    code = await bot.new_cohort("coord", "Harbour Exchange")
    await bot.send("ana", f"/join {code}")
    await bot.send("coord", "/role ana coordinator")
    assert "Erase everything now?" in await bot.ask("coord", "/forgetme")
    await bot.send("ana", "/leave")  # while the question is open, coord becomes the only one
    coord = await person_id(bot, "coord")
    assert coord is not None
    reply = await bot.ask("coord", "yes")
    assert reply.startswith(HAND_OVER) and reply.endswith("Nothing was erased.")
    assert await person_exists(bot, coord)
    assert await role_of(bot, "coord", "Harbour Exchange") == "coordinator"


async def test_after_closing_the_cohort_its_coordinator_may_go(bot: BotHarness) -> None:
    await bot.new_cohort("coord", "Harbour Exchange")
    await bot.send("coord", "/closecohort")
    await bot.send("coord", "yes")
    coord = await person_id(bot, "coord")
    assert coord is not None
    assert "Erase everything now?" in await bot.ask("coord", "/forgetme")
    assert "erased" in await bot.ask("coord", "yes")
    assert not await person_exists(bot, coord)
