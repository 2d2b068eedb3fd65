"""Chats that change their id: "chat X on platform P is now chat Y" (a Telegram group upgraded
to a supergroup). One function moves every stored reference to a chat id; the ChatMoves
interface the core defines (bot/platform.py) is backed by it, and the delivery layer calls it
when a send is answered with the chat's new id."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import Text, cast, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.engine import Database
from storage.models import BoundChat, OutboxMessage, PendingQuestion
from storage.models.core import MessageStatus

log = logging.getLogger(__name__)

# Outbox rows still on their way; sent and given-up rows keep the chat they went to.
WAITING = (MessageStatus.PENDING, MessageStatus.CLAIMED)


async def move_chat(session: AsyncSession, platform: str, old: str, new: str) -> int:
    """Move every reference to chat `old` on `platform` to chat `new`; returns how many rows
    changed. Idempotent (a second call finds nothing to move), so both service messages of a
    Telegram upgrade and a failed send may each report the same move.

    - bound_chat: the binding follows the chat; if the new chat was bound meanwhile (someone
      sent /bindchat in the supergroup first), that binding wins and the old one goes;
    - outbox: rows pending or claimed for the old chat are re-addressed (their idempotency keys
      stay, so nothing is queued twice);
    - pending_question: a question whose payload names the chat as {"platform", "chat_id"}
      (e.g. /bindchat's "which cohort?") answers for the new chat."""
    if old == new:
        return 0
    moved = 0
    taken = await session.scalar(
        select(BoundChat.id).where(BoundChat.platform == platform, BoundChat.chat_id == new)
    )
    bound = BoundChat.platform == platform, BoundChat.chat_id == old
    if taken is not None:
        result = await session.execute(delete(BoundChat).where(*bound))
    else:
        result = await session.execute(update(BoundChat).where(*bound).values(chat_id=new))
    moved += _count(result)
    result = await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.platform == platform,
            OutboxMessage.chat_id == old,
            OutboxMessage.status.in_(WAITING),
        )
        .values(chat_id=new)
        .execution_options(synchronize_session=False)
    )
    moved += _count(result)
    # Few rows can mention the id at all; the payload's own fields decide.
    found = await session.execute(
        select(PendingQuestion).where(cast(PendingQuestion.payload, Text).contains(old))
    )
    for question in found.scalars():
        payload = dict(question.payload)
        if payload.get("platform") == platform and str(payload.get("chat_id")) == old:
            payload["chat_id"] = new
            question.payload = payload
            moved += 1
    await session.flush()
    return moved


def _count(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


class DbChatMoves:
    """ChatMoves (bot/platform.py) on the database: each report is its own transaction."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def chat_moved(self, platform: str, old_chat_id: str, new_chat_id: str) -> None:
        async with self.db.transaction() as session:
            moved = await move_chat(session, platform, old_chat_id, new_chat_id)
        log.info("chat moved", extra={"platform": platform, "rows": moved})
