"""Virtual-time driving sends the same messages at the same instants as the code it replaced:
a small program (bench/virtual.py: people in five zones and languages, weekly sessions,
reminders under quiet hours, debrief prompts and reminders and summaries, commitment nudges)
simulated for 16 days, its whole transcript compared with one recorded from the code before the
job path was optimized (virtual_transcript.jsonl; to record it again after a deliberate change
of what is sent: COHORTBOT_RECORD_TRANSCRIPT=1)."""

from __future__ import annotations

import json
import os
from dataclasses import astuple
from pathlib import Path

from bench.virtual import Program, simulate

RECORDED = Path(__file__).with_name("virtual_transcript.jsonl")
PROGRAM = Program(people=40, sessions=3, days=16)


def _ordered(lines: list[list[str]]) -> list[list[str]]:
    """By instant and chat; within one chat the order they were sent (a stable sort). Messages
    to different chats at the same instant may go in any order."""
    return sorted(lines, key=lambda line: (line[0], line[1]))


async def test_transcript_is_unchanged(db_url: str, tmp_path: Path) -> None:
    outcome = await simulate(db_url, tmp_path / "files", PROGRAM)
    lines = [list(astuple(line)) for line in outcome.transcript]
    if os.environ.get("COHORTBOT_RECORD_TRANSCRIPT") and db_url.startswith("sqlite"):
        RECORDED.write_text(
            "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines),
            encoding="utf-8",
        )
    recorded = [json.loads(row) for row in RECORDED.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == len(recorded)
    assert _ordered(lines) == _ordered(recorded)
