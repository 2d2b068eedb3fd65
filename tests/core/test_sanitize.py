"""What people type, made storable and harmless: names are one line with nothing invisible or
reversing in them, texts keep their lines, identifiers fit their columns."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from bot.sanitize import NAME_MAX, clean_inbound, clean_name, storable_text
from storage.models import Cohort, Identity
from tests.harness import BotHarness

ANY = st.text(st.characters(codec=None, exclude_categories=()), max_size=200)


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("Ana María", "Ana María"),
        ("Ana\nCoordinator: Bo", "Ana Coordinator: Bo"),  # no fake roster line
        ("evil\u202eeman", "evileman"),  # no right-to-left override
        ("\u2066Ana\u2069", "Ana"),
        ("A\u200bn\u200ba", "Ana"),  # zero-width spaces
        ("\u3164\u3164", None),  # Hangul fillers only: nothing visible
        ("\u200b\u200d\ufeff", None),
        ("   ", None),
        ("👩\u200d👩\u200d👧", "👩\u200d👩\u200d👧"),  # a joined emoji keeps its joiners
        ("\u200dAna", "Ana"),  # a joiner with nothing to join
        ("نور\u200cالهدى", "نور\u200cالهدى"),  # a non-joiner between letters stays
        ("Ana\x00", "Ana"),
        ("e\u0301", "é"),  # one composed character
    ],
)
def test_names_become_one_harmless_line(typed: str, kept: str | None) -> None:
    assert clean_name(typed) == kept


def test_long_names_are_clipped_without_leaving_a_mark_alone() -> None:
    assert clean_name("x" * 500) == "x" * NAME_MAX
    clipped = clean_name("a" * (NAME_MAX - 1) + "e\u0301\u0301")
    assert clipped is not None and len(clipped) <= NAME_MAX


@given(ANY)
def test_a_clean_name_is_one_visible_line_and_storable(typed: str) -> None:
    name = clean_name(typed)
    if name is None:
        return
    assert "\n" not in name and "\r" not in name and name == name.strip()
    assert len(name) <= NAME_MAX
    assert not any(c in name for c in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
    name.encode("utf-8")  # no lone surrogates


@given(ANY)
def test_texts_keep_their_lines_and_become_storable(typed: str) -> None:
    text = storable_text(typed)
    text.encode("utf-8")
    assert "\x00" not in text
    assert text.count("\n") == typed.count("\n")


def test_an_inbound_that_needs_nothing_is_the_same_object(bot: BotHarness) -> None:
    inbound = bot.console.inbound("ana", "/help")
    assert clean_inbound(inbound) is inbound


async def test_cohort_names_and_session_titles_are_one_visible_line(bot: BotHarness) -> None:
    await bot.ask("ana", "/timezone UTC")
    reply = await bot.ask("ana", '/newcohort "Spring\nExchange\u202e"')
    assert "Spring Exchange" in reply
    async with bot.db.transaction() as session:
        assert (await session.execute(select(Cohort.name))).scalar_one() == "Spring Exchange"
    assert "name in quotes" in await bot.ask("ana", '/newcohort "\u200b\u3164"')
    reply = await bot.ask("ana", '/addsession "Kick\noff\u200b" 2026-12-10 15:00')
    assert '"Kick off"' in reply


async def test_a_name_with_lines_cannot_forge_a_roster_line(bot: BotHarness) -> None:
    await bot.new_cohort("coord")
    named = replace(bot.console.inbound("ana", "/me"), display_name="Ana\nCoordinator: M\u202e")
    await bot.app.runtime.handle(named)
    async with bot.db.transaction() as session:
        names = (await session.execute(select(Identity.display_name))).scalars().all()
    assert "Ana Coordinator: M" in names
