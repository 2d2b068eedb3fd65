"""The command line as users and scripts see it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        # no dashboard: a parallel test's bot may want its port
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "COHORTBOT_WEB_ENABLED": "false"},
    )


@pytest.mark.parametrize("command", [[], ["console"], ["run"], ["db"], ["db", "upgrade"]])
def test_help_on_each_command(command: list[str], tmp_path: Path) -> None:
    done = cli(*command, "--help", cwd=tmp_path)
    assert done.returncode == 0 and "usage: cohortbot" in done.stdout


def test_script_json_output_and_files_beside_the_database(tmp_path: Path) -> None:
    script = tmp_path / "s.txt"
    script.write_text(":clock 2026-12-01T09:00Z\nana> /timezone Nairobi\n:expect ana Nairobi\n")
    done = cli("console", "--script", str(script), "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    (line,) = done.stdout.splitlines()
    message = json.loads(line)
    assert message["at"] == "2026-12-01T09:00:00Z" and message["to"] == "ana"
    assert message["chat"] == "ana" and message["choices"] == []
    assert (tmp_path / "cohortbot.db").exists()


def test_a_malformed_script_line_exits_non_zero_naming_the_line(tmp_path: Path) -> None:
    script = tmp_path / "bad.txt"
    script.write_text("# fine\nana> /help\n:advance soon\n")
    done = cli("console", "--script", str(script), cwd=tmp_path)
    assert done.returncode != 0
    assert "line 3" in done.stderr and "soon" in done.stderr


def test_a_failed_expectation_exits_non_zero(tmp_path: Path) -> None:
    script = tmp_path / "x.txt"
    script.write_text("ana> /help\n:expect ana this text is not there\n")
    done = cli("console", "--script", str(script), cwd=tmp_path)
    assert done.returncode == 1 and "line 2" in done.stderr


def test_db_upgrade(tmp_path: Path) -> None:
    done = cli("db", "upgrade", "--db", f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", cwd=tmp_path)
    assert done.returncode == 0 and (tmp_path / "x.db").exists()


def test_interactive_console_chats_and_quits(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bot", "console"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        input="/timezone Lagos\n:as bob\n/me\n:quit\n",
        timeout=120,
        check=False,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 0, done.stderr
    assert "Africa/Lagos" in done.stdout and "bot → bob" in done.stdout


async def test_a_returning_person_in_a_new_process(empty_db_url: str, tmp_path: Path) -> None:
    """Two console processes on one database: the second begins with a person the first one
    stored, so its very first statement loads that person (the ORM's mappers must be ready then,
    whatever the first statement is)."""
    first = tmp_path / "first.txt"
    first.write_text("ana> /start\nana> /timezone America/Bogota\n:expect ana Bogota\n")
    second = tmp_path / "second.txt"
    second.write_text("ana> /me\n:expect ana America/Bogota\n:expect ana Colombia\n")
    db = ["--db", empty_db_url]
    done = cli("console", "--script", str(first), *db, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    again = cli("console", "--script", str(second), "--json", *db, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    (line,) = again.stdout.splitlines()
    assert "America/Bogota" in json.loads(line)["text"]
