"""Every scenario file under tests/scenarios/ runs to the end on each backend, through the same
code path as `cohortbot console --script FILE --json`."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from bot.cli import run_script
from bot.config import load_config

SCENARIOS = sorted((Path(__file__).parent / "scenarios").glob("*.txt"))


@pytest.mark.parametrize("script", SCENARIOS, ids=[p.stem for p in SCENARIOS])
async def test_scenario_runs_to_the_end(
    script: Path, db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = load_config(None, env={})
    config = replace(
        base, storage=replace(base.storage, url=db_url, files_dir=str(tmp_path / "files"))
    )
    code = await run_script(config, script, as_json=True)
    out, err = capsys.readouterr()
    assert code == 0, f"{script.name} failed: {err}"
    for line in out.splitlines():
        message = json.loads(line)
        assert set(message) >= {"at", "chat", "to", "text", "choices"}
        assert "Traceback" not in message["text"]


def test_there_are_scenarios() -> None:
    assert len(SCENARIOS) >= 1
