"""`move_chat`: "chat X on platform P is now chat Y" moves the cohort binding, the messages on
their way and the questions about the chat; what was already sent stays where it went."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, update

from bot.messages import Address
from bot.outbox import enqueue_message
from storage.engine import Database
from storage.models import BoundChat, Cohort, OutboxMessage, PendingQuestion, Person
from storage.repositories.chats import DbChatMoves, move_chat

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
OLD, NEW = "-4001", "-1000000004001"


async def cohort(db: Database, name: str, code: str) -> int:
    async with db.transaction() as session:
        row = Cohort(name=name, code=code, zone="UTC", created_at=START, settings={})
        session.add(row)
        await session.flush()
        return row.id


async def bind(db: Database, cohort_id: int, platform: str, chat_id: str) -> None:
    async with db.transaction() as session:
        session.add(
            BoundChat(cohort_id=cohort_id, platform=platform, chat_id=chat_id, bound_at=START)
        )


async def queue(db: Database, key: str, platform: str, chat_id: str, status: str) -> None:
    async with db.transaction() as session:
        await enqueue_message(
            session, key=key, to=Address(platform, chat_id, True), text=key, now=START
        )
        await session.execute(
            update(OutboxMessage).where(OutboxMessage.idempotency_key == key).values(status=status)
        )


async def question(db: Database, payload: dict[str, object]) -> int:
    async with db.transaction() as session:
        person = Person(created_at=START)
        session.add(person)
        await session.flush()
        row = PendingQuestion(
            person_id=person.id, kind="cohorts.bind_pick", payload=payload, created_at=START
        )
        session.add(row)
        await session.flush()
        return row.id


async def test_the_binding_waiting_messages_and_questions_follow_the_chat(db: Database) -> None:
    spring = await cohort(db, "Spring", "K7MP3XQ2")
    await bind(db, spring, "telegram", OLD)
    await bind(db, spring, "matrix", OLD)  # the same id on another platform is another chat
    for key, platform, status in [
        ("pending", "telegram", "pending"),
        ("claimed", "telegram", "claimed"),
        ("sent", "telegram", "sent"),
        ("failed", "telegram", "failed"),
        ("other", "matrix", "pending"),
    ]:
        await queue(db, key, platform, OLD, status)
    asked = await question(db, {"platform": "telegram", "chat_id": OLD})
    elsewhere = await question(db, {"platform": "matrix", "chat_id": OLD})
    unrelated = await question(db, {"text": f"/remind {OLD}"})

    async with db.transaction() as session:
        assert await move_chat(session, "telegram", OLD, NEW) == 4  # binding, 2 rows, question
    async with db.transaction() as session:
        assert await move_chat(session, "telegram", OLD, NEW) == 0  # nothing left to move

    async with db.transaction() as session:
        chats = (await session.execute(select(BoundChat.platform, BoundChat.chat_id))).all()
        assert sorted(tuple(c) for c in chats) == [("matrix", OLD), ("telegram", NEW)]
        found = await session.execute(select(OutboxMessage.idempotency_key, OutboxMessage.chat_id))
        assert {key: chat for key, chat in found.all()} == {
            "pending": NEW,
            "claimed": NEW,
            "sent": OLD,  # where it went
            "failed": OLD,
            "other": OLD,
        }
        payloads = {
            q.id: q.payload for q in (await session.execute(select(PendingQuestion))).scalars()
        }
    assert payloads[asked] == {"platform": "telegram", "chat_id": NEW}
    assert payloads[elsewhere] == {"platform": "matrix", "chat_id": OLD}
    assert payloads[unrelated] == {"text": f"/remind {OLD}"}


async def test_a_new_chat_bound_meanwhile_keeps_its_binding(db: Database) -> None:
    spring, autumn = await cohort(db, "Spring", "K7MP3XQ2"), await cohort(db, "Autumn", "H4RB3XQ9")
    await bind(db, spring, "telegram", OLD)
    await bind(db, autumn, "telegram", NEW)  # /bindchat in the supergroup came first
    await DbChatMoves(db).chat_moved("telegram", OLD, NEW)
    async with db.transaction() as session:
        chats = (await session.execute(select(BoundChat.cohort_id, BoundChat.chat_id))).all()
    assert [tuple(c) for c in chats] == [(autumn, NEW)]
