"""INSERT ... ON CONFLICT DO NOTHING on both SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Executable, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.base import Base
from storage.lean import Lean, lean_execute, lean_execute_many


async def insert_ignore(
    session: AsyncSession,
    model: type[Base],
    values: dict[str, Any] | Sequence[dict[str, Any]],
    conflict: Sequence[str],
) -> int:
    """Insert unless a row with the same `conflict` columns exists. Returns rows inserted."""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    if isinstance(values, dict):
        # One row: the values travel as parameters of a statement built (and compiled) once.
        single = _insert_ignore_lean(dialect, model, tuple(conflict))
        return (await lean_execute(session, single, values)).rowcount
    rows = list(values)
    if not rows:
        return 0
    table = model.__table__
    assert isinstance(table, Table)
    if dialect == "postgresql":
        pg = postgresql.insert(table).values(rows).on_conflict_do_nothing(index_elements=conflict)
        result = await session.execute(pg)
    else:
        lite = sqlite.insert(table).values(rows).on_conflict_do_nothing(index_elements=conflict)
        result = await session.execute(lite)
    return int(getattr(result, "rowcount", 0) or 0)


async def insert_ignore_many(
    session: AsyncSession,
    model: type[Base],
    rows: Sequence[dict[str, Any]],
    conflict: Sequence[str],
) -> None:
    """`insert_ignore` for many rows with the same columns: one statement compiled once,
    executed over all of them (on SQLite straight on the driver, see storage/lean.py)."""
    if rows:
        dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
        await lean_execute_many(session, _insert_ignore_lean(dialect, model, tuple(conflict)), rows)


@lru_cache(maxsize=256)
def _insert_ignore_lean(dialect: str, model: type[Base], conflict: tuple[str, ...]) -> Lean:
    return Lean(_insert_ignore_statement(dialect, model, conflict))


@lru_cache(maxsize=256)
def _insert_ignore_statement(
    dialect: str, model: type[Base], conflict: tuple[str, ...]
) -> Executable:
    table = model.__table__
    assert isinstance(table, Table)
    if dialect == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing(index_elements=conflict)
    return sqlite.insert(table).on_conflict_do_nothing(index_elements=conflict)
