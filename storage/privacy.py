"""Export, erasure and retention, generic over every table in Base.metadata.

The rules are read off the schema, so a capability that adds a table is covered without
touching this module:
- A foreign key to `person.id` with ON DELETE CASCADE (or no action) makes a row *belong* to that
  person: it is exported by `mydata` and deleted by `forgetme`.
- A foreign key to `person.id` with ON DELETE SET NULL is a *mention* (who created a session,
  who sent an announcement): the row is about something else; it is not exported (only counted)
  and erasure clears the link.
- A table without a person key whose CASCADE foreign key points at a table of personal rows
  belongs to whoever owns the parent row (e.g. follow-ups of a commitment).
- Anything else must say what it holds. A model declares it with a class attribute, a string or
  a TablePolicy:
      __privacy__ = "none"            # holds no personal data
      __privacy__ = "keep_aggregate"  # not linked to anyone (anonymous answers): kept, not exported
      __privacy__ = TablePolicy("anonymize", scrub=("comment",))  # exported; on erasure the
                                      # person link and `scrub` columns are cleared, counts stay
  or, for tables whose model this module does not own, an entry in DECLARED below.
  tests/privacy/test_coverage.py fails for a table with no decision.

Retention: a model may define `__retention__`, an async classmethod
`(session, now, privacy_config) -> rows purged`; the daily retention job calls every one of them
(see `older_than` for the common case).
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import cache
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal, cast

from sqlalchemy import (
    Column,
    ColumnElement,
    Delete,
    LargeBinary,
    MetaData,
    Table,
    bindparam,
    delete,
    false,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from storage.base import Base, Executor
from storage.engine import checkpoint_after_commit as checkpoint_after_commit
from storage.models import Identity, Job, OutboxMessage, PendingQuestion, ProcessedUpdate
from storage.models.core import JobStatus, MessageStatus

if TYPE_CHECKING:
    from bot.config import PrivacyConfig

PERSON = "person"
EXPORT_FORMAT = "cohortbot-mydata/1"
# What a foreign key to somebody else becomes in an export: nothing about other people.
OTHER_PERSON = "(someone else)"

PolicyKind = Literal["delete", "anonymize", "keep_aggregate", "none"]
KINDS: tuple[PolicyKind, ...] = ("delete", "anonymize", "keep_aggregate", "none")


@dataclass(frozen=True)
class TablePolicy:
    """What export and erasure do with one table.

    kind: "delete"         the person's rows are exported and deleted (the default for tables
                           with a person key)
          "anonymize"      the person's rows are exported; erasure clears the person link and the
                           `scrub` columns and keeps the row (aggregate counts stay right)
          "keep_aggregate" rows are linked to nobody (e.g. anonymous debrief answers): never
                           exported, kept on erasure, purged only by retention
          "none"           no personal data at all
    export_exclude: columns never exported (texts meant for others, payloads, secrets)
    identity_columns: columns that hold a platform user id or private chat id; rows whose value
                      equals one of the person's belong to them
    describe: for "none" tables: columns shown in an export when the person's rows point here
              (a cohort's name, a session's title)
    silent_mentions: mention columns left out of an export's counts (still cleared on erasure)
    why: one line for the data inventory and for reviewers
    """

    kind: PolicyKind = "delete"
    why: str = ""
    export_exclude: frozenset[str] = frozenset()
    scrub: tuple[str, ...] = ()
    identity_columns: tuple[str, ...] = ()
    describe: tuple[str, ...] = ()
    # Mention columns an export does not count: a count would tell the person something kept
    # from them (that a safety report concerns them). Erasure still clears them.
    silent_mentions: tuple[str, ...] = ()


# Decisions for tables whose models this module does not own. A model's own `__privacy__`
# attribute wins over an entry here.
DECLARED: Mapping[str, TablePolicy] = MappingProxyType(
    {
        "person": TablePolicy(
            "delete", why="the person's settings: language, time zone, country, quiet hours"
        ),
        "identity": TablePolicy("delete", why="platform accounts and the private chat to reach"),
        "cohort": TablePolicy(
            "none",
            why="program data; the invite code is a shared secret and never exported",
            export_exclude=frozenset({"code", "settings"}),
            describe=("name", "zone", "status", "created_at", "closed_at"),
        ),
        "bound_chat": TablePolicy("none", why="group chats linked to a cohort"),
        "processed_update": TablePolicy(
            "none", why="platform update ids, to handle each update once; purged by retention"
        ),
        "kv": TablePolicy(
            "delete",
            why="adapter state; rows keyed by a person's platform id (Matrix DM rooms) are theirs",
            identity_columns=("key", "value"),
        ),
        "job": TablePolicy(
            "delete",
            why="work due later for the person (reminders, prompts)",
            export_exclude=frozenset({"payload", "idempotency_key", "last_error"}),
        ),
        "outbox": TablePolicy(
            "delete",
            why="messages on their way; texts are blanked once sent",
            export_exclude=frozenset(
                {
                    "text",
                    "choices",
                    "file_content",
                    "idempotency_key",
                    "claimed_by",
                    "claimed_until",
                    "platform_message_id",
                    "error",
                    "question_id",
                    "question_tag",
                }
            ),
            identity_columns=("chat_id",),
        ),
        "pending_question": TablePolicy(
            "delete",
            why="a question waiting for the person's answer",
            export_exclude=frozenset({"payload", "choices", "nonce"}),
        ),
        "scheduled_session": TablePolicy(
            "delete",
            why="sessions of a cohort; `created_by` is a mention, cleared on erasure",
            describe=("number", "title", "zone", "starts_at", "duration_minutes"),
        ),
        "announcement_variant": TablePolicy(
            "none", why="a cohort announcement in another language (program content)"
        ),
        # storage/models/web.py: secrets are kept hashed, and never exported even so
        "web_login_token": TablePolicy(
            "delete",
            why="a dashboard login link the person asked for (only its hash)",
            export_exclude=frozenset({"token_hash"}),
        ),
        "web_session": TablePolicy(
            "delete",
            why="a signed-in dashboard browser (the cookie's hash; no address, no user agent)",
            export_exclude=frozenset({"session_hash"}),
        ),
        "calendar_feed": TablePolicy(
            "delete",
            why="the person's private calendar subscription (only the token's hash)",
            export_exclude=frozenset({"token_hash"}),
        ),
        # storage/models/safety.py
        "safety_report": TablePolicy(
            "anonymize",
            why="a confidential report in the reporter's words; erasure removes who wrote it",
            silent_mentions=("concerned_id",),
        ),
        "safety_report_note": TablePolicy(
            "anonymize",
            why="additions to a report and the contacts' replies; erasure removes the reporter",
        ),
        "conduct_text": TablePolicy(
            "none", why="a cohort's code of conduct and its translations (program content)"
        ),
        "session_occurrence": TablePolicy(
            "none",
            why="dates of a session's occurrences",
            describe=("start", "end", "status"),
        ),
    }
)

_STRING_KINDS: Mapping[str, PolicyKind] = MappingProxyType({k: k for k in KINDS})


def _as_policy(where: str, raw: object) -> TablePolicy | None:
    if raw is None or isinstance(raw, TablePolicy):
        return raw
    if isinstance(raw, str) and raw in _STRING_KINDS:
        return TablePolicy(_STRING_KINDS[raw])
    raise ValueError(f"{where}: expected one of {', '.join(KINDS)} or a TablePolicy, got {raw!r}")


def declared_policy(table: Table) -> TablePolicy | None:
    """The model's own `__privacy__`, else the table's info["privacy"] (plain Core tables), else
    DECLARED, else None (the generic rules apply)."""
    for mapper in Base.registry.mappers:
        if table in mapper.tables:
            found = _as_policy(
                f"{table.name}.__privacy__", getattr(mapper.class_, "__privacy__", None)
            )
            if found is not None:
                return found
    found = _as_policy(f"{table.name}.info['privacy']", table.info.get("privacy"))
    return found if found is not None else DECLARED.get(table.name)


# The rules, read off the schema -------------------------------------------------------------
@dataclass(frozen=True)
class TableRule:
    table: Table
    policy: TablePolicy
    declared: bool
    owner_columns: tuple[Column[Any], ...]  # person keys that make a row belong to that person
    mention_columns: tuple[Column[Any], ...]  # person keys with SET NULL: cleared on erasure
    parents: tuple[tuple[Column[Any], str], ...] = ()  # CASCADE keys to tables of personal rows

    @property
    def name(self) -> str:
        return self.table.name

    @property
    def personal(self) -> bool:
        """Rows here can belong to a person (exported; deleted or anonymized on erasure)."""
        if self.policy.kind not in ("delete", "anonymize"):
            return False
        return self.name == PERSON or bool(
            self.owner_columns or self.parents or self.policy.identity_columns
        )

    @property
    def covered(self) -> bool:
        """A decision exists for this table: declared, or personal / mentioning by its keys."""
        return self.declared or self.personal or bool(self.mention_columns)


def _person_keys(table: Table) -> list[tuple[Column[Any], str | None]]:
    keys: list[tuple[Column[Any], str | None]] = []
    for fk in table.foreign_keys:
        if fk.column.table.name == PERSON and fk.column.name == "id":
            parent = fk.parent
            assert isinstance(parent, Column)
            keys.append((parent, (fk.ondelete or "").upper() or None))
    return sorted(keys, key=lambda k: k[0].name)


def table_rules(metadata: MetaData = Base.metadata) -> dict[str, TableRule]:
    """One rule per table, in dependency order (parents first)."""
    rules: dict[str, TableRule] = {}
    for table in metadata.sorted_tables:
        policy = declared_policy(table)
        keys = _person_keys(table)
        owners = tuple(col for col, ondelete in keys if ondelete != "SET NULL")
        mentions = tuple(col for col, ondelete in keys if ondelete == "SET NULL")
        rules[table.name] = TableRule(
            table=table,
            policy=policy or TablePolicy("delete"),
            declared=policy is not None,
            owner_columns=owners,
            mention_columns=mentions,
        )
    # Tables without a person key inherit ownership through CASCADE keys to personal tables.
    changed = True
    while changed:
        changed = False
        for name, rule in rules.items():
            if rule.owner_columns or name == PERSON or rule.policy.kind != "delete":
                continue
            parents = []
            for fk in rule.table.foreign_keys:
                parent = rules.get(fk.column.table.name)
                if (
                    parent is not None
                    and parent.name != name
                    and parent.personal
                    and (fk.ondelete or "").upper() == "CASCADE"
                    and [c.name for c in parent.table.primary_key.columns] == [fk.column.name]
                ):
                    column = fk.parent
                    assert isinstance(column, Column)
                    parents.append((column, parent.name))
            found = tuple(sorted(parents, key=lambda p: p[0].name))
            if found != rule.parents:
                rules[name] = dataclasses.replace(rule, parents=found)
                changed = True
    return rules


def undecided_tables(metadata: MetaData = Base.metadata) -> list[str]:
    """Tables nobody decided about: no person key, no parent with personal rows, no policy."""
    return sorted(name for name, rule in table_rules(metadata).items() if not rule.covered)


def schema_problems(metadata: MetaData = Base.metadata) -> list[str]:
    """Declarations that cannot work. Empty when export and erasure can do their job."""
    problems: list[str] = []
    for name, rule in table_rules(metadata).items():
        table, policy = rule.table, rule.policy
        columns = set(table.columns.keys())
        for col, ondelete in _person_keys(table):
            if ondelete not in ("CASCADE", "SET NULL"):
                problems.append(
                    f"{name}.{col.name}: a key to person.id needs ondelete='CASCADE' (the row is "
                    "the person's) or 'SET NULL' (a mention)"
                )
            if ondelete == "SET NULL" and not col.nullable:
                problems.append(f"{name}.{col.name}: SET NULL on a NOT NULL column")
        if policy.kind in ("none", "keep_aggregate") and _person_keys(table):
            problems.append(f"{name}: declared {policy.kind!r} but has a key to person.id")
        if policy.kind == "anonymize":
            for col in (*rule.owner_columns, *(table.c[c] for c in policy.scrub if c in columns)):
                if not col.nullable:
                    problems.append(f"{name}.{col.name}: anonymize needs a nullable column")
        if policy.describe and rule.personal:
            problems.append(f"{name}: `describe` is for tables without personal rows")
        named = (
            *policy.export_exclude,
            *policy.scrub,
            *policy.identity_columns,
            *policy.describe,
            *policy.silent_mentions,
        )
        for col_name in named:
            if col_name not in columns:
                problems.append(f"{name}: policy names unknown column {col_name!r}")
    return problems


# Conditions --------------------------------------------------------------------------------
def _single_key(table: Table) -> Column[Any]:
    columns = list(table.primary_key.columns)
    if len(columns) != 1:
        raise ValueError(f"{table.name}: expected a one-column primary key")
    return columns[0]


def _owned_condition(
    rules: Mapping[str, TableRule],
    name: str,
    person_id: int,
    identity_values: Sequence[str],
) -> ColumnElement[bool] | None:
    rule = rules[name]
    if not rule.personal:
        return None
    table = rule.table
    if name == PERSON:
        return table.c.id == person_id
    conditions: list[ColumnElement[bool]] = [col == person_id for col in rule.owner_columns]
    if identity_values:
        conditions += [table.c[c].in_(identity_values) for c in rule.policy.identity_columns]
    for column, parent_name in rule.parents:
        parent = rules[parent_name]
        parent_condition = _owned_condition(rules, parent_name, person_id, identity_values)
        if parent_condition is None:
            continue
        conditions.append(column.in_(select(_single_key(parent.table)).where(parent_condition)))
    if not conditions:
        return false()
    return or_(*conditions)


async def identity_values(session: AsyncSession, person_id: int) -> list[str]:
    """The person's platform ids and private chat ids: what identity columns are matched with."""
    found = await session.execute(
        select(Identity.external_id, Identity.private_chat_id).where(
            Identity.person_id == person_id
        )
    )
    values: set[str] = set()
    for external_id, chat_id in found.all():
        values.add(external_id)
        if chat_id:
            values.add(chat_id)
    return sorted(values)


