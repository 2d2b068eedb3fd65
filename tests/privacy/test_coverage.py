"""Every table has a privacy decision, every key to a person can be erased, and the data
inventory lists every table. A capability that adds a table without deciding fails here."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import Column, ForeignKey, Integer, MetaData, String, Table

import storage.models  # noqa: F401  (registers every table)
from storage.base import Base
from storage.privacy import TablePolicy, schema_problems, table_rules, undecided_tables

INVENTORY = Path(__file__).resolve().parents[2] / "docs" / "data-inventory.md"


def test_every_table_has_a_privacy_decision() -> None:
    undecided = undecided_tables()
    assert not undecided, (
        f"tables without a privacy decision: {undecided}. Give each row a key to person.id "
        "(ondelete CASCADE: the person's data; SET NULL: a mention), or declare on the model "
        "`__privacy__ = 'none'` (no personal data) / 'keep_aggregate' (anonymous, linked to "
        "nobody) / TablePolicy('anonymize', scrub=(...)) -- see storage/privacy.py"
    )


def test_privacy_declarations_can_work() -> None:
    assert schema_problems() == []


def test_every_key_to_a_person_cascades_or_is_cleared() -> None:
    for table in Base.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column.table.name == "person":
                assert (fk.ondelete or "").upper() in ("CASCADE", "SET NULL"), (
                    f"{table.name}.{fk.parent.name}: erasing a person would fail or leave a "
                    "dangling key"
                )


def test_the_person_and_identities_are_erased_by_the_generic_rules() -> None:
    rules = table_rules()
    for name in ("person", "identity", "membership", "job", "outbox", "pending_question"):
        assert rules[name].personal, name
    assert not rules["cohort"].personal


def _inventory_tables() -> set[str]:
    text = INVENTORY.read_text(encoding="utf-8")
    return set(re.findall(r"^\|\s*`([a-z_][a-z0-9_]*)`\s*\|", text, flags=re.MULTILINE))


def test_the_data_inventory_lists_every_table() -> None:
    listed = _inventory_tables()
    tables = {t.name for t in Base.metadata.sorted_tables}
    missing = sorted(tables - listed)
    assert not missing, f"add these tables to docs/data-inventory.md: {missing}"
    stale = sorted(listed - tables)
    assert not stale, f"docs/data-inventory.md lists tables that no longer exist: {stale}"


# The checks themselves catch what they should (on a throwaway schema) ------------------------
def _schema() -> MetaData:
    md = MetaData()
    Table("person", md, Column("id", Integer, primary_key=True))
    return md


def test_a_new_table_without_a_decision_is_reported() -> None:
    md = _schema()
    Table("notes", md, Column("id", Integer, primary_key=True), Column("text", String))
    Table(
        "declared",
        md,
        Column("id", Integer, primary_key=True),
        info={"privacy": "none"},
    )
    assert undecided_tables(md) == ["notes"]


def test_a_key_without_ondelete_is_reported() -> None:
    md = _schema()
    Table(
        "answers",
        md,
        Column("id", Integer, primary_key=True),
        Column("person_id", ForeignKey("person.id")),
    )
    Table(
        "anon",
        md,
        Column("id", Integer, primary_key=True),
        Column("person_id", ForeignKey("person.id", ondelete="CASCADE"), nullable=False),
        info={"privacy": TablePolicy("anonymize")},
    )
    problems = schema_problems(md)
    assert any(p.startswith("answers.person_id") for p in problems)
    assert any(p.startswith("anon.person_id: anonymize needs a nullable") for p in problems)


def test_an_unknown_policy_is_refused() -> None:
    md = _schema()
    Table("odd", md, Column("id", Integer, primary_key=True), info={"privacy": "forget"})
    with pytest.raises(ValueError, match="odd"):
        table_rules(md)
