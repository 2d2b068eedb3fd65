"""Confidential reports through the whole bot (both backends): who receives them, anonymity,
additions and replies, and what export and erasure do with them."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bot.config import load_config
from storage.models import SafetyReport, SafetyReportNote
from storage.privacy import erase_person, export_person, purge_expired
from tests.harness import BotHarness
from tests.safety.helpers import cohort_with, file_report, person_id


def texts(bot: BotHarness, name: str) -> str:
    return "\n".join(m.text for m in bot.to(name))


async def test_never_reaches_the_person_it_concerns_nor_names_an_anonymous_reporter(
    bot: BotHarness,
) -> None:
    await cohort_with(bot, "ana", "bo", "chen")
    await bot.send("coord", "/role chen coordinator")
    ref = await file_report(bot, "ana", "He insulted me twice.", "chen", "Not urgent", "2")
    assert "He insulted me twice." in bot.last_text("coord")
    assert "From: anonymous" in bot.last_text("coord")
    assert "ana" not in bot.last_text("coord").replace("Exchange", "")
    assert "insulted" not in texts(bot, "chen")
    assert "insulted" not in texts(bot, "bo")
    # a reply reaches ana; the concerned coordinator cannot reply, add, or learn of it
    reply = await bot.ask("coord", f"/reportreply {ref} We hear you.")
    assert "was sent to the reporter" in reply
    assert "We hear you." in bot.last_text("ana")
    refused = await bot.ask("chen", f"/reportreply {ref} What is this?")
    assert f"I know no report {ref}" in refused
    assert "We hear you" not in texts(bot, "chen")


async def test_the_only_contact_concerned_falls_back_to_the_other_staff(
    bot: BotHarness,
) -> None:
    await cohort_with(bot, "ana", "fac")
    await bot.send("coord", "/role fac facilitator")
    await file_report(bot, "ana", "The coordinator said something awful.", "coord", "Soon", "1")
    assert "something awful" in bot.last_text("fac")
    assert "something awful" not in texts(bot, "coord")


async def test_nobody_to_receive_it_sends_and_keeps_nothing(bot: BotHarness) -> None:
    await cohort_with(bot, "ana")
    await bot.send("ana", "/report")
    await bot.send("ana", "It was the coordinator.")
    await bot.send("ana", "coord")
    reply = await bot.ask("ana", "Soon")
    assert "Nobody in this cohort can receive this report" in reply
    async with bot.db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(SafetyReport)) == 0


async def test_oversized_text_is_refused_and_asked_again(bot: BotHarness) -> None:
    await cohort_with(bot, "ana")
    await bot.send("ana", "/report")
    reply = await bot.ask("ana", "x" * 3001)
    assert "That is 3001 characters; the limit is 3000" in reply
    assert "What happened?" in bot.last_text("ana")
    reply = await bot.ask("ana", "/report " + "y" * 3001)
    assert "the limit is 3000" in reply


async def test_export_erasure_and_retention(bot: BotHarness) -> None:
    await cohort_with(bot, "ana", "bo")
    ref = await file_report(bot, "ana", "Bo keeps messaging me at night.", "bo", "Soon", "1")
    await bot.send("ana", f"/report add {ref} Still happening.")
    await bot.send("coord", f"/reportreply {ref} We will talk to them.")
    ana, bo = await person_id(bot.db, "ana"), await person_id(bot.db, "bo")
    async with bot.db.transaction() as session:
        mine = await export_person(session, ana, bot.clock.now())
        theirs = await export_person(session, bo, bot.clock.now())
    assert [r["text"] for r in mine["tables"]["safety_report"]] == [
        "Bo keeps messaging me at night."
    ]
    assert {n["text"] for n in mine["tables"]["safety_report_note"]} == {
        "Still happening.",
        "We will talk to them.",
    }
    # the person it concerns learns nothing from their own export, not even a count
    assert "safety_report" not in str(theirs)
    async with bot.db.transaction() as session:
        await erase_person(session, ana)
    async with bot.db.transaction() as session:
        report = (await session.execute(select(SafetyReport))).scalar_one()
        assert report.reporter_id is None and report.text.startswith("Bo keeps")
        notes = (await session.execute(select(SafetyReportNote))).scalars().all()
        assert len(notes) == 2 and all(n.reporter_id is None for n in notes)
    reply = await bot.ask("coord", f"/reportreply {ref} Hello?")
    assert "can no longer be reached" in reply
    # retention: gone safety_report_days after the thread's last message, notes with it
    privacy = load_config(None, env={}).privacy
    async with bot.db.transaction() as session:
        later = bot.clock.now() + timedelta(days=privacy.safety_report_days - 1)
        assert "safety_report" not in await purge_expired(session, later, privacy)
        later = bot.clock.now() + timedelta(days=privacy.safety_report_days + 1)
        assert (await purge_expired(session, later, privacy))["safety_report"] == 1
    async with bot.db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(SafetyReportNote)) == 0


async def test_help_lists_the_commands_by_role(bot: BotHarness) -> None:
    await cohort_with(bot, "ana")
    member = await bot.ask("ana", "/help")
    assert "/report [add REF TEXT]" in member and "/reportreply REF TEXT" in member
    assert "/safetycheck" not in member and "/safetycontacts" not in member
    coordinator = await bot.ask("coord", "/help")
    for command in ("/safetycontacts", "/safetycheck", "/safetystatus", "/report"):
        assert command in coordinator


async def test_another_cohorts_staff_learn_nothing(bot: BotHarness) -> None:
    """The cross-cohort walk for safety: references, checks and contacts stay in their cohort."""
    await cohort_with(bot, "ana")
    other_code = await bot.new_cohort("other", "Second", "UTC")
    await bot.send("ana", f"/join {other_code}")
    await bot.send("ana", "/use Exchange")
    ref = await file_report(bot, "ana", "Only Exchange may read this.", "Nobody", "Soon", "1")
    assert "Only Exchange may read this." not in texts(bot, "other")
    reply = await bot.ask("other", f"/reportreply {ref} Hello")
    assert f"I know no report {ref}" in reply
    await bot.send("coord", "/safetycheck")
    assert "no safety check" in await bot.ask("other", "/safetystatus")
    assert "There is no safety check #1" in await bot.ask("other", "/safetystatus 1")
    reply = await bot.ask("other", "/safetycontacts add coord")
    assert 'No member of Second is called "coord"' in reply
