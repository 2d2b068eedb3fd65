"""merge_people is generic: it follows every foreign key to person.id, including tables it has
never heard of, and settles unique-constraint collisions. Shown on a sandbox schema whose tables
point at the real person table, on each backend."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import (
    Column,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    insert,
    select,
)

from bot.app import open_database
from bot.config import load_config
from storage.engine import Database
from storage.models import Person
from storage.repositories.link import merge_people

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
PERSON_ID = Person.__table__.c.id

sandbox = MetaData()
notes = Table(
    "sb_note",
    sandbox,
    Column("id", Integer, primary_key=True),
    Column("person_id", ForeignKey(PERSON_ID, ondelete="CASCADE")),
    Column("text", String(20)),
)
votes = Table(
    "sb_vote",
    sandbox,
    Column("id", Integer, primary_key=True),
    Column("topic", String(20)),
    Column("person_id", ForeignKey(PERSON_ID, ondelete="CASCADE")),
    Column("answer", String(5)),
    UniqueConstraint("topic", "person_id"),
)
items = Table(
    "sb_item",
    sandbox,
    Column("id", Integer, primary_key=True),
    Column("person_id", ForeignKey(PERSON_ID, ondelete="CASCADE")),
    Column("number", Integer),
    Column("text", String(20)),
    UniqueConstraint("person_id", "number"),
)
pairs = Table(
    "sb_pair",
    sandbox,
    Column("id", Integer, primary_key=True),
    Column("mentor_id", ForeignKey(PERSON_ID, ondelete="CASCADE")),
    Column("mentee_id", ForeignKey(PERSON_ID, ondelete="CASCADE")),
)
mentions = Table(
    "sb_mention",
    sandbox,
    Column("id", Integer, primary_key=True),
    Column("author_id", ForeignKey(PERSON_ID, ondelete="SET NULL"), nullable=True),
)


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    database = await open_database(load_config(None, env={"COHORTBOT_STORAGE_URL": db_url}))
    async with database.engine.begin() as conn:
        await conn.run_sync(sandbox.create_all)
    try:
        yield database
    finally:
        await database.close()


async def add_person(db: Database, **fields: object) -> int:
    async with db.transaction() as session:
        person = Person(created_at=T0, **fields)
        session.add(person)
        await session.flush()
        return person.id


async def rows(db: Database, table: Table) -> list[tuple[object, ...]]:
    async with db.transaction() as session:
        found = await session.execute(select(table).order_by(table.c.id))
        return [tuple(r) for r in found.all()]


async def test_every_reference_moves_and_collisions_are_settled(db: Database) -> None:
    keep = await add_person(db, timezone="Africa/Nairobi")
    drop = await add_person(db, language="fr", timezone="Europe/Paris", onboarding_step="done")
    other = await add_person(db)
    async with db.transaction() as session:
        await session.execute(
            insert(notes), [{"person_id": drop, "text": "n1"}, {"person_id": keep, "text": "n2"}]
        )
        await session.execute(
            insert(votes),
            [
                {"topic": "venue", "person_id": keep, "answer": "yes"},
                {"topic": "venue", "person_id": drop, "answer": "no"},  # collides: keep's wins
                {"topic": "food", "person_id": drop, "answer": "yes"},  # moves
            ],
        )
        await session.execute(
            insert(items),
            [
                {"person_id": keep, "number": 1, "text": "k1"},
                {"person_id": keep, "number": 2, "text": "k2"},
                {"person_id": drop, "number": 1, "text": "d1"},
                {"person_id": drop, "number": 2, "text": "d2"},
                {"person_id": drop, "number": 3, "text": "d3"},
            ],
        )
        await session.execute(insert(pairs), [{"mentor_id": drop, "mentee_id": other}])
        await session.execute(insert(pairs), [{"mentor_id": other, "mentee_id": drop}])
        await session.execute(insert(mentions), [{"author_id": drop}])

    async with db.transaction() as session:
        report = await merge_people(session, keep, drop, metadata=sandbox)

    assert await rows(db, notes) == [(1, keep, "n1"), (2, keep, "n2")]
    assert [(t, p, a) for _i, t, p, a in await rows(db, votes)] == [
        ("venue", keep, "yes"),
        ("food", keep, "yes"),
    ]
    assert sorted((n, t) for _i, p, n, t in await rows(db, items) if p == keep) == [
        (1, "k1"),
        (2, "k2"),
        (3, "d1"),
        (4, "d2"),
        (5, "d3"),
    ]
    assert [(m, e) for _i, m, e in await rows(db, pairs)] == [(keep, other), (other, keep)]
    assert [a for _i, a in await rows(db, mentions)] == [keep]
    assert report.dropped == {"sb_vote": 1}
    assert report.renumbered == {"sb_item": 3}
    async with db.transaction() as session:
        assert await session.get(Person, drop) is None
        kept = await session.get(Person, keep)
        assert kept is not None
        # Unset fields come from the merged person; set ones stay.
        assert (kept.language, kept.timezone, kept.onboarding_step) == (
            "fr",
            "Africa/Nairobi",
            "done",
        )


async def test_a_person_is_not_merged_with_itself(db: Database) -> None:
    keep = await add_person(db)
    async with db.transaction() as session:
        with pytest.raises(ValueError, match="itself"):
            await merge_people(session, keep, keep, metadata=sandbox)
