"""Leases in the database: one instance at a time holds a platform connection. The holder
renews; when it dies, the lease runs out and a standby takes over."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import or_, update

from bot.clock import Clock
from storage.engine import Database
from storage.models.lease import Lease
from storage.upsert import insert_ignore

TTL = timedelta(seconds=20)
RENEW_EVERY = timedelta(seconds=5)


class Leases:
    def __init__(self, db: Database, clock: Clock, holder: str, ttl: timedelta = TTL) -> None:
        self.db = db
        self.clock = clock
        self.holder = holder
        self.ttl = ttl

    async def acquire(self, name: str) -> bool:
        """Take or renew the lease `name`. True while this instance holds it."""
        now = self.clock.now()
        async with self.db.transaction() as session:
            created = await insert_ignore(
                session,
                Lease,
                {"name": name, "holder": self.holder, "expires_at": now + self.ttl},
                ["name"],
            )
            if created:
                return True
            result = await session.execute(
                update(Lease)
                .where(
                    Lease.name == name,
                    or_(Lease.holder == self.holder, Lease.expires_at <= now),
                )
                .values(holder=self.holder, expires_at=now + self.ttl)
            )
            return bool(getattr(result, "rowcount", 0))

    async def release(self, name: str) -> None:
        async with self.db.transaction() as session:
            await session.execute(
                update(Lease)
                .where(Lease.name == name, Lease.holder == self.holder)
                .values(expires_at=self.clock.now())
            )
