"""Invite codes: readable, hard to guess, rate-limited, with a Telegram deep link."""

from __future__ import annotations

import math
from datetime import timedelta
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from handlers.cohorts.codes import CODE_ALPHABET, CODE_LENGTH, new_code, normalize_code
from tests.cohorts.helpers import (
    TELEGRAM_BOT,
    Telegram,
    cohort_named,
    dump,
    quick_bot,
    role_of,
)
from tests.conftest import START
from tests.harness import BotHarness


def test_codes_are_unambiguous_and_hard_to_guess() -> None:
    assert not set("0O1lIL") & set(CODE_ALPHABET)
    bits = CODE_LENGTH * math.log2(len(CODE_ALPHABET))
    assert bits > 39  # 31^8 ≈ 8.5e11 codes
    codes = {new_code() for _i in range(2000)}
    assert len(codes) == 2000
    assert all(len(c) == CODE_LENGTH and set(c) <= set(CODE_ALPHABET) for c in codes)


@given(st.text(alphabet=CODE_ALPHABET, min_size=CODE_LENGTH, max_size=CODE_LENGTH))
def test_codes_survive_how_people_type_and_paste_them(code: str) -> None:
    assert normalize_code(code.lower()) == code
    assert normalize_code(f" {code[:4]}-{code[4:]} ") == code
    assert normalize_code(f"{code[:4]} {code[4:]}") == code
    assert normalize_code(f"https://t.me/{TELEGRAM_BOT}?start={code}") == code


async def test_join_by_code_in_any_case(bot: BotHarness) -> None:
    code = await bot.new_cohort("coord", "Spring Exchange")
    reply = await bot.ask("ana", f"/join {code.lower()}")
    assert "Welcome to Spring Exchange" in reply
    assert await role_of(bot, "ana", "Spring Exchange") == "participant"
    assert "already in Spring Exchange" in await bot.ask("ana", f"/join {code}")
    assert "Spring Exchange — participant" in await bot.ask("ana", "/me")


async def test_start_with_a_code_joins_then_onboards(bot: BotHarness) -> None:
    code = await bot.new_cohort("coord", "Spring Exchange")
    sent = await bot.send("bo", f"/start {code}")
    texts = [m.text for m in sent if m.to == "bo"]
    assert "Welcome to Spring Exchange" in texts[0]
    assert "language" in texts[-1].lower()
    assert await role_of(bot, "bo", "Spring Exchange") == "participant"


async def test_a_wrong_code_changes_nothing_but_counts(bot: BotHarness) -> None:
    await bot.new_cohort("coord", "Spring Exchange")
    await bot.send("ana", "/language en")
    before = await dump(bot)
    reply = await bot.ask("ana", "/join ZZZZ2222")
    assert 'no cohort with the code "ZZZZ2222"' in reply
    assert "/join" in reply
    after = await dump(bot)
    assert len(after.pop("failed_join")) == len(before.pop("failed_join")) + 1
    assert after == before
    assert "not in a cohort" in await bot.ask("ana", "/leave")


async def test_too_many_wrong_codes_are_refused_politely_for_an_hour(
    db_url: str, tmp_path: Path
) -> None:
    bot = await quick_bot(db_url, tmp_path, join_attempts_per_hour=3)
    try:
        code = await bot.new_cohort("coord", "Spring Exchange")
        for guess in ("AAAA2222", "BBBB3333", "CCCC4444"):
            assert "no cohort with the code" in await bot.ask("eve", f"/join {guess}")
        await bot.advance(timedelta(minutes=20))
        # now even the right code is refused: guessing must not go on
        reply = await bot.ask("eve", f"/join {code}")
        assert "too many invite codes" in reply
        assert "40 minutes" in reply
        assert await role_of(bot, "eve", "Spring Exchange") is None
        assert "too many invite codes" in await bot.ask("eve", f"/start {code}")
        # others are not affected
        assert "Welcome" in await bot.ask("ana", f"/join {code}")
        await bot.advance(timedelta(minutes=40))
        assert "Welcome to Spring Exchange" in await bot.ask("eve", f"/join {code}")
    finally:
        await bot.close()


