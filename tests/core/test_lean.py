"""Statements run with storage.lean: the same rows and values as through SQLAlchemy, on both
backends (on SQLite straight on the driver connection, on PostgreSQL through SQLAlchemy)."""

from __future__ import annotations

from datetime import timedelta
from typing import cast

import pytest
from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.outbox import NewJob, schedule_jobs
from storage.engine import Database, written_tables
from storage.lean import LEAN_DRIVER, Lean, lean_execute, lean_execute_many
from storage.models import Identity, Job, OutboxMessage, Person, ProcessedUpdate
from storage.repositories.people import PrivateChat, people_by_ids, preferred_identities
from tests.conftest import START

_TABLE = cast(Table, OutboxMessage.__table__)
_INSERT = Lean(insert(_TABLE))
_SELECT = Lean(
    select(
        OutboxMessage.id,
        OutboxMessage.choices,
        OutboxMessage.is_group,
        OutboxMessage.not_before,
        OutboxMessage.file_content,
    ).where(OutboxMessage.idempotency_key == bindparam("k"))
)
_SENT = Lean(
    update(_TABLE)
    .where(_TABLE.c.idempotency_key == bindparam("k"))
    .returning(_TABLE.c.id, _TABLE.c.sent_at)
)


def _row(key: str) -> dict[str, object]:
    return {
        "idempotency_key": key,
        "platform": "console",
        "chat_id": "ana",
        "is_group": True,
        "person_id": None,
        "text": "héllo",
        "choices": [["a", "Ja"], ["b", "Nein"]],
        "question_id": None,
        "file_name": "f.txt",
        "file_content": b"\x00\xffbytes",
        "broadcast_id": None,
        "priority": 3,
        "status": "pending",
        "attempts": 0,
        "not_before": START,
        "created_at": START,
    }


async def test_values_round_trip_as_through_sqlalchemy(db: Database) -> None:
    async with db.transaction() as session:
        inserted = await lean_execute(session, _INSERT, _row("k1"))
        assert inserted.rowcount == 1
        assert written_tables(session) == {OutboxMessage.__tablename__}
        found = (await lean_execute(session, _SELECT, {"k": "k1"})).first()
    # What the lean path wrote, read back through the ORM: the same Python values.
    async with db.transaction() as session:
        stored = (
            await session.execute(select(OutboxMessage).where(OutboxMessage.id == found.id))
        ).scalar_one()
    assert stored.choices == [["a", "Ja"], ["b", "Nein"]]
    assert stored.is_group is True
    assert stored.not_before == START and stored.not_before.tzinfo is not None
    assert stored.file_content == b"\x00\xffbytes"
    assert stored.text == "héllo"
    # ... and what the lean path read: the same as the ORM's.
    assert (found.choices, found.is_group, found.not_before, found.file_content) == (
        stored.choices,
        stored.is_group,
        stored.not_before,
        stored.file_content,
    )


async def test_update_returning_gives_named_rows(db: Database) -> None:
    async with db.transaction() as session:
        await lean_execute(session, _INSERT, _row("k2"))
    later = START + timedelta(minutes=5)
    async with db.core() as conn:
        result = await lean_execute(conn, _SENT, {"k": "k2", "sent_at": later, "status": "sent"})
    assert result.rowcount == 1
    assert [row.sent_at for row in result.rows] == [later]
    async with db.transaction() as session:
        stored = (await session.execute(select(OutboxMessage.status, OutboxMessage.sent_at))).one()
    assert tuple(stored) == ("sent", later)


async def test_changes_held_by_the_session_are_flushed_first(db: Database) -> None:
    """As SQLAlchemy's autoflush: a statement sees the objects the session holds."""
    count = Lean(select(Person.id, Person.timezone))
    async with db.transaction() as session:
        session.add(Person(created_at=START, timezone="Asia/Tokyo"))
        rows = (await lean_execute(session, count, {})).rows
    assert [row.timezone for row in rows] == ["Asia/Tokyo"]


async def test_a_rolled_back_unit_leaves_nothing(db: Database) -> None:
    dedupe = Lean(insert(cast(Table, ProcessedUpdate.__table__)))
    params = {"platform": "console", "update_id": "u1", "processed_at": START}

    async def failing_unit() -> None:
        async with db.transaction() as session:
            await lean_execute(session, dedupe, params)
            raise RuntimeError("the handler failed")

    with pytest.raises(RuntimeError):
        await failing_unit()
    async with db.transaction() as session:
        assert (await session.execute(select(ProcessedUpdate))).first() is None


async def test_sqlite_units_run_on_the_driver_and_postgresql_through_sqlalchemy(
    db: Database,
) -> None:
    async with db.transaction() as session:
        lean = session.info.get(LEAN_DRIVER)
    assert (lean is not None) == db.is_sqlite


async def test_a_missing_value_or_an_unfit_statement_is_refused(db: Database) -> None:
    async with db.transaction() as session:
        lean = session.info.get(LEAN_DRIVER)
        if lean is None:
            pytest.skip("checked when compiling for the driver: SQLite only")
        with pytest.raises(KeyError, match="update_id"):
            await lean_execute(
                session,
                Lean(
                    insert(cast(Table, ProcessedUpdate.__table__)).values(
                        update_id=bindparam("update_id")
                    )
                ),
                {"platform": "console", "processed_at": START},
            )
        listed = Lean(select(Person.id).where(Person.id.in_(bindparam("ids", expanding=True))))
        with pytest.raises(ValueError, match="not a statement for Lean"):
            await lean_execute(session, listed, {"ids": [1, 2]})


