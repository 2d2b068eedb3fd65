"""`roster`: members, role, platform, local time now, language; 30 a page."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from tests.cohorts.helpers import Telegram, dump, quick_bot, set_language
from tests.harness import BotHarness


async def test_roster_shows_each_member_in_their_own_time(bot: BotHarness) -> None:
    code = await bot.new_cohort("coord", "Spring Exchange", "Europe/Berlin")
    await bot.send("ana", f"/join {code}")
    await bot.send("ana", "/timezone Africa/Nairobi")
    await bot.send("ana", "/language fr")
    await bot.send("bo", f"/join {code}")
    await bot.send("bo", "/timezone America/Sao_Paulo")
    tg = Telegram(bot)
    await tg.send("500", f"/start {code}")
    await bot.send("coord", "/role bo mentor")
    await bot.advance(timedelta(minutes=30))  # 09:30 UTC
    text = await bot.ask("coord", "/roster")
    lines = text.splitlines()
    assert lines[0] == "Spring Exchange: 4 members (page 1 of 1)"
    assert f"Invite code: {code}" in text
    assert "1. coord — coordinator — Console — time zone not set — language not set" in lines
    assert "2. ana — participant — Console — 12:30\u202fPM (Africa/Nairobi) — French" in lines
    assert "3. bo — mentor — Console — 6:30\u202fAM (America/Sao_Paulo) — language not set" in lines
    assert "4. tg500 — participant — Telegram — time zone not set — language not set" in lines
    assert "More:" not in text


async def test_roster_in_the_readers_language(bot: BotHarness) -> None:
    code = await bot.new_cohort("coord", "Spring Exchange")
    await bot.send("ana", f"/join {code}")
    await bot.send("ana", "/timezone Europe/Madrid")
    await set_language(bot, "coord", "es")
    text = await bot.ask("coord", "/roster")
    assert text.startswith("Spring Exchange: 2 miembros (página 1 de 1)")
    assert "2. ana — participante — Console — 10:00 (Europe/Madrid) — idioma sin definir" in text


async def test_roster_is_for_staff_only(bot: BotHarness) -> None:
    code = await bot.new_cohort("coord", "Spring Exchange")
    await bot.send("ana", f"/join {code}")
    before = await dump(bot)
    reply = await bot.ask("ana", "/roster")
    assert reply == "You can't use /roster as participant in this cohort."
    assert await dump(bot) == before
    assert "not in a cohort" in await bot.ask("outsider", "/roster")


async def test_big_cohorts_are_paginated(db_url: str, tmp_path: Path) -> None:
    bot = await quick_bot(db_url, tmp_path)
    try:
        code = await bot.new_cohort("coord", "Big")
        for i in range(1, 65):
            await bot.send(f"p{i:02d}", f"/join {code}")
        first = await bot.ask("coord", "/roster")
        assert first.splitlines()[0] == "Big: 65 members (page 1 of 3)"
        numbered = [line for line in first.splitlines() if re.match(r"^\d+\. ", line)]
        assert len(numbered) == 30
        assert numbered[0].startswith("1. coord") and numbered[-1].startswith("30. p29")
        assert first.endswith("More: /roster 2")
        second = await bot.ask("coord", "/roster 2")
        numbered = [line for line in second.splitlines() if re.match(r"^\d+\. ", line)]
        assert numbered[0].startswith("31. p30") and numbered[-1].startswith("60. p59")
        third = await bot.ask("coord", "/roster 3")
        numbered = [line for line in third.splitlines() if re.match(r"^\d+\. ", line)]
        assert [n.split(" ")[1] for n in numbered] == ["p60", "p61", "p62", "p63", "p64"]
        assert "More:" not in third
        # numbers are the ones `role` understands
        await bot.send("coord", "/role 62 mentor")
        assert "p61 now has the role mentor" in bot.last_text("coord")
        before = await dump(bot)
        for bad in ("/roster 4", "/roster 0", "/roster two"):
            reply = await bot.ask("coord", bad)
            assert "The roster has pages 1 to 3" in reply and "/roster 1" in reply
        assert await dump(bot) == before
    finally:
        await bot.close()


async def test_roster_in_a_group_is_answered_privately(bot: BotHarness) -> None:
    code = await bot.new_cohort("coord", "Spring Exchange")
    await bot.send("ana", f"/join {code}")
    await bot.send("coord", "/bindchat", chat="team")
    sent = await bot.send("coord", "/roster", chat="team")
    assert [m.to for m in sent] == ["coord"]
    assert "Spring Exchange: 2 members" in sent[0].text


async def test_other_capabilities_add_notes_to_roster_lines(
    bot: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.context import Context
    from handlers.cohorts import RosterShown

    async def consent(ctx: Context, event: RosterShown) -> None:
        event.add(
            {row.person.id: f"consent {row.number}/5" for row in event.rows if row.number > 1}
        )

    async def rsvp(ctx: Context, event: RosterShown) -> None:
        event.add({event.rows[-1].person.id: "RSVP yes"})

    subscribers = bot.app.services.events.subscribers
    monkeypatch.setitem(subscribers, RosterShown, [(0, consent), (0, rsvp)])
    code = await bot.new_cohort("coord", "Spring Exchange")
    await bot.send("ana", f"/join {code}")
    lines = (await bot.ask("coord", "/roster")).splitlines()
    assert lines[-2] == "1. coord — coordinator — Console — time zone not set — language not set"
    assert lines[-1].endswith("language not set — consent 2/5 — RSVP yes")
