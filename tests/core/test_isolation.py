"""No one person's update can stall the bot for others: whatever a person sends (any Unicode,
any length, in any field an adapter reads), and whatever goes wrong while storing it, the other
updates of its batch and everyone after it are answered."""

from __future__ import annotations

import asyncio
import itertools
import logging
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from bot.messages import Address, Inbound
from tests.conftest import START
from tests.harness import BotHarness

# Anything a platform could hand over: every code point (lone surrogates and U+0000 included),
# direction overrides, invisible characters, and lengths past every column.
ANY_CHAR = st.characters(codec=None, exclude_categories=())
NASTY = st.sampled_from(
    ["\x00", "\ud800", "\udfff", "\u202e", "\u2066", "\u200b", "\ufeff", "\n", "\r\n", "\u3164"]
)
TEXTS = st.one_of(
    st.text(ANY_CHAR, max_size=40),
    st.lists(st.one_of(NASTY, st.text(ANY_CHAR, max_size=3)), max_size=12).map("".join),
    st.text(ANY_CHAR, min_size=250, max_size=300),
    st.builds(lambda n, c: c * n, st.integers(3990, 4100), st.sampled_from(["a", "é", "\x00"])),
)
COMMANDS = st.sampled_from(
    [
        "/start",
        "/newcohort",
        "/timezone",
        "/country",
        "/language",
        "/quiet",
        "/join",
        "/me",
        "/commit",
        "/link",
        "/consent",
    ]
)
MESSAGES = st.one_of(TEXTS, st.builds(lambda c, a: f"{c} {a}", COMMANDS, TEXTS))


async def _poison_identities(bot: BotHarness) -> None:
    """A database that refuses to store one sender ("poison"): what any unforeseen failure
    while storing a sender looks like to the pipeline."""
    async with bot.db.transaction() as session:
        if bot.db.is_sqlite:
            await session.execute(
                text(
                    "CREATE TRIGGER poison BEFORE INSERT ON identity "
                    "WHEN NEW.external_id = 'poison' BEGIN SELECT RAISE(ABORT, 'poisoned'); END"
                )
            )
            return
        await session.execute(
            text(
                "CREATE FUNCTION poison() RETURNS trigger AS $$ BEGIN "
                "IF NEW.external_id = 'poison' THEN RAISE EXCEPTION 'poisoned'; END IF; "
                "RETURN NEW; END $$ LANGUAGE plpgsql"
            )
        )
        await session.execute(
            text(
                "CREATE TRIGGER poison BEFORE INSERT ON identity "
                "FOR EACH ROW EXECUTE FUNCTION poison()"
            )
        )


async def test_a_sender_who_cannot_be_stored_holds_up_nobody(
    bot: BotHarness, caplog: pytest.LogCaptureFixture
) -> None:
    await _poison_identities(bot)
    batch = [
        bot.console.inbound("ana", "/help"),
        bot.console.inbound("poison", "/help"),
        bot.console.inbound("bo", "/timezone Nairobi"),
    ]
    with caplog.at_level(logging.ERROR):
        await bot.app.runtime.handle_many(batch)
        await bot.app.runtime.settle()

    assert "/timezone" in bot.last_text("ana")
    assert "Africa/Nairobi" in bot.last_text("bo")
    assert bot.to("poison") == []
    assert any("dropped" in r.getMessage() for r in caplog.records)
    assert "poisoned" not in caplog.text or "Traceback" in caplog.text  # logged, never sent
    reply = await bot.ask("carla", "/help")  # and everyone after goes on
    assert "/timezone" in reply


async def test_the_same_poisoned_update_again_is_still_contained(bot: BotHarness) -> None:
    await _poison_identities(bot)
    poisoned = bot.console.inbound("poison", "/start")
    await bot.app.runtime.handle(poisoned)
    await bot.app.runtime.handle(poisoned)  # a platform that hands it over again
    assert "/timezone" in await bot.ask("ana", "/help")


def _inbound(n: int, name: str, body: str, username: str, hint: str, group: bool) -> Inbound:
    user = f"fuzz{n}"
    chat = Address("console", f"team{n}" if group else user, is_group=group)
    return Inbound(
        platform="console",
        update_id=f"fuzz-{n}",
        user_id=user,
        chat=chat,
        text=body,
        received_at=START,
        display_name=name,
        username=username,
        language_hint=hint,
    )


def test_arbitrary_input_in_every_field_stalls_nobody(db_url: str, tmp_path: Path) -> None:
    """Property: after anything at all from one person (alone, or in a batch with others), the
    next person's command is answered; nothing escapes the pipeline."""
    loop = asyncio.new_event_loop()
    bot = loop.run_until_complete(BotHarness.create(db_url, tmp_path, START))
    numbers = itertools.count()

    @settings(
        max_examples=40,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(MESSAGES, TEXTS, TEXTS, TEXTS, st.booleans(), st.booleans())
    def example(body: str, name: str, username: str, hint: str, group: bool, batch: bool) -> None:
        n = next(numbers)
        hostile = _inbound(n, name, body, username, hint, group)
        bystander = replace(bot.console.inbound(f"bystander{n}", "/help"), update_id=f"fuzz-{n}-b")

        async def run() -> None:
            if batch:
                await bot.app.runtime.handle_many([hostile, bystander])
            else:
                await bot.app.runtime.handle(hostile)
                await bot.app.runtime.handle(bystander)
            await bot.app.runtime.settle()

        loop.run_until_complete(run())
        assert "/timezone" in bot.last_text(f"bystander{n}")
        assert not any("went wrong" in m.text for m in bot.sent), body

    try:
        example()
    finally:
        loop.run_until_complete(bot.close())
        loop.close()


def test_arbitrary_telegram_users_and_texts_stall_nobody(db_url: str, tmp_path: Path) -> None:
    """The same through python-telegram-bot and the fake Bot API: any first and last name,
    username, language code and text (the plain-text path reads the JSON itself, commands and
    the rest go through PTB's objects); the next person's /help is still answered."""
    from tests.fakes.telegram_api import FakeTelegram
    from tests.telegram.conftest import TOKEN
    from tests.telegram.harness import TelegramBot

    loop = asyncio.new_event_loop()
    fake = FakeTelegram(token=TOKEN)
    loop.run_until_complete(fake.__aenter__())
    bot = loop.run_until_complete(TelegramBot.start(fake, tmp_path, db_url=db_url))
    numbers = itertools.count(1000, 2)

    # No shrinking: each failing try waits for the bystander's reply in real time, so a failure
    # is reported as found (its full input is printed).
    @settings(
        max_examples=25,
        phases=[Phase.explicit, Phase.reuse, Phase.generate],
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(MESSAGES, TEXTS, TEXTS, TEXTS, TEXTS)
    def example(body: str, first: str, last: str, username: str, language: str) -> None:
        hostile = next(numbers)
        bystander = hostile + 1
        fake.add_user(hostile, first, language or None, username or None, last_name=last or None)
        fake.send_private(hostile, body)
        fake.send_private(bystander, "/help")
        loop.run_until_complete(bot.message(bystander, "/timezone"))

    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("PTB_TIMEDELTA", "true")
            example()
    finally:
        loop.run_until_complete(bot.close())
        loop.run_until_complete(fake.__aexit__(None, None, None))
        loop.close()
