"""Whether a platform identity can be reached privately: the Reachability interface the core
defines (bot/platform.py), backed by the identity table."""

from __future__ import annotations

from sqlalchemy import update

from storage.engine import Database
from storage.models import Identity


class DbReachability:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def set_reachable(self, platform: str, user_id: str, reachable: bool) -> None:
        async with self.db.transaction() as session:
            await session.execute(
                update(Identity)
                .where(Identity.platform == platform, Identity.external_id == user_id)
                .values(reachable=reachable)
            )