async def test_the_limit_survives_a_restart(db_url: str, tmp_path: Path) -> None:
    bot = await quick_bot(db_url, tmp_path, join_attempts_per_hour=2)
    code = await bot.new_cohort("coord", "Spring Exchange")
    for guess in ("AAAA2222", "BBBB3333"):
        await bot.send("eve", f"/join {guess}")
    await bot.close()
    again = await quick_bot(db_url, tmp_path, join_attempts_per_hour=2)
    try:
        again.clock.set(START + timedelta(minutes=5))
        assert "too many invite codes" in await again.ask("eve", f"/join {code}")
    finally:
        await again.close()


async def test_the_limit_is_told_in_the_persons_language(bot: BotHarness) -> None:
    await bot.send("eve", "/language es")
    for i in range(10):
        await bot.send("eve", f"/join WRONG{i}")
    reply = await bot.ask("eve", "/join ABCDEFGH")
    assert "demasiados códigos" in reply
    assert "60 minutos" in reply


async def test_joining_a_closed_cohort_is_refused(bot: BotHarness) -> None:
    code = await bot.new_cohort("coord", "Spring Exchange")
    await bot.send("coord", "/closecohort")
    await bot.send("coord", "yes")
    assert "no longer takes new members" in await bot.ask("ana", f"/join {code}")
    assert await role_of(bot, "ana", "Spring Exchange") is None


async def test_telegram_gets_a_deep_link_other_platforms_do_not(bot: BotHarness) -> None:
    console_reply = await bot.ask("coord", '/newcohort "Console Cohort"')
    assert "t.me" not in console_reply
    tg = Telegram(bot)
    sent = await tg.send("100", '/newcohort "Telegram Cohort" Europe/Berlin')
    cohort = await cohort_named(bot, "Telegram Cohort")
    text = sent[-1].text
    assert f"Invite code: {cohort.code}" in text
    assert f"https://t.me/{TELEGRAM_BOT}?start={cohort.code}" in text
    # the link joins: Telegram sends "/start CODE" when it is opened
    sent = await tg.send("200", f"/start {cohort.code}")
    assert "Welcome to Telegram Cohort" in sent[0].text
    assert await role_of(bot, "200", "Telegram Cohort", platform="telegram") == "participant"


async def test_no_link_while_the_bot_name_is_unknown(bot: BotHarness) -> None:
    tg = Telegram(bot)
    bot.app.services.bot_names.clear()
    sent = await tg.send("100", '/newcohort "Telegram Cohort"')
    assert "Invite code:" in sent[-1].text
    assert "t.me" not in sent[-1].text


async def test_only_admins_create_when_the_list_is_set(db_url: str, tmp_path: Path) -> None:
    bot = await quick_bot(db_url, tmp_path, admins=("boss",))
    try:
        await bot.send("ana", "/language en")
        before = await dump(bot)
        assert "Only the bot's administrators" in await bot.ask("ana", '/newcohort "Mine"')
        assert await dump(bot) == before
        assert "You are its coordinator" in await bot.ask("boss", '/newcohort "Ours"')
    finally:
        await bot.close()


async def test_failed_tries_are_forgotten_after_the_window(bot: BotHarness) -> None:
    from sqlalchemy import func, select

    from storage.models import FailedJoin

    await bot.send("eve", "/join AAAA2222")
    await bot.advance(timedelta(minutes=59))
    await bot.send("eve", "/join BBBB3333")

    async def remaining() -> int:
        async with bot.db.transaction() as session:
            found = await session.execute(select(func.count()).select_from(FailedJoin))
            return int(found.scalar_one())

    assert await remaining() == 2
    async with bot.db.transaction() as session:
        purged = await FailedJoin.__retention__(
            session, bot.clock.now() + timedelta(minutes=1), bot.app.config.privacy
        )
    assert purged == 1 and await remaining() == 1
    # and a join attempt prunes what has aged out
    await bot.advance(timedelta(hours=1))
    await bot.send("eve", "/join CCCC4444")
    assert await remaining() == 1
