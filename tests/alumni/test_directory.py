"""The opt-in alumni directory: `directory on ["INTERESTS"] [LANGUAGE ...]`, `directory off`,
and `alumni [FILTER]` by language, country, world region or interest -- only people who opted
in, and only once one of their cohorts has closed."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storage.models import DirectoryEntry
from tests.alumni.helpers import close, cohort, person_id
from tests.cohorts.helpers import dump
from tests.harness import BotHarness


async def world(bot: BotHarness) -> None:
    await cohort(bot, "ana", "bo", "chen", "dan")
    await bot.send("ana", "/language pt_BR")
    await bot.send("ana", "/timezone America/Sao_Paulo")  # Brazil
    await bot.send("bo", "/language es")
    await bot.send("bo", "/timezone Africa/Nairobi")  # Kenya
    await bot.send("chen", "/timezone Europe/Berlin")  # Germany
    await bot.send("ana", '/directory on "community radio, land rights"')
    await bot.send("bo", '/directory on "media literacy" sw fr')
    await bot.send("chen", "/directory on")
    # dan never opts in
    await close(bot)
    # eve opts in, but her only cohort is still running
    code = await bot.new_cohort("coord2", "Rivers")
    await bot.send("eve", f"/join {code}")
    await bot.send("eve", '/directory on "radio"')


def names(reply: str) -> set[str]:
    return {line.split(" — ")[0].removeprefix("• ") for line in reply.splitlines() if "• " in line}


async def test_opting_in_shows_what_others_will_see(bot: BotHarness) -> None:
    await cohort(bot, "ana")
    await bot.send("ana", "/timezone Africa/Nairobi")
    reply = await bot.ask("ana", '/directory on "land rights, media" Swahili fr')
    assert "You are now listed in the alumni directory" in reply
    assert "Languages: English, Swahili, and French" in reply
    assert "Country: Kenya" in reply
    assert "Interests: land rights, media" in reply
    assert "once one of your cohorts has ended" in reply
    assert "To leave the directory: /directory off" in reply
    status = await bot.ask("ana", "/directory")
    assert "You are listed in the alumni directory" in status
    assert "Interests: land rights, media" in status
    # a later `on` without interests keeps them
    assert "Interests: land rights, media" in await bot.ask("ana", "/directory on")


async def test_only_people_who_opted_in_and_whose_cohort_closed(bot: BotHarness) -> None:
    await world(bot)
    reply = await bot.ask("dan", "/alumni")
    assert "3 people are in the alumni directory:" in reply
    assert names(reply) == {"ana", "bo", "chen"}
    assert "• bo — Spanish, Swahili, and French · Kenya — Bridges — reach: bo" in reply
    assert "Interests: community radio, land rights" in reply
    # nobody sees themselves
    assert names(await bot.ask("ana", "/alumni")) == {"bo", "chen"}


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("es", {"bo"}),  # language code
        ("Spanish", {"bo"}),  # language name
        ("french", {"bo"}),  # a language they added
        ("pt", {"ana"}),  # pt_BR counts as Portuguese
        ("Portuguese", {"ana"}),
        ("Kenya", {"bo"}),  # country name
        ("DE", {"chen"}),  # country code (no language "de" listed)
        ("Africa", {"bo"}),  # region
        ("Europe", {"chen"}),
        ("South America", {"ana"}),
        ("Latin America", {"ana"}),
        ("radio", {"ana"}),  # interest
        ("LAND RIGHTS", {"ana"}),
        ("media", {"bo"}),
        ("English", {"chen"}),
    ],
)
async def test_filters(bot: BotHarness, query: str, found: set[str]) -> None:
    await world(bot)
    reply = await bot.ask("dan", f"/alumni {query}")
    assert names(reply) == found, reply
    assert f"match “{query}”" in reply or f"matches “{query}”" in reply


async def test_region_names_in_the_readers_language(bot: BotHarness) -> None:
    await world(bot)
    await bot.send("dan", "/language es")
    assert names(await bot.ask("dan", "/alumni África")) == {"bo"}
    assert names(await bot.ask("dan", "/alumni alemania")) == {"chen"}


async def test_nobody_matches(bot: BotHarness) -> None:
    await world(bot)
    reply = await bot.ask("dan", "/alumni Klingon opera")
    assert "Nobody in the directory matches “Klingon opera”" in reply
    assert "/alumni" in reply


async def test_empty_directory(bot: BotHarness) -> None:
    await cohort(bot, "ana", "bo")
    await close(bot)
    reply = await bot.ask("ana", "/alumni")
    assert "Nobody has listed themselves in the alumni directory yet" in reply
    assert '/directory on "…"' in reply


async def test_off_deletes_the_listing(bot: BotHarness) -> None:
    await world(bot)
    reply = await bot.ask("bo", "/directory off")
    assert "Ya no figuras en el directorio" in reply  # bo reads Spanish
    bo = await person_id(bot, "bo")
    async with bot.db.transaction() as session:
        left = await session.execute(select(DirectoryEntry).where(DirectoryEntry.person_id == bo))
        assert left.scalar_one_or_none() is None
    assert names(await bot.ask("dan", "/alumni")) == {"ana", "chen"}
    assert "You are not listed" in await bot.ask("dan", "/directory")


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("/directory maybe", 'Say “on” or “off”, for example: /directory on "land rights, media"'),
        ("/directory on " + '"' + "x" * 301 + '"', "under 300 characters"),
        ("/directory off", "You are not listed in the alumni directory; nothing to change"),
    ],
)
async def test_bad_input_changes_nothing(bot: BotHarness, command: str, expected: str) -> None:
    await world(bot)
    before = await dump(bot)
    assert expected in await bot.ask("dan", command)
    assert await dump(bot) == before
