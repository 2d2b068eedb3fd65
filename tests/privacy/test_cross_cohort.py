"""Coordinators (and everyone else) see and change only their own cohorts.

Every registered command is tried by people of cohort A against cohort B: privately (their
current cohort is A), in B's group chat, and by someone in no cohort at all, with arguments that
name B's members, sessions, announcements, name and code. Nothing of B may show up in a reply,
nothing may be sent to B's people or chat, and B's data must stay as it was.

To probe a new command with B's things as arguments, add one line to ARGS below (the names in
braces are filled from the world built here). A command without a line is still probed, with no
arguments."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.app import build_router
from storage.base import Base
from storage.models import BoundChat, Cohort, Identity, Membership
from tests.conftest import START
from tests.harness import BotHarness
from tests.privacy.helpers import person_id, say

# command -> argument lines tried (each one a separate attempt)
ARGS: dict[str, tuple[str, ...]] = {
    "roster": ("", "2"),
    "role": ('"{b_member}" coordinator', '"{b_coord}" participant', "{b_member_number} mentor"),
    "use": ('"{b_name}"', "{b_code}", "2"),
    "bindchat": ('"{b_name}"', "{b_code}", "off"),
    "sessions": ("", "{b_session}"),
    "rsvp": ("{b_session} yes", "{b_session} all no"),
    "cancelsession": ("{b_session} all",),
    "movesession": ("{b_session} 2026-12-20 10:00",),
    "debriefs": ("", "{b_session}"),
    "consentreport": ("", "{b_session}"),
    "announcements": ("",),
    "cancelannouncement": ("{b_announcement}",),
    "translate": ('{b_announcement} es "hola"',),
    "closecohort": ("",),
    "leave": ("",),
    "calendar": ("",),
    "consent": ("", "recording yes"),
    "debrief": ("",),
    "debriefsettings": ("anonymous on",),
    "consentexpiry": ("30d",),
    "findtime": ("1h",),
    "addsession": ('"Intruder" 2026-12-21 10:00',),
    "announce": ('"intruder"',),
}
# Not probed here: joining with a code is the legitimate way in (test_join_gives_no_more_than...),
# and these never take a cohort's data as input.
SKIP = {"join", "start", "newcohort", "forgetme", "mydata", "link"}

B_MEMBER = "Bartholomew Geheimnisträger"
B_COORD = "Berenike Koordinatorin"
B_TITLE = "Strategy of the Harbour Workers"
B_ANNOUNCEMENT = "the meeting point moved to the north gate"
B_ZONE = "Pacific/Chatham"
B_GROUP = "bravo-group"
MACHINERY = {"processed_update", "outbox", "job", "pending_question", "failed_join", "kv", "lease"}


@dataclass
class World:
    a: int
    b: int
    values: dict[str, str]
    b_people: set[int]
    actors: set[int]
    secrets: tuple[str, ...]


async def build_world(bot: BotHarness, commands: set[str]) -> World:
    a_code = await bot.new_cohort("ca", "Alpha", "Europe/Lisbon")
    await say(bot, "pa", f"/join {a_code}")
    await say(bot, "cb", "/start", name=B_COORD)
    await say(bot, "cb", f"/timezone {B_ZONE}", name=B_COORD)
    b_code = await bot.new_cohort("cb", "Bravo", B_ZONE)
    await say(bot, "pb", f"/join {b_code}", name=B_MEMBER)
    await say(bot, "pb", f"/timezone {B_ZONE}", name=B_MEMBER)
    await say(bot, "eve", "/start")
    if "bindchat" in commands:
        await say(bot, "cb", "/bindchat", name=B_COORD, chat=B_GROUP)
    if "addsession" in commands:
        await say(bot, "cb", f'/addsession "{B_TITLE}" 2026-12-10 15:00', name=B_COORD)
    if "announce" in commands:
        await say(bot, "cb", f'/announce "{B_ANNOUNCEMENT}"', name=B_COORD)
    async with bot.db.transaction() as session:
        a = (await session.execute(select(Cohort.id).where(Cohort.code == a_code))).scalar_one()
        b = (await session.execute(select(Cohort.id).where(Cohort.code == b_code))).scalar_one()
        chats = (await session.execute(select(BoundChat).where(BoundChat.cohort_id == b))).all()
        if not chats:  # bind B's group directly when `bindchat` is not there yet
            session.add(
                BoundChat(
                    cohort_id=b, platform="console", chat_id=B_GROUP, bound_at=bot.clock.now()
                )
            )
        b_people = set(
            (
                await session.execute(select(Membership.person_id).where(Membership.cohort_id == b))
            ).scalars()
        )
    actors = {await person_id(bot, n) for n in ("ca", "pa", "eve")}
    values = {
        "b_name": "Bravo",
        "b_code": b_code,
        "b_member": B_MEMBER,
        "b_coord": B_COORD,
        "b_member_number": "2",
        "b_session": "1",
        "b_announcement": "1",
    }
    return World(
        a=a,
        b=b,
        values=values,
        b_people=b_people,
        actors={x for x in actors if x is not None},
        secrets=(B_MEMBER, B_COORD, B_TITLE, B_ANNOUNCEMENT, B_ZONE, b_code),
    )


async def snapshot(bot: BotHarness) -> dict[str, dict[tuple[Any, ...], dict[str, Any]]]:
    rows: dict[str, dict[tuple[Any, ...], dict[str, Any]]] = {}
    async with bot.db.transaction() as session:
        for table in Base.metadata.sorted_tables:
            if table.name == "processed_update":
                continue
            found = await session.execute(select(table))
            pk = [c.name for c in table.primary_key.columns]
            rows[table.name] = {
                tuple(r[k] for k in pk): {k: v for k, v in r.items() if k != "last_seen_at"}
                for r in found.mappings()
            }
    return rows


def _mentions_b(row: dict[str, Any], world: World, b_rows: dict[str, set[Any]]) -> bool:
    if row.get("cohort_id") == world.b:
        return True
    for key, value in row.items():
        if key.endswith("person_id") and value in world.b_people:
            return True
        parent = key.removesuffix("_id")
        if key.endswith("_id") and value in b_rows.get(parent, set()):
            return True
    return False


def _belongs_to_actor_or_a(table: str, row: dict[str, Any], world: World) -> bool:
    if table == "person":
        return row["id"] in world.actors
    if table == "cohort":
        return row["id"] == world.a or row["id"] not in (world.a, world.b)
    if row.get("person_id") in world.actors and row.get("cohort_id") in (None, world.a):
        return True
    return row.get("cohort_id") == world.a


def b_side_ids(
    before: dict[str, dict[tuple[Any, ...], dict[str, Any]]], world: World
) -> dict[str, set[Any]]:
    """Ids of B's own rows per table (sessions, announcements, ...), to spot rows pointing there."""
    ids: dict[str, set[Any]] = {"cohort": {world.b}}
    for table, rows in before.items():
        for key, row in rows.items():
            if row.get("cohort_id") == world.b and len(key) == 1:
                ids.setdefault(table, set()).add(key[0])
    # a column "session_id" refers to scheduled_session
    if "scheduled_session" in ids:
        ids["session"] = ids["scheduled_session"]
    return ids