# Export ------------------------------------------------------------------------------------
def json_safe(value: Any) -> Any:
    """A value JSON can carry: instants as ISO 8601, containers recursively, the rest as text."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, enum.Enum):
        return json_safe(value.value)
    if isinstance(value, bytes | bytearray | memoryview):
        return None
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [json_safe(v) for v in value]
    return str(value)


def _exported_columns(rule: TableRule) -> list[Column[Any]]:
    return [
        col
        for col in rule.table.columns
        if col.name not in rule.policy.export_exclude and not isinstance(col.type, LargeBinary)
    ]


def _person_columns(table: Table) -> set[str]:
    return {col.name for col, _ondelete in _person_keys(table)}


async def export_person(
    session: AsyncSession, person_id: int, now: datetime, metadata: MetaData = Base.metadata
) -> dict[str, Any]:
    """Everything stored about one person, JSON-safe, with nothing about anybody else."""
    rules = table_rules(metadata)
    values = await identity_values(session, person_id)
    tables: dict[str, list[dict[str, Any]]] = {}
    mentions: dict[str, int] = {}
    pointed_at: dict[str, set[Any]] = {}
    for name, rule in rules.items():
        for col in rule.mention_columns:
            if col.name in rule.policy.silent_mentions:
                continue
            count = await session.scalar(
                select(func.count()).select_from(rule.table).where(col == person_id)
            )
            if count:
                mentions[f"{name}.{col.name}"] = int(count)
        condition = _owned_condition(rules, name, person_id, values)
        if condition is None:
            continue
        columns = _exported_columns(rule)
        pk = list(rule.table.primary_key.columns)
        found = await session.execute(select(*columns).where(condition).order_by(*pk))
        person_columns = _person_columns(rule.table)
        rows: list[dict[str, Any]] = []
        for row in found.mappings():
            out: dict[str, Any] = {}
            for col in columns:
                value = row[col.name]
                if col.name in person_columns and value is not None and value != person_id:
                    value = OTHER_PERSON
                out[col.name] = json_safe(value)
                for fk in col.foreign_keys:
                    target = rules.get(fk.column.table.name)
                    if value is not None and target is not None and target.policy.describe:
                        pointed_at.setdefault(target.name, set()).add(value)
            rows.append(out)
        if rows:
            tables[name] = rows
    referenced: dict[str, list[dict[str, Any]]] = {}
    for name, ids in sorted(pointed_at.items()):
        rule = rules[name]
        key = _single_key(rule.table)
        shown = [key, *(rule.table.c[c] for c in rule.policy.describe)]
        found = await session.execute(select(*shown).where(key.in_(sorted(ids))).order_by(key))
        referenced[name] = [{k: json_safe(v) for k, v in r.items()} for r in found.mappings()]
    return {
        "format": EXPORT_FORMAT,
        "exported_at": json_safe(now),
        "person_id": person_id,
        "tables": tables,
        "referenced": referenced,
        "mentions": mentions,
        "other_people": OTHER_PERSON,
    }


# Erasure -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class ErasureReport:
    """Row counts per table (never ids or contents): what an erasure did."""

    deleted: Mapping[str, int] = field(default_factory=dict)
    anonymized: Mapping[str, int] = field(default_factory=dict)
    unlinked: Mapping[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.deleted.values()) + sum(self.anonymized.values())


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


async def erase_person(
    session: AsyncSession, person_id: int, metadata: MetaData = Base.metadata
) -> ErasureReport:
    """Delete (or anonymize, where declared) every row that belongs to the person, clear every
    mention, and delete the person with all identities. Children go before their parents, so the
    database's cascades find nothing left and every row is accounted for.

    Flush pending ORM changes before and expunge the session's objects after: the rows are gone
    behind the ORM's back."""
    rules = table_rules(metadata)
    values = await identity_values(session, person_id)
    deleted: dict[str, int] = {}
    anonymized: dict[str, int] = {}
    unlinked: dict[str, int] = {}
    for name in reversed(list(rules)):
        rule = rules[name]
        table = rule.table
        for col in rule.mention_columns:
            result = await session.execute(
                update(table).where(col == person_id).values({col.name: None})
            )
            if count := _rowcount(result):
                unlinked[f"{name}.{col.name}"] = count
        condition = _owned_condition(rules, name, person_id, values)
        if condition is None:
            continue
        if rule.policy.kind == "anonymize":
            cleared = {col.name: None for col in rule.owner_columns}
            cleared.update({c: None for c in rule.policy.scrub})
            result = await session.execute(update(table).where(condition).values(cleared))
            if count := _rowcount(result):
                anonymized[name] = count
        else:
            result = await session.execute(delete(table).where(condition))
            if count := _rowcount(result):
                deleted[name] = count
    return ErasureReport(deleted, anonymized, unlinked)


