"""A new command cancels the person's pending confirmation, and says so after its own answer;
questions that survive commands (sticky ones) and expired ones are not mentioned."""

from __future__ import annotations

from datetime import timedelta

from tests.harness import BotHarness


async def _late_session(bot: BotHarness) -> None:
    code = await bot.new_cohort("coord", "Exchange", "Europe/Berlin")
    await bot.ask("bo", "/timezone Asia/Tokyo")
    await bot.ask("bo", f"/join {code}")
    reply = await bot.ask("coord", '/addsession "Late" 2026-12-04 18:00')
    assert "Schedule it anyway and tell everyone?" in reply


async def test_a_command_that_drops_schedule_it_anyway_says_so(bot: BotHarness) -> None:
    await _late_session(bot)
    mark = len(bot.sent)
    await bot.send("coord", "/me")
    replies = [m.text for m in bot.sent[mark:] if m.to == "coord"]
    assert replies[0].startswith("Your profile")
    assert replies[-1] == (
        "Your pending question “Schedule it anyway?” was cancelled by your new command: "
        "nothing was saved and nobody was told."
    )
    assert "There are no upcoming sessions" in await bot.ask("coord", "/sessions")
    # nothing pending any more: the next command says nothing of it
    assert "pending" not in await bot.ask("coord", "/me")


async def test_asking_the_same_question_again_is_not_a_cancellation(bot: BotHarness) -> None:
    await _late_session(bot)
    reply = await bot.ask("coord", '/addsession "Late" 2026-12-04 18:00')
    assert reply.endswith("Schedule it anyway and tell everyone?")


async def test_an_expired_confirmation_is_not_mentioned(bot: BotHarness) -> None:
    await bot.ask("ana", "/forgetme")
    await bot.advance(timedelta(hours=1))  # the erasure question lasts 15 minutes
    assert "pending" not in await bot.ask("ana", "/me")


async def test_the_erasure_question_dropped_in_the_persons_language(bot: BotHarness) -> None:
    await bot.ask("ana", "/language fr")
    await bot.ask("ana", "/forgetme")
    reply = await bot.ask("ana", "/me")
    assert "Votre effacement en attente a été annulé" in reply
    assert "rien n’a été effacé" in reply
