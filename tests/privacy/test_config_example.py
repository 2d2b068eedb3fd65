"""config.example.toml documents every key with its default and holds no secret; the config
file's permissions are checked at start."""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
import tomllib
import typing
from pathlib import Path

import pytest

from bot.config import Config, load_config

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "config.example.toml"
SECRET_KEYS = {
    ("telegram", "token"),
    ("telegram", "secret_token"),
    ("matrix", "password"),
    ("matrix", "access_token"),
    ("matrix", "pickle_key"),
    ("matrix", "recovery_key"),
}


def config_keys() -> dict[str, set[str]]:
    hints = typing.get_type_hints(Config)
    return {
        section.name: {f.name for f in dataclasses.fields(hints[section.name])}
        for section in dataclasses.fields(Config)
    }


def test_every_config_key_is_in_the_example() -> None:
    example = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    documented = {section: set(keys) for section, keys in example.items()}
    assert documented == config_keys(), (
        "config.example.toml and bot/config.py disagree: add the missing keys to the example "
        "(with a comment saying what they do) or drop the stale ones"
    )


def test_the_example_loads_and_shows_the_defaults() -> None:
    assert load_config(EXAMPLE, env={}) == Config()


def test_every_key_in_the_example_has_a_comment_above_it() -> None:
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines()
    for index, line in enumerate(lines):
        if re.match(r"^[a-z_]+\s*=", line):
            above = [p for p in lines[:index] if p.strip()][-1]
            assert above.startswith("#") or re.match(r"^[a-z_]+\s*=", above), line


def test_the_example_holds_no_secret() -> None:
    example = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    for section, key in SECRET_KEYS:
        assert example[section][key] == "", f"{section}.{key} must be empty in the example"
    text = EXAMPLE.read_text(encoding="utf-8")
    assert not re.search(r"\d{5,}:[A-Za-z0-9_-]{20,}", text)  # a Telegram token
    assert "syt_" not in text  # a Synapse access token


def test_secret_keys_are_the_ones_redacted_from_logs() -> None:
    from bot.cli import _secrets

    marked = Config(
        telegram=dataclasses.replace(Config().telegram, token="T" * 8, secret_token="S" * 8),
        matrix=dataclasses.replace(
            Config().matrix,
            password="P" * 8,
            access_token="A" * 8,
            pickle_key="K" * 8,
            recovery_key="R" * 8,
        ),
    )
    assert set(_secrets(marked)) == {"T" * 8, "S" * 8, "P" * 8, "A" * 8, "K" * 8, "R" * 8}
    assert len(SECRET_KEYS) == 6


def _start(config: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COHORTBOT_")}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "bot", "db", "upgrade", "--config", str(config)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
    )


@pytest.mark.parametrize(("mode", "warned"), [(0o644, True), (0o604, True), (0o600, False)])
def test_a_world_readable_config_file_is_warned_about(
    tmp_path: Path, mode: int, warned: bool
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'[storage]\nurl = "sqlite+aiosqlite:///{tmp_path / "x.db"}"\n')
    config.chmod(mode)
    done = _start(config, tmp_path)
    assert done.returncode == 0, done.stderr
    assert ("readable by every user" in done.stderr) is warned