# Retention ---------------------------------------------------------------------------------
RetentionHook = Callable[[Executor, datetime, "PrivacyConfig"], Awaitable[int]]


def retention_hooks() -> list[tuple[str, RetentionHook]]:
    """Every model's `__retention__` hook, by table name."""
    hooks: list[tuple[str, RetentionHook]] = []
    for mapper in sorted(Base.registry.mappers, key=lambda m: m.class_.__name__):
        hook = getattr(mapper.class_, "__retention__", None)
        if hook is not None:
            hooks.append((str(getattr(mapper.local_table, "name", "")), cast(RetentionHook, hook)))
    return hooks


def older_than(column: str, days_setting: str) -> Callable[..., Awaitable[int]]:
    """A `__retention__` hook deleting rows whose `column` is older than the [privacy] setting
    `days_setting` (a number of days):

        __retention__ = classmethod(older_than("answered_at", "debrief_retention_days"))
    """

    async def hook(
        cls: type[Base], session: Executor, now: datetime, privacy: PrivacyConfig
    ) -> int:
        cutoff = now - timedelta(days=int(getattr(privacy, days_setting)))
        result = await session.execute(_older_than(cls, column), {"cutoff": cutoff})
        return _rowcount(result)

    return hook


@cache
def _older_than(model: type[Base], column: str) -> Delete:
    table = model.__table__
    assert isinstance(table, Table)
    return delete(table).where(table.c[column] < bindparam("cutoff"))


