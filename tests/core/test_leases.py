"""Leases: one holder at a time, renewal, take-over after expiry, release on clean stop; and the
runtime starts a platform only in the instance holding its lease."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.clock import VirtualClock
from bot.lease import TTL, Leases
from storage.engine import Database

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


async def test_one_holder_at_a_time_with_take_over_after_expiry(db: Database) -> None:
    clock = VirtualClock(START)
    a, b = Leases(db, clock, "a"), Leases(db, clock, "b")
    assert await a.acquire("platform:telegram")
    assert not await b.acquire("platform:telegram")
    clock.advance(TTL / 2)
    assert await a.acquire("platform:telegram")  # renewal
    clock.advance(TTL - timedelta(seconds=1))
    assert not await b.acquire("platform:telegram")  # renewed lease still valid
    clock.advance(timedelta(seconds=2))  # a stopped renewing: its lease ran out
    assert await b.acquire("platform:telegram")
    assert not await a.acquire("platform:telegram")


async def test_release_hands_over_at_once(db: Database) -> None:
    clock = VirtualClock(START)
    a, b = Leases(db, clock, "a"), Leases(db, clock, "b")
    assert await a.acquire("platform:matrix")
    await a.release("platform:matrix")
    assert await b.acquire("platform:matrix")


async def test_leases_are_independent_per_platform(db: Database, tmp_path: Path) -> None:
    clock = VirtualClock(START)
    a, b = Leases(db, clock, "a"), Leases(db, clock, "b")
    assert await a.acquire("platform:telegram")
    assert await b.acquire("platform:matrix")
