"""The generic export/erasure rules on a throwaway schema that has every shape a capability may
add: two keys to people on one row, a child of a personal row, an anonymized table, an
anonymous table, a mention, a table keyed by platform id and a described program table."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Column, ForeignKey, Integer, MetaData, String, Table, insert, select

from storage.engine import Database
from storage.privacy import (
    OTHER_PERSON,
    TablePolicy,
    erase_person,
    export_person,
    undecided_tables,
)

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
ANA, BO = 1, 2


def schema() -> MetaData:
    md = MetaData()
    Table("person", md, Column("id", Integer, primary_key=True), Column("language", String(8)))
    Table(
        "identity",
        md,
        Column("id", Integer, primary_key=True),
        Column("person_id", ForeignKey("person.id", ondelete="CASCADE"), nullable=False),
        Column("platform", String(16)),
        Column("external_id", String(64)),
        Column("private_chat_id", String(64)),
    )
    Table(
        "program",
        md,
        Column("id", Integer, primary_key=True),
        Column("name", String(64)),
        Column("secret", String(64)),
        info={"privacy": TablePolicy("none", describe=("name",))},
    )
    Table(
        "mentor_link",
        md,
        Column("id", Integer, primary_key=True),
        Column("mentor_id", ForeignKey("person.id", ondelete="CASCADE"), nullable=False),
        Column("mentee_id", ForeignKey("person.id", ondelete="CASCADE"), nullable=False),
    )
    Table(
        "commitment",
        md,
        Column("id", Integer, primary_key=True),
        Column("person_id", ForeignKey("person.id", ondelete="CASCADE"), nullable=False),
        Column("program_id", ForeignKey("program.id", ondelete="CASCADE")),
        Column("text", String(200)),
    )
    Table(
        "followup",
        md,
        Column("id", Integer, primary_key=True),
        Column("commitment_id", ForeignKey("commitment.id", ondelete="CASCADE")),
        Column("note", String(200)),
    )
    Table(
        "rating",
        md,
        Column("id", Integer, primary_key=True),
        Column("person_id", ForeignKey("person.id", ondelete="CASCADE"), nullable=True),
        Column("score", Integer),
        Column("comment", String(200), nullable=True),
        info={"privacy": TablePolicy("anonymize", scrub=("comment",))},
    )
    Table(
        "anonymous_answer",
        md,
        Column("id", Integer, primary_key=True),
        Column("text", String(200)),
        info={"privacy": "keep_aggregate"},
    )
    Table(
        "note",
        md,
        Column("id", Integer, primary_key=True),
        Column("author_id", ForeignKey("person.id", ondelete="SET NULL"), nullable=True),
        Column("body", String(200)),
    )
    Table(
        "dm_room",
        md,
        Column("user_id", String(64), primary_key=True),
        Column("room", String(64)),
        info={"privacy": TablePolicy("delete", identity_columns=("user_id",))},
    )
    return md


@pytest.fixture
async def world(empty_db_url: str) -> AsyncIterator[tuple[Database, MetaData]]:
    md = schema()  # a throwaway schema of its own, in an empty database
    db = Database(empty_db_url)
    try:
        await _fill(db, md)
        yield db, md
    finally:
        await db.close()


async def _fill(db: Database, md: MetaData) -> None:
    async with db.engine.begin() as conn:
        await conn.run_sync(md.create_all)
    t = md.tables
    async with db.transaction() as s:
        await s.execute(
            insert(t["person"]), [{"id": ANA, "language": "es"}, {"id": BO, "language": None}]
        )
        await s.execute(
            insert(t["identity"]),
            [
                dict(
                    id=1,
                    person_id=ANA,
                    platform="telegram",
                    external_id="111",
                    private_chat_id="111",
                ),
                dict(
                    id=2,
                    person_id=ANA,
                    platform="matrix",
                    external_id="@ana:x",
                    private_chat_id="!dm",
                ),
                dict(
                    id=3,
                    person_id=BO,
                    platform="telegram",
                    external_id="222",
                    private_chat_id="222",
                ),
            ],
        )
        await s.execute(insert(t["program"]), [{"id": 1, "name": "Exchange", "secret": "K3YK3Y"}])
        await s.execute(insert(t["mentor_link"]), [{"id": 1, "mentor_id": ANA, "mentee_id": BO}])
        await s.execute(
            insert(t["commitment"]),
            [
                {"id": 1, "person_id": ANA, "program_id": 1, "text": "ana plants trees"},
                {"id": 2, "person_id": BO, "program_id": 1, "text": "bo writes letters"},
            ],
        )
        await s.execute(
            insert(t["followup"]),
            [
                {"id": 1, "commitment_id": 1, "note": "ana: 30 days"},
                {"id": 2, "commitment_id": 2, "note": "bo: 30 days"},
            ],
        )
        await s.execute(
            insert(t["rating"]),
            [
                {"id": 1, "person_id": ANA, "score": 4, "comment": "ana liked it"},
                {"id": 2, "person_id": BO, "score": 2, "comment": "bo did not"},
            ],
        )
        await s.execute(insert(t["anonymous_answer"]), [{"id": 1, "text": "someone said this"}])
        await s.execute(
            insert(t["note"]),
            [
                {"id": 1, "author_id": ANA, "body": "cohort note"},
                {"id": 2, "author_id": BO, "body": "x"},
            ],
        )
        await s.execute(
            insert(t["dm_room"]),
            [{"user_id": "@ana:x", "room": "!dm"}, {"user_id": "@bo:x", "room": "!bo"}],
        )


def test_the_throwaway_schema_is_fully_decided() -> None:
    assert undecided_tables(schema()) == []


async def test_export_has_everything_about_the_person_and_nothing_about_others(world) -> None:
    db, md = world
    async with db.transaction() as s:
        data = await export_person(s, ANA, NOW, md)
    text = json.dumps(data)
    tables = data["tables"]
    assert tables["person"] == [{"id": ANA, "language": "es"}]
    assert {i["external_id"] for i in tables["identity"]} == {"111", "@ana:x"}
    assert tables["mentor_link"] == [{"id": 1, "mentor_id": ANA, "mentee_id": OTHER_PERSON}]
    assert [c["text"] for c in tables["commitment"]] == ["ana plants trees"]
    assert [f["note"] for f in tables["followup"]] == ["ana: 30 days"]  # a child of her row
    assert tables["rating"] == [{"id": 1, "person_id": ANA, "score": 4, "comment": "ana liked it"}]
    assert tables["dm_room"] == [{"user_id": "@ana:x", "room": "!dm"}]
    assert data["referenced"] == {"program": [{"id": 1, "name": "Exchange"}]}
    assert data["mentions"] == {"note.author_id": 1}
    for other in ("222", "@bo:x", "bo writes", "bo did not", "bo: 30", "someone said", "K3YK3Y"):
        assert other not in text
    assert "anonymous_answer" not in tables and "note" not in tables


async def test_erasure_deletes_anonymizes_and_unlinks_only_that_person(world) -> None:
    db, md = world
    async with db.transaction() as s:
        report = await erase_person(s, ANA, md)
    assert report.deleted == {
        "person": 1,
        "identity": 2,
        "mentor_link": 1,
        "commitment": 1,
        "followup": 1,
        "dm_room": 1,
    }
    assert report.anonymized == {"rating": 1}
    assert report.unlinked == {"note.author_id": 1}
    t = md.tables
    async with db.transaction() as s:

        async def rows(name: str) -> list[tuple[object, ...]]:
            found = await s.execute(select(t[name]).order_by(*t[name].primary_key.columns))
            return [tuple(r) for r in found.all()]

        assert await rows("person") == [(BO, None)]
        assert [r[3] for r in await rows("identity")] == ["222"]
        assert await rows("mentor_link") == []
        assert [r[3] for r in await rows("commitment")] == ["bo writes letters"]
        assert [r[2] for r in await rows("followup")] == ["bo: 30 days"]
        # The rating stays for the averages, linked to nobody and without its comment.
        assert await rows("rating") == [(1, None, 4, None), (2, BO, 2, "bo did not")]
        assert await rows("anonymous_answer") == [(1, "someone said this")]
        assert await rows("note") == [(1, None, "cohort note"), (2, BO, "x")]
        assert await rows("dm_room") == [("@bo:x", "!bo")]
        assert await rows("program") == [(1, "Exchange", "K3YK3Y")]
    async with db.transaction() as s:
        again = await export_person(s, ANA, NOW, md)
    assert again["tables"] == {} and again["mentions"] == {}
