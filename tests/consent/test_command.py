"""`consent` and `consent SCOPE yes|no`: answers with meanings, in any language, never
defaulted to yes; a bad answer changes nothing; every answer is a new ledger row."""

from __future__ import annotations

import pytest

from tests.consent.helpers import cohort, ledger
from tests.harness import BotHarness


async def test_everything_starts_unanswered_with_meanings(bot: BotHarness) -> None:
    await cohort(bot, "ana")
    reply = await bot.ask("ana", "/consent")
    assert "Your consent in Bridges" in reply
    for label in ("Recording", "Photos", "Sharing notes", "Alumni contact", "Debrief answers"):
        assert f"{label} (" in reply
    assert reply.count("not answered (counts as no)") == 5
    assert "yes" not in reply.replace("(counts as no)", "").split("Not answered counts")[0].lower()
    # each scope has its one-line meaning
    assert "Sessions may be recorded (audio or video)" in reply
    assert "partner organisations" in reply
    assert await ledger(bot) == []


async def test_yes_then_withdraw_appends_rows(bot: BotHarness) -> None:
    await cohort(bot, "ana")
    reply = await bot.ask("ana", "/consent recording yes")
    assert "Recording in Bridges: yes" in reply
    assert "/consent recording no" in reply  # how to withdraw
    reply = await bot.ask("ana", "/consent recording no")
    assert "Recording in Bridges: no, from now on" in reply
    assert "Recording (recording): no" in await bot.ask("ana", "/consent")
    assert await ledger(bot, "ana") == [
        ("recording", "yes", "command", None),
        ("recording", "no", "command", None),
    ]


@pytest.mark.parametrize(
    ("scope", "answer", "stored"),
    [
        ("photos", "YES", ("photos", "yes")),
        ("Photos", "n", ("photos", "no")),
        ("grabación", "sí", ("recording", "yes")),  # Spanish label and word
        ("grabacion", "si", ("recording", "yes")),  # without accents
        ("Enregistrement", "non", ("recording", "no")),  # French
        ("fotos", "não", ("photos", "no")),  # Portuguese word
        ("التسجيل", "نعم", ("recording", "yes")),  # Arabic
        ("partners", "yes", ("sharing", "yes")),  # an English alias
        ("alumni", "oui", ("alumni", "yes")),
        ("debrief", "no", ("debrief", "no")),
    ],
)
async def test_scope_and_answer_in_any_language(
    bot: BotHarness, scope: str, answer: str, stored: tuple[str, str]
) -> None:
    await cohort(bot, "ana")
    await bot.send("ana", f"/consent {scope} {answer}")
    assert await ledger(bot, "ana") == [(*stored, "command", None)]


async def test_replies_in_the_readers_language(bot: BotHarness) -> None:
    await cohort(bot, "ana")
    await bot.send("ana", "/language es")
    reply = await bot.ask("ana", "/consent recording yes")
    assert "Grabación en Bridges: sí" in reply
    reply = await bot.ask("ana", "/consent")
    assert "Tu consentimiento en Bridges" in reply
    assert "sin respuesta (cuenta como no)" in reply


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/consent filming yes", "I don't know the consent scope “filming”"),
        ("/consent recording maybe", "Please answer yes or no (not “maybe”)"),
        ("/consent recording yes please", "Please answer yes or no"),
    ],
)
async def test_bad_input_changes_nothing_and_says_what_to_type(
    bot: BotHarness, text: str, expected: str
) -> None:
    await cohort(bot, "ana")
    reply = await bot.ask("ana", text)
    assert expected in reply
    assert "For example: /consent" in reply
    assert await ledger(bot) == []


async def test_one_scope_shows_state_and_how_to_change(bot: BotHarness) -> None:
    await cohort(bot, "ana")
    await bot.send("ana", "/consent photos no")
    reply = await bot.ask("ana", "/consent photos")
    assert "Photos in Bridges: no" in reply
    assert "Photos taken during sessions" in reply
    assert "/consent photos yes" in reply


async def test_answers_are_per_cohort(bot: BotHarness) -> None:
    code = await cohort(bot, "ana")
    other = await bot.new_cohort("coord", "Second", "UTC")
    await bot.send("ana", f"/join {other}")  # ana's current cohort is now Second
    await bot.send("ana", "/consent recording yes")
    await bot.send("ana", f"/use {code}")
    assert "Recording (recording): not answered" in await bot.ask("ana", "/consent")


async def test_not_for_people_outside_a_cohort(bot: BotHarness) -> None:
    reply = await bot.ask("zoe", "/consent recording yes")
    assert "Recording" not in reply
    assert await ledger(bot) == []