def check_b_untouched(before, after, world: World) -> list[str]:
    problems: list[str] = []
    b_rows = b_side_ids(before, world)
    for table, rows in before.items():
        for key, row in rows.items():
            now = after.get(table, {}).get(key)
            if now == row or table in MACHINERY:
                continue
            if _belongs_to_actor_or_a(table, row, world):
                continue
            problems.append(f"{table}{key} changed: {row} -> {now}")
    for table, rows in after.items():
        for key, row in rows.items():
            if (
                key not in before.get(table, {})
                and table not in {"processed_update"}
                and _mentions_b(row, world, b_rows)
            ):
                if (
                    table in ("outbox", "job", "pending_question")
                    and row.get("person_id") in world.actors
                ):
                    continue
                problems.append(f"new {table} row about B: {row}")
    return problems


ROUTER_COMMANDS = sorted(set(build_router().commands) - SKIP)


@pytest.fixture
async def lite_bot(sqlite_url: str, tmp_path: Path) -> AsyncIterator[BotHarness]:
    """Who may do what is decided in Python, not in SQL: one backend is enough for the probes
    (test_join_gives_no_more_than_a_participant_seat runs on both)."""
    harness = await BotHarness.create(sqlite_url, tmp_path, START)
    try:
        yield harness
    finally:
        await harness.close()


@pytest.mark.parametrize("command", ROUTER_COMMANDS)
async def test_no_command_reaches_another_cohort(lite_bot: BotHarness, command: str) -> None:
    bot = lite_bot
    world = await build_world(bot, set(ROUTER_COMMANDS))
    before = await snapshot(bot)
    attempts: list[tuple[str, str, str | None]] = []
    for args in ARGS.get(command, ("",)):
        line = f"/{command} {args.format(**world.values)}".strip()
        for actor in ("ca", "pa", "eve"):
            attempts.append((actor, line, None))
        for actor in ("ca", "pa"):
            attempts.append((actor, line, B_GROUP))
    for actor, line, chat in attempts:
        start = len(bot.sent)
        await say(bot, actor, line, chat=chat)
        for message in bot.sent[start:]:
            # The actor's own answers (privately, or in the chat they wrote in) must not show
            # B's things; nobody of B may be told anything.
            if message.to in ("cb", "pb") or (message.chat == B_GROUP and chat != B_GROUP):
                pytest.fail(f"{actor}'s {line!r} (chat {chat}) reached cohort B: {message.text}")
            for secret in world.secrets:
                if secret in line:
                    continue  # echoing what the actor typed tells them nothing new
                assert secret not in message.text, (
                    f"{actor} sent {line!r} (chat {chat}) and saw {secret!r}:\n{message.text}"
                )
    after = await snapshot(bot)
    assert check_b_untouched(before, after, world) == []


async def test_join_gives_no_more_than_a_participant_seat(bot: BotHarness) -> None:
    """Knowing B's code lets you in as a participant, and only that: no staff command works."""
    world = await build_world(bot, set(ROUTER_COMMANDS))
    await say(bot, "ca", f"/join {world.values['b_code']}")
    ca = await person_id(bot, "ca")
    async with bot.db.transaction() as session:
        role = await session.scalar(
            select(Membership.role).where(
                Membership.cohort_id == world.b, Membership.person_id == ca
            )
        )
    assert role == "participant"
    for line in ("/roster", f'/role "{B_MEMBER}" coordinator', f'/role "{B_COORD}" participant'):
        reply = await say(bot, "ca", line, chat=B_GROUP)
        assert B_MEMBER not in reply or "participant" in reply.lower()
        assert B_ZONE not in reply
    async with bot.db.transaction() as session:
        roles = dict(
            (
                await session.execute(
                    select(Identity.external_id, Membership.role)
                    .join(Membership, Membership.person_id == Identity.person_id)
                    .where(Membership.cohort_id == world.b)
                )
            ).all()
        )
    assert roles == {"cb": "coordinator", "pb": "participant", "ca": "participant"}


def test_every_probe_names_a_real_command() -> None:
    registered = set(build_router().commands)
    unknown = sorted(set(ARGS) - registered)
    # Commands listed before their capability is installed are fine; typos are not.
    assert all(re.fullmatch(r"[a-z]+", name) for name in unknown), unknown
