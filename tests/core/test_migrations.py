"""Migrations build exactly the schema the models describe, on both backends, and re-running
them is harmless."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection

import storage.models  # noqa: F401
from storage.base import Base
from storage.engine import Database
from storage.migrate import current_revision, upgrade


async def test_migrations_match_the_models(empty_db_url: str) -> None:
    db = Database(empty_db_url)
    try:
        await upgrade(db)
        await upgrade(db)  # idempotent

        def diff(connection: Connection) -> list[object]:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return list(compare_metadata(context, Base.metadata))

        async with db.engine.connect() as conn:
            differences = await conn.run_sync(diff)
        assert differences == []
        assert await current_revision(db) is not None
    finally:
        await db.close()