FINISHED_JOB = (JobStatus.DONE, JobStatus.FAILED, JobStatus.CANCELLED)
FINISHED_MESSAGE = (MessageStatus.SENT, MessageStatus.FAILED, MessageStatus.BLOCKED)


@cache
def _core_purges() -> tuple[tuple[str, Delete, str], ...]:
    """The core's own limits: (label, statement, its [privacy] days setting), built once; each
    statement's parameter `cutoff` is now minus those days (`now` too where it needs it)."""
    return (
        (
            "processed_update",
            delete(ProcessedUpdate).where(ProcessedUpdate.processed_at < bindparam("cutoff")),
            "processed_updates_days",
        ),
        (
            "outbox",
            delete(OutboxMessage).where(
                OutboxMessage.status.in_(FINISHED_MESSAGE),
                OutboxMessage.created_at < bindparam("cutoff"),
            ),
            "outbox_retention_days",
        ),
        (
            "pending_question",
            delete(PendingQuestion).where(
                or_(
                    PendingQuestion.expires_at <= bindparam("now"),
                    PendingQuestion.created_at < bindparam("cutoff"),
                )
            ),
            "unanswered_question_days",
        ),
        (
            "job",
            delete(Job).where(Job.status.in_(FINISHED_JOB), Job.due_at < bindparam("cutoff")),
            "finished_job_days",
        ),
    )


