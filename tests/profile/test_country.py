"""The country for public holidays: guessed from the time zone, it follows a corrected zone;
chosen with `country`, it stays."""

from __future__ import annotations

from tests.harness import BotHarness


async def test_a_guessed_country_follows_a_corrected_zone(bot: BotHarness) -> None:
    reply = await bot.ask("ana", "/timezone America/Bogota")  # the wrong city picked
    assert "I set your country to Colombia from your time zone" in reply
    reply = await bot.ask("ana", "/timezone Africa/Nairobi")
    assert "I set your country to Kenya from your time zone" in reply
    assert "Kenya (KE)" in await bot.ask("ana", "/country")


async def test_a_chosen_country_stays_when_the_zone_changes(bot: BotHarness) -> None:
    await bot.ask("ana", "/timezone America/Bogota")
    assert "France (FR)" in await bot.ask("ana", "/country FR")
    reply = await bot.ask("ana", "/timezone Africa/Nairobi")
    assert "country" not in reply.lower()
    assert "France (FR)" in await bot.ask("ana", "/country")


async def test_a_zone_without_a_country_keeps_the_guess(bot: BotHarness) -> None:
    await bot.ask("ana", "/timezone Europe/Paris")
    await bot.ask("ana", "/timezone UTC")
    assert "France (FR)" in await bot.ask("ana", "/country")
    # and the same zone again says nothing new about the country
    reply = await bot.ask("ana", "/timezone Europe/Paris")
    assert "country" not in reply.lower()
