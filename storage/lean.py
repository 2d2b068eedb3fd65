"""Statements compiled once and run straight on SQLite's driver connection.

SQLAlchemy's way to run a statement (session, compiled-cache lookup, execution context, result
machinery, the greenlet hop of the async layer) costs ten times more than SQLite takes to run
one of this bot's statements (an indexed lookup or a one-row write). The statements every
update runs (dedupe, the outbox row of a reply, the delivery's claims and records) go through
`Lean` instead:

- the Core statement is compiled once per dialect and set of parameter names;
- parameters are converted by the column types' own bind processors (the same conversions
  SQLAlchemy applies: UTC datetimes, JSON, booleans), result rows by their result processors;
- on SQLite it runs on the unit of work's sqlite3 connection (see `Database.transaction`), in
  the transaction already begun there, after flushing the session if it holds changes (as
  SQLAlchemy's autoflush would);
- anywhere else (PostgreSQL, whose network round trip dwarfs the difference, or a connection
  that is not the inline driver) the same statement runs through SQLAlchemy.

Only plain statements qualify: no expanding IN lists, no Python-side defaults that are
functions (checked when compiling, so a misuse fails in the first test that runs it)."""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar, cast

from sqlalchemy import Table, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.dml import UpdateBase
from sqlalchemy.sql.selectable import Select

if TYPE_CHECKING:
    from storage.sqlite_inline import InlineConnection

LEAN_DRIVER = "lean_driver"  # info key of a session or connection: its LeanDriver
WRITTEN = "written_tables"  # info key of a session: the tables it wrote to

_Processor = Callable[[Any], Any] | None
_REQUIRED = object()
_M = TypeVar("_M")


@dataclass
class LeanDriver:
    """The sqlite3 connection under a unit of work, the dialect its statements compile for, and
    how many statements ran on it this way (for the benchmarks' round-trip counts)."""

    connection: InlineConnection
    dialect: Dialect
    statements: int = 0


@dataclass(frozen=True)
class LeanResult:
    rows: list[Any]  # named tuples (fields: the statement's column keys)
    rowcount: int

    def first(self) -> Any:
        return self.rows[0] if self.rows else None


@dataclass(frozen=True)
class _Compiled:
    sql: str
    binds: tuple[tuple[str, _Processor, Any], ...]  # (name, processor, value when not given)
    row: Any  # a namedtuple class, or None for a statement that returns no rows
    results: tuple[_Processor, ...]
    table: str | None  # the table written to; None for a SELECT


class Lean:
    """A Core statement to run with `lean_execute`."""

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        self.returns_rows = isinstance(statement, Select) or (
            isinstance(statement, UpdateBase) and bool(statement._returning)
        )
        self._compiled: dict[tuple[str, frozenset[str]], _Compiled] = {}

    def compiled(self, dialect: Dialect, keys: frozenset[str]) -> _Compiled:
        found = self._compiled.get((dialect.name, keys))
        if found is None:
            found = self._compiled[(dialect.name, keys)] = self._compile(dialect, keys)
        return found

    def _compile(self, dialect: Dialect, keys: frozenset[str]) -> _Compiled:
        statement: Any = self.statement  # a Core statement (a ClauseElement)
        compiled = cast(SQLCompiler, statement.compile(dialect=dialect, column_keys=sorted(keys)))
        if "POSTCOMPILE" in compiled.string or compiled.positiontup is None:
            raise ValueError(f"not a statement for Lean: {compiled.string[:60]}")
        defaults: dict[str, Any] = {}
        for column in (*compiled.insert_prefetch, *compiled.update_prefetch):
            default = column.default
            if default is None or not getattr(default, "is_scalar", False):
                raise ValueError(f"Lean needs a value for {column.key}")
            defaults[column.key] = getattr(default, "arg", None)
        binds = []
        for name in compiled.positiontup:
            bind = compiled.binds[name]
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            value = defaults.get(name, _REQUIRED if bind.required else bind.effective_value)
            binds.append((name, processor, value))
        make_row: Any = None
        results: tuple[_Processor, ...] = ()
        columns: Sequence[Any] = ()
        if isinstance(statement, Select):
            columns = list(statement.selected_columns)
        elif isinstance(statement, UpdateBase) and statement._returning:
            columns = list(statement.exported_columns)
        if columns:
            make_row = _row_class([c.key for c in columns])
            results = tuple(
                c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns
            )
        table = None
        if isinstance(statement, UpdateBase):
            target = statement.table
            table = target.name if isinstance(target, Table) else "*"
        return _Compiled(compiled.string, tuple(binds), make_row, results, table)


def _row_class(names: list[str]) -> Any:
    return namedtuple("LeanRow", names, rename=True)