async def purge_expired(
    session: AsyncSession,
    now: datetime,
    privacy: PrivacyConfig,
    hooks: Sequence[tuple[str, RetentionHook]] | None = None,
) -> dict[str, int]:
    """One retention pass: the core's own limits, then every capability's hooks (default: every
    model's `__retention__`)."""

    purged: dict[str, int] = {}
    # Plain DELETEs on the unit of work's connection: what they remove is old and not held by
    # the session, so the ORM has nothing to look up or synchronize.
    await session.flush()
    connection = await session.connection()
    for label, statement, setting in _core_purges():
        cutoff = now - timedelta(days=int(getattr(privacy, setting)))
        count = _rowcount(await connection.execute(statement, {"cutoff": cutoff, "now": now}))
        if count:
            purged[label] = count
    for name, hook in retention_hooks() if hooks is None else hooks:
        count = await hook(connection, now, privacy)
        if count:
            purged[name] = purged.get(name, 0) + count
    return purged


def policy_summary(rules: Iterable[TableRule]) -> dict[str, str]:
    """table -> what happens to it (for the data inventory test and for humans)."""
    summary: dict[str, str] = {}
    for rule in rules:
        if rule.personal:
            summary[rule.name] = rule.policy.kind
        elif rule.mention_columns:
            summary[rule.name] = "mentions"
        else:
            summary[rule.name] = rule.policy.kind
    return summary
