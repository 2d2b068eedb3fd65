"""Consent expiry: coordinators set how long a yes lasts; when it expires the bot asks once,
then stops; an expired yes is unanswered, never yes; a no never expires."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.consent.helpers import RENEWAL, cohort, ledger, prompts
from tests.harness import BotHarness


async def test_a_yes_shows_when_it_expires(bot: BotHarness) -> None:
    await cohort(bot, "ana")
    reply = await bot.ask("coord", "/consentexpiry 6m")
    assert "A yes in Bridges now lasts 6 months" in reply
    reply = await bot.ask("ana", "/consent recording yes")
    assert "This yes lasts until Tuesday, June 1, 2027" in reply
    assert "yes, until Tuesday, June 1, 2027" in await bot.ask("ana", "/consent")


async def test_a_yes_expires_and_is_asked_about_once(bot: BotHarness) -> None:
    await cohort(bot, "ana")
    await bot.send("coord", "/consentexpiry 2w")
    await bot.send("ana", "/consent recording yes")
    await bot.advance(timedelta(days=13, hours=23))
    assert prompts(bot, "ana", RENEWAL) == []
    await bot.advance(timedelta(hours=1))
    [asked] = prompts(bot, "ana", RENEWAL)
    assert "you said yes to Recording on Tuesday, December 1, 2026" in asked.text
    assert "A yes in this program lasts 2 weeks" in asked.text
    assert "This is the only time you are asked." in asked.text
    assert list(asked.choices) == ["Yes", "No", "Not now"]
    # unanswered now, not yes
    assert "Recording (recording): not answered (the yes expired on" in await bot.ask(
        "ana", "/consent"
    )
    await bot.advance(timedelta(days=60))
    assert len(prompts(bot, "ana", RENEWAL)) == 1


async def test_renewal_answered_yes_starts_a_new_period(bot: BotHarness) -> None:
    await cohort(bot, "ana")
    await bot.send("coord", "/consentexpiry 2w")
    await bot.send("ana", "/consent photos yes")
    await bot.advance(timedelta(days=15))
    assert len(prompts(bot, "ana", RENEWAL)) == 1
    reply = await bot.ask("ana", "yes")
    assert "Photos in Bridges: yes" in reply
    assert [row[:3] for row in await ledger(bot, "ana")] == [
        ("photos", "yes", "command"),
        ("photos", "yes", "renewal"),
    ]
    await bot.advance(timedelta(days=15))
    assert len(prompts(bot, "ana", RENEWAL)) == 2  # the new yes expired too: asked once more


async def test_not_now_leaves_it_unanswered(bot: BotHarness) -> None:
    await cohort(bot, "ana")
    await bot.send("coord", "/consentexpiry 2w")
    await bot.send("ana", "/consent photos yes")
    await bot.advance(timedelta(days=15))
    reply = await bot.ask("ana", "Not now")
    assert "Photos counts as no until you say otherwise" in reply
    assert len(await ledger(bot, "ana")) == 1
    await bot.advance(timedelta(days=60))
    assert len(prompts(bot, "ana", RENEWAL)) == 1


async def test_a_no_never_expires(bot: BotHarness) -> None:
    await cohort(bot, "ana")
    await bot.send("coord", "/consentexpiry 2w")
    await bot.send("ana", "/consent photos no")
    await bot.advance(timedelta(days=60))
    assert prompts(bot, "ana", RENEWAL) == []
    assert "Photos (photos): no" in await bot.ask("ana", "/consent")


async def test_setting_applies_to_answers_already_given(bot: BotHarness) -> None:
    await cohort(bot, "ana", "ben")
    await bot.send("ana", "/consent recording yes")
    await bot.advance(timedelta(days=40))
    await bot.send("ben", "/consent recording yes")
    reply = await bot.ask("coord", "/consentexpiry 1m")
    assert "1 answer has already expired under this setting" in reply
    await bot.advance(timedelta(hours=1))
    assert len(prompts(bot, "ana", RENEWAL)) == 1
    assert prompts(bot, "ben", RENEWAL) == []
    report = await bot.ask("coord", "/consentreport")
    assert "Recording: yes 1 · no 0 · not answered 2" in report
    await bot.advance(timedelta(days=31))
    assert len(prompts(bot, "ben", RENEWAL)) == 1
    assert len(prompts(bot, "ana", RENEWAL)) == 1


async def test_renewal_waits_for_the_end_of_quiet_hours(bot: BotHarness) -> None:
    await cohort(bot, "ana")
    await bot.send("ana", "/timezone Europe/Berlin")
    await bot.send("coord", "/consentexpiry 2w")
    await bot.advance(timedelta(hours=13))  # 22:00 UTC = 23:00 in Berlin: quiet hours
    await bot.send("ana", "/consent photos yes")
    await bot.advance(timedelta(days=15))
    [asked] = prompts(bot, "ana", RENEWAL)
    assert asked.at.hour == 7  # 08:00 Berlin, when the quiet hours end


async def test_off_keeps_the_expiry_answers_were_given_with(bot: BotHarness) -> None:
    await cohort(bot, "ana")
    await bot.send("coord", "/consentexpiry 2w")
    await bot.send("ana", "/consent photos yes")
    reply = await bot.ask("coord", "/consentexpiry off")
    assert "from now on will not expire" in reply
    await bot.send("ana", "/consent recording yes")
    await bot.advance(timedelta(days=15))
    [asked] = prompts(bot, "ana", RENEWAL)
    assert "Photos" in asked.text
    assert "Recording (recording): yes" in await bot.ask("ana", "/consent")


async def test_show_current_setting(bot: BotHarness) -> None:
    await cohort(bot)
    assert "Consents in Bridges do not expire" in await bot.ask("coord", "/consentexpiry")
    await bot.send("coord", "/consentexpiry 1y")
    assert "A yes in Bridges lasts 1 year" in await bot.ask("coord", "/consentexpiry")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("soon", "“soon” is not a period I understand"),
        ("3d", "outside the allowed range"),
        ("6y", "outside the allowed range"),
    ],
)
async def test_bad_expiry_changes_nothing(bot: BotHarness, value: str, expected: str) -> None:
    await cohort(bot)
    reply = await bot.ask("coord", f"/consentexpiry {value}")
    assert expected in reply
    assert "/consentexpiry 6m" in reply
    assert "do not expire" in await bot.ask("coord", "/consentexpiry")


async def test_only_coordinators_set_expiry(bot: BotHarness) -> None:
    await cohort(bot, "ana")
    await bot.send("coord", "/role ana facilitator")
    reply = await bot.ask("ana", "/consentexpiry 1m")
    assert "lasts" not in reply
    assert "do not expire" in await bot.ask("coord", "/consentexpiry")
