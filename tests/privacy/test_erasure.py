"""`forgetme`: after a confirmation, the person is erased everywhere and is new to the bot. On
SQLite, not a byte of them is left in the database or its write-ahead log."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.messages import Address
from bot.outbox import enqueue_message, schedule_job
from storage.models import Identity, KeyValue, Membership, PendingQuestion
from tests.harness import BotHarness
from tests.privacy.helpers import (
    owned_rows,
    person_exists,
    person_id,
    platform_ids,
    say,
)

ANA_NAME = "Anaïs Quillfeather"
FREE_TEXT = "my brother works at the ministry, please keep this quiet"
MATRIX_ID = "@anais.quillfeather:example.org"
TELEGRAM_HANDLE = "anais_quillfeather"  # her @username on Telegram


async def cohort(bot: BotHarness) -> str:
    await say(bot, "coord", "/start")
    code = await bot.new_cohort("coord", "Harbour Exchange", "Europe/Lisbon")
    await say(bot, "ana", f"/join {code}", name=ANA_NAME)
    await say(bot, "ana", "/timezone Nairobi", name=ANA_NAME)
    return code


async def free_text_everywhere(bot: BotHarness, pid: int) -> None:
    """What capabilities store about a person, in the core's own tables: a sticky question with
    the person's words in its payload, a job whose payload quotes them, a message that waits for
    the end of quiet hours, a second identity on Matrix and that platform's DM room, a third on
    Telegram with her @username."""
    now = bot.clock.now()
    async with bot.db.transaction() as session:
        session.add(
            PendingQuestion(
                person_id=pid,
                kind="debrief.free_text",
                payload={"draft": FREE_TEXT},
                choices=[],
                free_text=True,
                sticky=True,
                created_at=now,
            )
        )
        await schedule_job(
            session,
            kind="alumni.nudge",
            due_at=now + timedelta(days=30),
            key=f"test:{pid}",
            now=now,
            payload={"commitment": FREE_TEXT},
            person_id=pid,
        )
        await enqueue_message(
            session,
            key=f"test:quiet:{pid}",
            to=Address("console", "ana"),
            text=f"Reminder: {FREE_TEXT}",
            now=now,
            person_id=pid,
            not_before=now + timedelta(days=2),
        )
        session.add(
            Identity(
                person_id=pid,
                platform="matrix",
                external_id=MATRIX_ID,
                display_name=ANA_NAME,
                private_chat_id="!dmroomofanais:example.org",
                reachable=True,
                last_seen_at=now,
            )
        )
        session.add(
            Identity(
                person_id=pid,
                platform="telegram",
                external_id="7700123456",
                display_name=ANA_NAME,
                username=TELEGRAM_HANDLE,
                private_chat_id="7700123456",
                reachable=True,
                last_seen_at=now,
            )
        )
        session.add(
            KeyValue(
                namespace="matrix.dm",
                key=MATRIX_ID,
                value="!dmroomofanais:example.org",
                updated_at=now,
            )
        )


async def test_no_keeps_everything_and_yes_erases_everything(bot: BotHarness) -> None:
    await cohort(bot)
    pid = await person_id(bot, "ana")
    assert pid is not None
    await free_text_everywhere(bot, pid)
    await real_capabilities(bot)
    values = await platform_ids(bot, pid)
    before = await owned_rows(bot, pid, values)
    assert {"person", "identity", "membership", "pending_question", "job", "outbox", "kv"} <= set(
        before
    )

    reply = await say(bot, "ana", "/forgetme", name=ANA_NAME)
    assert "cannot be undone" in reply
    assert bot.last("ana").choices == ("Yes, erase everything", "No, keep my data")
    assert "Nothing was erased" in await say(bot, "ana", "2", name=ANA_NAME)
    after_no = await owned_rows(bot, pid, values)
    assert after_no.keys() == before.keys()

    await say(bot, "ana", "/forgetme", name=ANA_NAME)
    reply = await say(bot, "ana", "Yes, erase everything", name=ANA_NAME)
    assert "has been erased" in reply
    assert await owned_rows(bot, pid, values) == {"outbox": 1}  # the goodbye, on its way out
    await bot.advance(timedelta(minutes=2))
    assert await owned_rows(bot, pid, values) == {}
    assert not await person_exists(bot, pid)
    async with bot.db.transaction() as session:
        assert (
            await session.execute(select(Identity).where(Identity.external_id.in_(values)))
        ).all() == []
        assert (
            await session.execute(select(Identity).where(Identity.username == TELEGRAM_HANDLE))
        ).all() == []

    # The bot treats her as someone new.
    reply = await say(bot, "ana", "/me", name=ANA_NAME)
    assert "not in any cohort" in reply
    # (SQLite may hand the freed id out again: the row is new all the same.)
    new_pid = await person_id(bot, "ana")
    assert new_pid is not None
    assert (await owned_rows(bot, new_pid, ["ana"])).keys() <= {"person", "identity", "outbox"}
    roster = await say(bot, "coord", "/roster")
    assert ANA_NAME not in roster


async def test_the_question_is_asked_in_the_persons_language(bot: BotHarness) -> None:
    await say(bot, "ana", "/language es")
    await say(bot, "ana", "/forgetme")
    assert bot.last("ana").choices == ("Sí, borrarlo todo", "No, conservar mis datos")
    reply = await say(bot, "ana", "sí, borrarlo todo")
    assert "He borrado todo" in reply
    assert await person_id(bot, "ana") is None


async def test_a_late_or_interrupted_confirmation_erases_nothing(bot: BotHarness) -> None:
    await cohort(bot)
    pid = await person_id(bot, "ana")
    await say(bot, "ana", "/forgetme")
    await bot.advance(timedelta(minutes=20))
    await say(bot, "ana", "yes")
    assert await person_id(bot, "ana") == pid
    await say(bot, "ana", "/forgetme")
    await say(bot, "ana", "/me")  # another command drops the question
    await say(bot, "ana", "yes")
    assert await person_id(bot, "ana") == pid


async def test_the_last_coordinator_is_warned(bot: BotHarness) -> None:
    await cohort(bot)
    reply = await say(bot, "coord", "/forgetme")
    assert "only coordinator of Harbour Exchange" in reply
    reply = await say(bot, "ana", "/forgetme")
    assert "only coordinator" not in reply


async def test_erasing_one_member_keeps_the_others(bot: BotHarness) -> None:
    code = await cohort(bot)
    await say(bot, "bo", f"/join {code}")
    await say(bot, "ana", "/forgetme")
    await say(bot, "ana", "yes")
    async with bot.db.transaction() as session:
        roles = (await session.execute(select(Membership.role))).scalars().all()
    assert sorted(roles) == ["coordinator", "participant"]
    assert await person_id(bot, "bo") is not None


COMMITMENT = "plant four hundred mangroves near the estuary"


async def real_capabilities(bot: BotHarness) -> list[str]:
    """What the installed capabilities store when she uses them: consent, an RSVP, a commitment
    with her own words. Returns the free texts she typed."""
    commands = bot.app.runtime.pipeline.router.commands
    typed: list[str] = []
    if "consent" in commands:
        await say(bot, "ana", "/consent recording yes", name=ANA_NAME)
    if {"addsession", "rsvp"} <= set(commands):
        await say(bot, "coord", '/addsession "Weekly" 2026-12-03 15:00')
        await say(bot, "ana", "/rsvp 1 yes", name=ANA_NAME)
    if "commit" in commands:
        await say(bot, "ana", f'/commit "{COMMITMENT}" by 2027-01-15', name=ANA_NAME)
        typed.append(COMMITMENT)
    return typed


def _needles(values: list[str]) -> list[bytes]:
    texts = [
        ANA_NAME,
        FREE_TEXT,
        MATRIX_ID,
        TELEGRAM_HANDLE,
        "!dmroomofanais",
        "Africa/Nairobi",
        *values,
    ]
    return sorted({t.encode("utf-8") for t in texts if len(t) >= 3}, key=len)


def _leftovers(db_file: Path, needles: list[bytes]) -> dict[str, list[bytes]]:
    found: dict[str, list[bytes]] = {}
    for path in (db_file, db_file.with_name(db_file.name + "-wal")):
        if path.exists():
            raw = path.read_bytes()
            hits = [n for n in needles if n in raw]
            if hits:
                found[path.name] = hits
    return found


async def test_no_byte_of_the_person_is_left_in_the_sqlite_files(
    bot: BotHarness, db_url: str, tmp_path: Path
) -> None:
    if not db_url.startswith("sqlite"):
        pytest.skip("the raw bytes of the database files: SQLite only")
    db_file = tmp_path / "bot.db"
    await cohort(bot)
    await say(bot, "ana", "/quiet 23:00-07:00", name="Anaïs Quillfeather")
    await say(bot, "coord", "/roster")  # her name went out in a message to someone else
    pid = await person_id(bot, "ana")
    assert pid is not None
    await free_text_everywhere(bot, pid)
    typed = await real_capabilities(bot)
    # Her console id "ana" is too short to search the bytes for; her Matrix id is searched.
    values = await platform_ids(bot, pid)
    needles = _needles([v for v in values if v != "ana"] + typed)
    await bot.db.checkpoint()
    assert _leftovers(db_file, needles)["bot.db"], "the test would find nothing anyway"

    await say(bot, "ana", "/forgetme", name=ANA_NAME)
    await say(bot, "ana", "yes", name=ANA_NAME)
    await bot.advance(timedelta(minutes=2))
    assert _leftovers(db_file, needles) == {}
    wal = db_file.with_name("bot.db-wal")
    assert not wal.exists() or wal.stat().st_size == 0
