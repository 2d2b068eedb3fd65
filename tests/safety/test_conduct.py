"""The code of conduct through the whole bot (both backends): shown at `start CODE`, kept
through onboarding until acknowledged, exported and erased with the person."""

from __future__ import annotations

from sqlalchemy import func, select

from storage.models import ConductAck
from storage.privacy import erase_person, export_person
from tests.harness import BotHarness
from tests.safety.helpers import cohort_with, person_id


async def test_start_with_a_code_shows_it_and_it_outlives_onboarding(bot: BotHarness) -> None:
    code = await cohort_with(bot)
    await bot.send("coord", '/conduct set "Be kind."')
    sent = await bot.send("ana", f"/start {code}")
    shown = [m for m in sent if "Be kind." in m.text]
    assert shown and shown[0].choices == ("I have read it and agree",)
    for answer in ("Skip", "Skip", "Understood"):  # onboarding goes on meanwhile
        await bot.send("ana", answer)
    await bot.send("ana", "/sessions")
    # the button still answers it after onboarding and another command
    await bot.send("ana", "/conduct")
    assert "Please confirm" in bot.last_text("ana")
    await bot.send("ana", "1")
    assert "acknowledgment of the code of conduct of Exchange is recorded" in bot.last_text("ana")
    ana = await person_id(bot.db, "ana")
    async with bot.db.transaction() as session:
        exported = await export_person(session, ana, bot.clock.now())
        assert len(exported["tables"]["conduct_ack"]) == 1
        await erase_person(session, ana)
    async with bot.db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(ConductAck)) == 0


async def test_no_code_no_question_at_join(bot: BotHarness) -> None:
    code = await cohort_with(bot)
    sent = await bot.send("ana", f"/join {code}")
    assert [m.text for m in sent if "conduct" in m.text.lower()] == []
    roster = await bot.ask("coord", "/roster")
    assert "conduct" not in roster
