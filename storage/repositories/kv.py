"""A small key/value store for adapter state (Matrix sync token, DM rooms): the StateStore
interface the core defines, backed by the `kv` table."""

from __future__ import annotations

from sqlalchemy import select

from bot.clock import Clock
from storage.engine import Database
from storage.models import KeyValue


class DbStateStore:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def get(self, namespace: str, key: str) -> str | None:
        async with self.db.transaction() as session:
            found = await session.execute(
                select(KeyValue.value).where(KeyValue.namespace == namespace, KeyValue.key == key)
            )
            return found.scalar_one_or_none()

    async def put(self, namespace: str, key: str, value: str) -> None:
        async with self.db.transaction() as session:
            row = await session.get(KeyValue, (namespace, key))
            if row is None:
                session.add(
                    KeyValue(namespace=namespace, key=key, value=value, updated_at=self.clock.now())
                )
            else:
                row.value = value
                row.updated_at = self.clock.now()
