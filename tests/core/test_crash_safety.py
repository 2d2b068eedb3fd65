"""Kill a real process (SIGKILL) at chosen points while it runs jobs and delivers messages,
restart it, and check that nothing was lost and nothing was sent twice (beyond the one message
that was on the wire at the moment of a send-crash, which the idempotency key identifies)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from tests.core.crash_worker import JOBS, MESSAGES_PER_JOB

ROOT = Path(__file__).resolve().parents[2]
EXPECTED = JOBS * MESSAGES_PER_JOB


def run_worker(db_url: str, sink: Path, point: str) -> int:
    done = subprocess.run(
        [sys.executable, "-m", "tests.core.crash_worker", db_url, str(sink), point],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode not in (0, -signal.SIGKILL):
        raise AssertionError(done.stderr[-3000:])
    return done.returncode


def received(sink: Path) -> Counter[str]:
    if not sink.exists():
        return Counter()
    return Counter(json.loads(line)["key"] for line in sink.read_text().splitlines())


@pytest.mark.parametrize(
    "point", ["job:1", "job:7", "claim:1", "claim:3", "send:1", "send:5", "send:20"]
)
async def test_crash_loses_nothing_and_duplicates_at_most_the_message_on_the_wire(
    point: str, db_url: str, tmp_path: Path
) -> None:
    sink = tmp_path / "sink.jsonl"
    assert run_worker(db_url, sink, point) == -signal.SIGKILL, "the worker should have died"
    assert run_worker(db_url, sink, "none") == 0
    keys = received(sink)
    assert len(keys) == EXPECTED, f"lost {EXPECTED - len(keys)} messages"
    duplicates = {k: n for k, n in keys.items() if n > 1}
    if point.startswith("send:"):
        # The message being sent when the process died was not recorded as sent, so it goes out
        # again -- with the same idempotency key, which Matrix uses as the transaction id.
        assert len(duplicates) <= 1 and all(n == 2 for n in duplicates.values())
    else:
        assert duplicates == {}


async def test_without_a_crash_every_message_is_sent_once(db_url: str, tmp_path: Path) -> None:
    sink = tmp_path / "sink.jsonl"
    assert run_worker(db_url, sink, "none") == 0
    assert run_worker(db_url, sink, "none") == 0  # a second run finds nothing left to do
    keys = received(sink)
    assert len(keys) == EXPECTED and set(keys.values()) == {1}
