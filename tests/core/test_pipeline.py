"""The inbound pipeline through the whole bot on the console: dedupe, questions, refusals,
rollback on a person's mistake, apology on a bug, persistence across a restart."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.errors import UserError
from bot.messages import Address, Inbound
from bot.question_tags import ref_of
from storage.models import PendingQuestion, Person, ProcessedUpdate
from tests.conftest import START
from tests.harness import BotHarness


async def test_the_same_update_twice_is_handled_once(bot: BotHarness) -> None:
    inbound = bot.console.inbound("ana", "/timezone Europe/Berlin")
    await bot.app.runtime.handle(inbound)
    await bot.app.runtime.handle(inbound)
    await bot.app.runtime.settle()
    assert len(bot.to("ana")) == 1
    async with bot.db.transaction() as session:
        count = await session.execute(select(func.count()).select_from(ProcessedUpdate))
        assert count.scalar_one() == 1


async def test_choice_answered_by_number_label_or_refused(bot: BotHarness) -> None:
    await bot.send("ana", "/start")
    assert "language" in bot.last_text("ana").lower()
    assert bot.last("ana").choices[:2] == ("English", "español")
    reply = await bot.ask("ana", "7")
    assert "one of the choices" in reply  # no 7th choice: asked again, nothing changed
    reply = await bot.ask("ana", "FRANÇAIS")
    assert "français" in reply.lower()
    async with bot.db.transaction() as session:
        person = (await session.execute(select(Person))).scalar_one()
        assert person.language == "fr"


async def test_a_new_command_cancels_the_pending_question(bot: BotHarness) -> None:
    await bot.send("ana", "/start")
    await bot.send("ana", "/me")
    reply = await bot.ask("ana", "2")
    assert "didn't understand" in reply
    async with bot.db.transaction() as session:
        assert (
            await session.execute(select(func.count()).select_from(PendingQuestion))
        ).scalar_one() == 0


async def test_unknown_command_is_answered_in_the_persons_language(bot: BotHarness) -> None:
    await bot.send("ana", "/language es")
    reply = await bot.ask("ana", "/frobnicate")
    assert "frobnicate" in reply and "know the command" not in reply  # Spanish, not English


async def test_a_persons_mistake_rolls_back_everything_the_handler_did(bot: BotHarness) -> None:
    async def half_then_fail(ctx, args):
        ctx.require_person().timezone = "Asia/Tokyo"
        await ctx.reply("core.not_understood")
        raise UserError("core.too_long", limit=1, length=2)

    spec = bot.app.runtime.pipeline.router.commands["me"]
    bot.app.runtime.pipeline.router.commands["me"] = replace(spec, handler=half_then_fail)
    replies = await bot.send("ana", "/me")
    assert [m.text for m in replies] == [
        "That message is too long (2 characters; the limit is 1). Nothing was changed."
    ]
    async with bot.db.transaction() as session:
        assert (await session.execute(select(Person.timezone))).scalar_one() is None


async def test_a_bug_gets_an_apology_and_a_logged_reference(
    bot: BotHarness, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(ctx, args):
        raise RuntimeError("boom")

    spec = bot.app.runtime.pipeline.router.commands["me"]
    bot.app.runtime.pipeline.router.commands["me"] = replace(spec, handler=broken)
    with caplog.at_level(logging.ERROR):
        reply = await bot.ask("ana", "/me secret words")
    assert "Sorry, something went wrong" in reply and "Traceback" not in reply
    ref = reply.rsplit("reference ", 1)[1].rstrip(")")
    logged = [r for r in caplog.records if r.getMessage() == "handler failed"]
    assert logged and getattr(logged[0], "correlation_id", None) == ref
    assert "secret words" not in caplog.text


async def test_group_chat_plain_text_is_ignored_and_commands_for_other_bots_too(
    bot: BotHarness,
) -> None:
    assert await bot.send("ana", "hello everyone", chat="team") == []
    bot.app.services.bot_names["console"] = "cohortbot"
    assert await bot.send("ana", "/help@otherbot", chat="team") == []
    replies = await bot.send("ana", "/help@cohortbot", chat="team")
    assert replies and replies[0].chat == "team" and replies[0].to is None


async def test_profiles_survive_a_restart(db_url: str, tmp_path: Path) -> None:
    first = await BotHarness.create(db_url, tmp_path, START)
    await first.send("ana", "/timezone America/Sao_Paulo")
    await first.send("ana", "/language pt_BR")
    await first.close()
    second = await BotHarness.create(db_url, tmp_path, START)
    try:
        reply = await second.ask("ana", "/me")
        assert "America/Sao_Paulo" in reply and "português" in reply.lower()
    finally:
        await second.close()


async def test_buttons_carry_the_question_id(bot: BotHarness) -> None:
    await bot.send("ana", "/start")
    async with bot.db.transaction() as session:
        question = (await session.execute(select(PendingQuestion))).scalar_one()
    press = Inbound(
        platform="console",
        update_id="press-1",
        user_id="ana",
        chat=Address("console", "ana"),
        text="",
        received_at=START,
        question=ref_of(question.id, question.kind, question.nonce),
        choice_key="es",
    )
    await bot.app.runtime.handle(press)
    await bot.app.runtime.settle()
    assert "español" in bot.to("ana")[-2].text.lower()
    stale = replace(press, update_id="press-2")
    await bot.app.runtime.handle(stale)
    await bot.app.runtime.settle()
    expired = bot.app.services.catalogs.translator("es").t("core.question_expired")
    assert bot.last_text("ana") == expired


async def test_a_flood_or_a_long_text_in_a_group_is_answered_privately_or_not_at_all(
    bot: BotHarness,
) -> None:
    await bot.send("ana", "/help")  # ana has a private chat with the bot; bo has none
    long = "/help " + "x" * 4_100
    for name in ("ana", "bo"):
        await bot.send(name, long, chat="team")
    assert bot.in_chat("team") == []
    assert "too long" in bot.last_text("ana")
    assert bot.to("bo") == []
    for _ in range(40):  # past the per-person limit of 30 a minute
        await bot.send("ana", "/nosuch", chat="team")
    assert bot.in_chat("team") == []
    assert sum("very fast" in m.text for m in bot.to("ana")) == 1


async def test_a_sustained_flood_earns_a_warning_now_and_then_not_one_per_message(
    bot: BotHarness,
) -> None:
    from datetime import timedelta

    for _ in range(120):  # one command a second for two minutes (the limit: 30 a minute)
        await bot.send("ana", "/help")
        bot.clock.advance(timedelta(seconds=1))
    warnings = sum("very fast" in m.text for m in bot.to("ana"))
    answered = sum("/timezone" in m.text for m in bot.to("ana"))
    assert 1 <= warnings <= 3
    assert 30 <= answered <= 90  # 30 at once, then 30 a minute
    assert "/timezone" in await bot.ask("bo", "/help")
