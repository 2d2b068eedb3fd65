"""The table of unprompted messages (bot/unprompted.py) against the code: every job kind the
bot runs and every kind a handler names is in it, and nothing in it is stale. What each entry
does is in the scenarios (core_quiet_hours.txt) and below."""

from __future__ import annotations

import ast
from datetime import UTC, datetime
from pathlib import Path

from bot.app import build_router
from bot.config import load_config
from bot.unprompted import UNPROMPTED, Timing, quiet_until
from storage.models import Person

ROOT = Path(__file__).resolve().parents[2]


def named_kinds() -> dict[str, str]:
    """`unprompted="kind"` in every handler and web module -> where."""
    found: dict[str, str] = {}
    for folder in ("handlers", "web", "bot"):
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Call):
                    for kw in node.keywords:
                        if kw.arg == "unprompted" and isinstance(kw.value, ast.Constant):
                            found[str(kw.value.value)] = f"{path.relative_to(ROOT)}:{node.lineno}"
    return found


def test_every_job_kind_is_in_the_table() -> None:
    router = build_router()
    kinds = set(router.jobs) | set(router.job_batches)
    assert kinds - set(UNPROMPTED) == set()


def test_every_named_kind_is_in_the_table() -> None:
    named = named_kinds()
    assert {k: w for k, w in named.items() if k not in UNPROMPTED} == {}


def test_nothing_in_the_table_is_stale() -> None:
    router = build_router()
    used = set(router.jobs) | set(router.job_batches) | set(named_kinds())
    assert set(UNPROMPTED) - used == set()


def test_urgent_entries_say_why() -> None:
    for kind, rule in UNPROMPTED.items():
        assert len(rule.why) > 20, kind


def _person(zone: str, quiet: tuple[str, str] | None = None) -> Person:
    return Person(
        timezone=zone,
        quiet_start=quiet[0] if quiet else None,
        quiet_end=quiet[1] if quiet else None,
    )


def test_deferred_waits_for_the_readers_morning() -> None:
    config = load_config(None, env={})
    at_night = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)  # 01:00 in Bogota
    bogota = _person("America/Bogota")
    assert quiet_until("cohorts.closed", bogota, config, at_night, None) == datetime(
        2026, 12, 1, 13, 0, tzinfo=UTC
    )
    # no kind: deferred too
    assert quiet_until(None, bogota, config, at_night, None) is not None
    # urgent and timed kinds go now
    assert UNPROMPTED["consent.list"].timing is Timing.URGENT
    assert quiet_until("consent.list", bogota, config, at_night, None) is None
    assert quiet_until("scheduling.reminder", bogota, config, at_night, None) is None
    # awake: now
    beirut = _person("Asia/Beirut")
    assert quiet_until("cohorts.closed", beirut, config, at_night.replace(hour=8), None) is None
    # quiet hours off
    off = _person("America/Bogota", ("off", "off"))
    assert quiet_until("cohorts.closed", off, config, at_night, None) is None