async def lean_execute(
    target: AsyncSession | AsyncConnection, lean: Lean, params: Mapping[str, Any]
) -> LeanResult:
    """Run `lean` with `params` in the transaction of `target` (a session or a connection)."""
    lean_driver: LeanDriver | None = target.info.get(LEAN_DRIVER)
    if lean_driver is None:
        return await _through_sqlalchemy(target, lean, params)
    await _ready(target)
    compiled = lean.compiled(lean_driver.dialect, frozenset(params))
    values = _values(compiled, params)
    lean_driver.statements += 1
    driver = lean_driver.connection
    raw = driver.raw
    cursor = await driver.run(compiled.sql, raw.execute, compiled.sql, values)
    rows: list[Any] = []
    if compiled.row is not None:
        make, processors = compiled.row._make, compiled.results
        rows = [
            make([p(v) if p is not None else v for p, v in zip(processors, found, strict=True)])
            for found in cursor.fetchall()
        ]
    rowcount = cursor.rowcount
    cursor.close()
    if compiled.table is not None and isinstance(target, AsyncSession):
        target.info.setdefault(WRITTEN, set()).add(compiled.table)
    return LeanResult(rows, rowcount)


async def lean_execute_many(
    target: AsyncSession | AsyncConnection, lean: Lean, many: Sequence[Mapping[str, Any]]
) -> None:
    """Run `lean` (a statement returning no rows) once for each of `many` (all with the same
    parameter names), as one executemany."""
    if not many:
        return
    if lean.returns_rows:
        raise ValueError("lean_execute_many runs statements that return no rows")
    lean_driver: LeanDriver | None = target.info.get(LEAN_DRIVER)
    if lean_driver is None:
        await target.execute(lean.statement, [dict(params) for params in many])
        return
    await _ready(target)
    compiled = lean.compiled(lean_driver.dialect, frozenset(many[0]))
    rows = [_values(compiled, params) for params in many]
    lean_driver.statements += 1
    driver = lean_driver.connection
    cursor = await driver.run(compiled.sql, driver.raw.executemany, compiled.sql, rows)
    cursor.close()
    if compiled.table is not None and isinstance(target, AsyncSession):
        target.info.setdefault(WRITTEN, set()).add(compiled.table)


async def _ready(target: AsyncSession | AsyncConnection) -> None:
    """A session's changes flushed and its savepoint begun, before a statement runs beside it."""
    if isinstance(target, AsyncSession):
        sync = target.sync_session
        if sync.in_nested_transaction():
            # The session emits a SAVEPOINT when it first needs the connection: before this
            # statement, so that rolling back to it takes the statement back too.
            await target.connection()
        if sync.autoflush and (sync.new or sync.dirty or sync.deleted):
            await target.flush()


def _values(compiled: _Compiled, params: Mapping[str, Any]) -> list[Any]:
    """The statement's positional values: each parameter (or its default) through its type's
    bind processor."""
    values = []
    for name, processor, default in compiled.binds:
        value = params.get(name, default)
        if value is _REQUIRED:
            raise KeyError(f"no value for the parameter {name}")
        values.append(processor(value) if processor is not None else value)
    return values


async def _through_sqlalchemy(
    target: AsyncSession | AsyncConnection, lean: Lean, params: Mapping[str, Any]
) -> LeanResult:
    result = await target.execute(lean.statement, dict(params))
    rows: list[Any] = []
    if lean.returns_rows:
        rows = list(result.all())
    return LeanResult(rows, int(getattr(result, "rowcount", 0) or 0))


def attach(session: AsyncSession, model: type[_M], values: Mapping[str, Any]) -> _M:
    """The object of `model` whose columns hold `values` (a row read by a Lean statement), as
    if the session had loaded it: in its identity map, with no changes pending, so that changes
    to it are flushed like any other's. When the session already holds that row's object, that
    object (with any change it carries) is returned instead."""
    sync = session.sync_session
    mapper = sa_inspect(model)
    key = mapper.identity_key_from_primary_key([values[c.key] for c in mapper.primary_key])
    held = sync.identity_map.get(key)
    if held is not None:
        return cast(_M, held)
    # As SQLAlchemy's loading does: a new instance without __init__, its values set straight
    # into its dict (no attribute events, no history), then marked as loaded.
    instance = cast(_M, mapper.class_manager.new_instance())
    instance.__dict__.update(values)
    make_transient_to_detached(instance)  # as loaded: no history, nothing pending
    sync.add(instance)
    return instance


class LeanLoad:
    """A SELECT of whole rows of `models` (inner-joined by `shape`), then any `extra` columns,
    whose rows come back as the session's objects (by `attach`): what
    `session.execute(select(A, B, extra...))` gives, for a tenth of the cost."""

    def __init__(
        self,
        models: Sequence[type[Any]],
        shape: Callable[[Select[Any]], Select[Any]],
        extra: Sequence[Any] = (),
    ) -> None:
        self.models = tuple(models)
        self._columns = []  # per model: (attribute name, column) for each of its table's columns
        for model in self.models:
            mapper = sa_inspect(model)
            self._columns.append(
                tuple((mapper.get_property_by_column(c).key, c) for c in model.__table__.columns)
            )
        labelled = [
            column.label(f"t{index}_{column.key}")
            for index, columns in enumerate(self._columns)
            for _key, column in columns
        ]
        self.lean = Lean(shape(select(*labelled, *extra)))

    async def load(self, session: AsyncSession, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        found = await lean_execute(session, self.lean, params)
        loaded = []
        for row in found.rows:
            objects: list[Any] = []
            start = 0
            for model, columns in zip(self.models, self._columns, strict=True):
                values = {key: row[start + i] for i, (key, _column) in enumerate(columns)}
                objects.append(attach(session, model, values))
                start += len(columns)
            loaded.append((*objects, *row[start:]))
        return loaded
