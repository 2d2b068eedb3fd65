"""Consecutive updates stored together (Pipeline.handle_many, fed by Telegram's getUpdates
batches): one commit for all of them, each still answered as if it came alone, and a mistake or
a bug in one answered alone without losing the others."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import event, func, select

from bot.messages import Inbound
from storage.models import Identity, Person, ProcessedUpdate
from tests.cohorts.helpers import quick_bot
from tests.harness import BotHarness


@contextmanager
def commits(bot: BotHarness) -> Iterator[list[int]]:
    """Counts the transactions committed meanwhile (in the one-element list)."""
    counted = [0]

    def on_commit(_conn: object) -> None:
        counted[0] += 1

    engine = bot.db.engine.sync_engine
    event.listen(engine, "commit", on_commit)
    try:
        yield counted
    finally:
        event.remove(engine, "commit", on_commit)


async def _handle_many(bot: BotHarness, *messages: tuple[str, str]) -> None:
    inbounds: list[Inbound] = [bot.console.inbound(name, text) for name, text in messages]
    await bot.app.runtime.handle_many(inbounds)
    await bot.app.runtime.settle()


async def _zones(bot: BotHarness) -> dict[str, str | None]:
    async with bot.db.transaction() as session:
        rows = await session.execute(
            select(Identity.external_id, Person.timezone).join(
                Person, Person.id == Identity.person_id
            )
        )
        return {str(row[0]): row[1] for row in rows}


async def test_consecutive_updates_commit_once_and_each_is_answered(bot: BotHarness) -> None:
    for name in ("ana", "ben", "cara"):
        await bot.send(name, "/timezone UTC")
    with commits(bot) as counted:
        await bot.app.runtime.handle_many(
            [
                bot.console.inbound("ana", "/timezone Europe/Berlin"),
                bot.console.inbound("ben", "/timezone Asia/Tokyo"),
                bot.console.inbound("ana", "/quiet 22:00-06:00"),
                bot.console.inbound("cara", "/timezone America/Lima"),
            ]
        )
        stored = counted[0]
    await bot.app.runtime.settle()
    assert stored == 1
    assert await _zones(bot) == {
        "ana": "Europe/Berlin",
        "ben": "Asia/Tokyo",
        "cara": "America/Lima",
    }
    assert "Berlin" in bot.to("ana")[-2].text and "22:00" in bot.last_text("ana")
    assert "Tokyo" in bot.last_text("ben") and "Lima" in bot.last_text("cara")


async def test_a_mistake_among_them_is_answered_alone_and_the_others_are_kept(
    bot: BotHarness,
) -> None:
    await _handle_many(
        bot,
        ("ana", "/timezone Europe/Berlin"),
        ("ben", "/timezone Atlantis/Nowhere"),
        ("ana", "/frobnicate"),
        ("cara", "/timezone Asia/Tokyo"),
    )
    zones = await _zones(bot)
    assert zones == {"ana": "Europe/Berlin", "ben": None, "cara": "Asia/Tokyo"}
    assert "Atlantis/Nowhere" in bot.last_text("ben")
    assert [m.text for m in bot.to("ana")][-1].count("frobnicate") == 1
    assert len(bot.to("ana")) == 2 and len(bot.to("ben")) == 1 and len(bot.to("cara")) == 1
    async with bot.db.transaction() as session:
        stored = await session.execute(select(func.count()).select_from(ProcessedUpdate))
        assert stored.scalar_one() == 4  # each recorded once, the refused ones too


async def test_a_bug_among_them_gets_its_apology_and_the_others_their_answers(
    bot: BotHarness, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(ctx, args):
        raise RuntimeError("boom")

    router = bot.app.runtime.pipeline.router
    router.commands["me"] = replace(router.commands["me"], handler=broken)
    with caplog.at_level(logging.ERROR):
        await _handle_many(
            bot,
            ("ana", "/timezone Europe/Berlin"),
            ("ben", "/me private words"),
            ("cara", "/timezone Asia/Tokyo"),
        )
    assert "Sorry, something went wrong" in bot.last_text("ben")
    assert (await _zones(bot))["ana"] == "Europe/Berlin"
    assert (await _zones(bot))["cara"] == "Asia/Tokyo"
    assert "private words" not in caplog.text


async def test_the_same_update_twice_in_one_group_is_handled_once(bot: BotHarness) -> None:
    inbound = bot.console.inbound("ana", "/timezone Europe/Berlin")
    await bot.app.runtime.handle_many([inbound, inbound])
    await bot.app.runtime.settle()
    assert len(bot.to("ana")) == 1


async def test_updates_run_again_after_a_mistake_count_once_against_the_rate_limit(
    db_url: str, tmp_path: Path
) -> None:
    bot = await quick_bot(db_url, tmp_path, commands_per_minute=2)
    try:
        # ana's first command runs twice (again after ben's mistake); it is still one of two.
        await _handle_many(
            bot,
            ("ana", "/timezone Europe/Berlin"),
            ("ben", "/frobnicate"),
            ("ana", "/timezone Asia/Tokyo"),
        )
        assert (await _zones(bot))["ana"] == "Asia/Tokyo"
        assert not any("very fast" in m.text for m in bot.to("ana"))
        await _handle_many(bot, ("ana", "/timezone America/Lima"))  # the third in a minute
        assert (await _zones(bot))["ana"] == "Asia/Tokyo"
        assert "very fast" in bot.last_text("ana")
    finally:
        await bot.close()
