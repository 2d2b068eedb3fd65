"""Abuse limits: a per-person command rate limit with one polite reply, oversized input refused
unread, invite-code guessing throttled."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.config import load_config
from storage.models import Membership, Person
from tests.conftest import START
from tests.harness import BotHarness
from tests.privacy.helpers import person_id

PER_MINUTE = 5


@pytest.fixture
async def strict_bot(db_url: str, tmp_path: Path) -> AsyncIterator[BotHarness]:
    base = load_config(None, env={})
    config = replace(base, bot=replace(base.bot, commands_per_minute=PER_MINUTE))
    harness = await BotHarness.create(db_url, tmp_path, START, config)
    try:
        yield harness
    finally:
        await harness.close()


async def test_fast_senders_get_one_polite_reply_then_silence_then_service(
    strict_bot: BotHarness,
) -> None:
    bot = strict_bot
    for _ in range(PER_MINUTE):
        assert "Your profile" in await bot.ask("ana", "/me")
    assert "very fast" in await bot.ask("ana", "/me")
    for text in ("/me", "/timezone Nairobi", "hello?"):
        assert await bot.send("ana", text) == []  # silence, and nothing done
    # Others are not slowed down by her.
    assert "Your profile" in await bot.ask("bo", "/me")
    await bot.advance(timedelta(seconds=60))
    reply = await bot.ask("ana", "/me")
    assert "Your profile" in reply and "Nairobi" not in reply
    for _ in range(PER_MINUTE - 1):
        await bot.ask("ana", "/me")
    assert "very fast" in await bot.ask("ana", "/me")  # warned again after a fresh burst


async def test_a_message_of_20000_characters_is_refused_and_changes_nothing(
    bot: BotHarness,
) -> None:
    code = await bot.new_cohort("coord", "Harbour Exchange")
    huge = "/timezone Nairobi " + "x" * 20_000
    reply = await bot.ask("ana", huge)
    assert "too long" in reply and "20018" in reply.replace(",", "").replace("\u202f", "")
    assert "Nairobi" not in reply
    reply = await bot.ask("ana", f"/join {code} " + "y" * 20_000)
    assert "too long" in reply
    pid = await person_id(bot, "ana")
    async with bot.db.transaction() as session:
        person = await session.get(Person, pid)
        assert person is not None and person.timezone is None
        joined = (
            await session.execute(select(Membership).where(Membership.person_id == pid))
        ).all()
        assert joined == []


async def test_guessing_invite_codes_is_throttled(bot: BotHarness) -> None:
    code = await bot.new_cohort("coord", "Harbour Exchange")
    limit = load_config(None, env={}).bot.join_attempts_per_hour
    for n in range(limit):
        assert "no cohort with the code" in await bot.ask("mallory", f"/join GUESS{n:03d}")
    reply = await bot.ask("mallory", f"/join {code}")  # even the right one, for now
    assert "too many invite codes" in reply
    pid = await person_id(bot, "mallory")
    async with bot.db.transaction() as session:
        assert (
            await session.execute(select(Membership).where(Membership.person_id == pid))
        ).all() == []
    await bot.advance(timedelta(hours=1, minutes=1))
    assert "Harbour Exchange" in await bot.ask("mallory", f"/join {code}")