async def test_a_savepoint_rolled_back_takes_its_statements_back(db: Database) -> None:
    dedupe = Lean(insert(cast(Table, ProcessedUpdate.__table__)))

    async def failing_savepoint(session: AsyncSession) -> None:
        async with session.begin_nested():
            params = {"platform": "console", "update_id": "inner", "processed_at": START}
            await lean_execute(session, dedupe, params)
            raise RuntimeError("one job of a batch failed")

    async with db.transaction() as session:
        await lean_execute(
            session, dedupe, {"platform": "console", "update_id": "outer", "processed_at": START}
        )
        with pytest.raises(RuntimeError):
            await failing_savepoint(session)
    async with db.transaction() as session:
        kept = (await session.execute(select(ProcessedUpdate.update_id))).scalars().all()
    assert kept == ["outer"]


_MARK_SENT = Lean(
    update(_TABLE)
    .where(_TABLE.c.idempotency_key == bindparam("k"))
    .values(status=bindparam("s"), sent_at=bindparam("at"))
)


async def test_many_rows_run_as_one_statement_each_with_its_values(db: Database) -> None:
    async with db.transaction() as session:
        for key in ("m1", "m2", "m3"):
            await lean_execute(session, _INSERT, _row(key))
    async with db.core() as conn:
        await lean_execute_many(
            conn,
            _MARK_SENT,
            [
                {"k": "m1", "s": "sent", "at": START + timedelta(seconds=1)},
                {"k": "m3", "s": "failed", "at": START + timedelta(seconds=3)},
            ],
        )
        await lean_execute_many(conn, _MARK_SENT, [])  # nothing to do
        with pytest.raises(ValueError, match="return no rows"):
            await lean_execute_many(conn, _SENT, [{"k": "m2"}])
    async with db.transaction() as session:
        found = await session.execute(
            select(
                OutboxMessage.idempotency_key, OutboxMessage.status, OutboxMessage.sent_at
            ).order_by(OutboxMessage.idempotency_key)
        )
        assert [tuple(row) for row in found] == [
            ("m1", "sent", START + timedelta(seconds=1)),
            ("m2", "pending", None),
            ("m3", "failed", START + timedelta(seconds=3)),
        ]


async def test_many_new_rows_keep_their_order_and_keys_already_there_are_skipped(
    db: Database,
) -> None:
    """Jobs scheduled together get ids in the order given; a key already scheduled is left as
    it is (the roll plans every day what may be planned already)."""
    async with db.transaction() as session:
        await schedule_jobs(session, [NewJob("t.a", START, "a"), NewJob("t.b", START, "b")], START)
    later = START + timedelta(days=1)
    async with db.transaction() as session:
        await schedule_jobs(
            session,
            [NewJob("t.c", later, "c"), NewJob("t.again", later, "a"), NewJob("t.d", later, "d")],
            later,
        )
        await schedule_jobs(session, [], later)  # nothing to do
    async with db.transaction() as session:
        found = await session.execute(select(Job.idempotency_key, Job.kind).order_by(Job.id))
        assert [tuple(row) for row in found] == [
            ("a", "t.a"),
            ("b", "t.b"),
            ("c", "t.c"),
            ("d", "t.d"),
        ]


async def test_people_read_by_id_are_the_units_own_objects(db: Database) -> None:
    async with db.transaction() as session:
        people = [Person(created_at=START, language=lang) for lang in ("es", "fr", None)]
        session.add_all(people)
        await session.flush()
        ids = [person.id for person in people]
    async with db.transaction() as session:
        found = {p.id: p for p in await people_by_ids(session, [ids[2], ids[0], 999_999])}
        assert set(found) == {ids[0], ids[2]}  # one that does not exist is not there
        assert found[ids[0]].language == "es"
        assert found[ids[2]].language is None
        assert await session.get(Person, ids[0]) is found[ids[0]]
        found[ids[0]].language = "pt_BR"  # changed like any loaded object
        assert await people_by_ids(session, []) == []
    async with db.transaction() as session:
        again = await session.get(Person, ids[0])
        assert again is not None and again.language == "pt_BR"


async def test_each_person_is_reached_where_last_seen_among_reachable_identities(
    db: Database,
) -> None:
    async with db.transaction() as session:
        ana, bo, cy = (Person(created_at=START) for _ in range(3))
        session.add_all([ana, bo, cy])
        await session.flush()

        def seen(person: Person, platform: str, hours: int, *, reachable: bool = True) -> Identity:
            return Identity(
                person_id=person.id,
                platform=platform,
                external_id=f"{platform}-{person.id}",
                private_chat_id=f"chat-{platform}-{person.id}",
                reachable=reachable,
                last_seen_at=START + timedelta(hours=hours),
            )

        session.add_all(
            [
                seen(ana, "telegram", 1),
                seen(ana, "matrix", 2),  # ana was last seen on Matrix
                seen(bo, "telegram", 1),
                seen(bo, "matrix", 3, reachable=False),  # bo blocked the bot there
                seen(cy, "matrix", 1, reachable=False),  # cy cannot be reached at all
            ]
        )
        ids = (ana.id, bo.id, cy.id)
    async with db.transaction() as session:
        reach = await preferred_identities(session, [*ids, ids[0]])
        assert reach == {
            ids[0]: PrivateChat(ids[0], "matrix", f"matrix-{ids[0]}", f"chat-matrix-{ids[0]}"),
            ids[1]: PrivateChat(
                ids[1], "telegram", f"telegram-{ids[1]}", f"chat-telegram-{ids[1]}"
            ),
        }
        assert await preferred_identities(session, []) == {}
