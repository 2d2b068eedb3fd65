"""Start-up problems end in one line naming the key and exit status 2, as a malformed config
does: the environment is checked exactly like the file, values Telegram or the network would
refuse are refused first, and a database or a port that cannot be used stops the program
instead of leaving it running deaf. Never a traceback."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import load_config
from bot.errors import ConfigError


def one_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err, err
    return err


def error_of(text: str = "", env: dict[str, str] | None = None, tmp: Path | None = None) -> str:
    path = None
    if tmp is not None:
        path = tmp / "config.toml"
        path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_config(path, env=env or {})
    message = str(caught.value)
    assert "\n" not in message
    return message


# The environment, exactly as the file ---------------------------------------------------------
@pytest.mark.parametrize(
    ("file_text", "env"),
    [
        ("[telegram]\nmode = 'push'\n", {"COHORTBOT_TELEGRAM_MODE": "push"}),
        ("[log]\nlevel = 'LOUD'\n", {"COHORTBOT_LOG_LEVEL": "LOUD"}),
        ("[telegram]\nport = 99999\n", {"COHORTBOT_TELEGRAM_PORT": "99999"}),
        ("[bot]\ncommands_per_minute = 0\n", {"COHORTBOT_BOT_COMMANDS_PER_MINUTE": "0"}),
    ],
)
def test_the_environment_is_checked_exactly_like_the_file(
    tmp_path: Path, file_text: str, env: dict[str, str]
) -> None:
    assert error_of(file_text, tmp=tmp_path) == error_of(env=env)


def test_push_mode_from_the_environment_is_refused() -> None:
    assert error_of(env={"COHORTBOT_TELEGRAM_MODE": "push"}) == (
        "config error: telegram.mode: expected one of polling, webhook, got 'push'"
    )


def test_unknown_cohortbot_variables_are_named_in_one_line() -> None:
    message = error_of(
        env={
            "COHORTBOT_TELEGRM_TOKEN": "x",
            "COHORTBOT_WEBB_PORT": "8080",
            "COHORTBOT_TELEGRAM_MODE": "polling",
        }
    )
    assert message.startswith("config error: COHORTBOT_TELEGRM_TOKEN, COHORTBOT_WEBB_PORT: ")
    assert "COHORTBOT_<SECTION>_<KEY>" in message and "telegram" in message


def test_the_projects_own_tool_variables_are_not_configuration() -> None:
    config = load_config(
        None,
        env={
            "COHORTBOT_TEST_POSTGRES_URL": "postgresql://x",
            "COHORTBOT_SYNAPSE_VENV": "/x",
            "COHORTBOT_REQUIRE_SYNAPSE": "1",
            "COHORTBOT_SKIP_BENCH": "1",
            "COHORTBOT_TELEGRAM_MODE": "webhook",
        },
    )
    assert config.telegram.mode == "webhook"


# Values that would leave the bot deaf ---------------------------------------------------------
@pytest.mark.parametrize(
    ("env", "key"),
    [
        ({"COHORTBOT_TELEGRAM_PORT": "99999"}, "telegram.port"),
        ({"COHORTBOT_TELEGRAM_PORT": "0"}, "telegram.port"),
        ({"COHORTBOT_TELEGRAM_SECRET_TOKEN": "has spaces and !"}, "telegram.secret_token"),
        ({"COHORTBOT_TELEGRAM_SECRET_TOKEN": "x" * 257}, "telegram.secret_token"),
        ({"COHORTBOT_TELEGRAM_SECRET_TOKEN": "ключ"}, "telegram.secret_token"),
        ({"COHORTBOT_TELEGRAM_BASE_URL": "not a url"}, "telegram.base_url"),
        ({"COHORTBOT_TELEGRAM_BASE_URL": "ftp://api.telegram.org"}, "telegram.base_url"),
        ({"COHORTBOT_TELEGRAM_BASE_URL": "http://"}, "telegram.base_url"),
        ({"COHORTBOT_TELEGRAM_BASE_URL": "http://host:99999"}, "telegram.base_url"),
        ({"COHORTBOT_TELEGRAM_URL": "bot.example.org/hook"}, "telegram.url"),
        ({"COHORTBOT_MATRIX_HOMESERVER": "matrix.org"}, "matrix.homeserver"),
        ({"COHORTBOT_PRIVACY_RETENTION_RUN_AT": "²²:30"}, "privacy.retention_run_at"),
    ],
)
def test_values_that_cannot_work_are_refused_naming_the_key(env: dict[str, str], key: str) -> None:
    assert error_of(env=env).startswith(f"config error: {key}: ")


def test_the_secret_token_is_never_echoed() -> None:
    assert "hunter2 !" not in error_of(env={"COHORTBOT_TELEGRAM_SECRET_TOKEN": "hunter2 !"})


def test_telegrams_own_secret_rule_is_accepted() -> None:
    secret = "A-z_09" * 42 + "abcd"  # 256 characters
    config = load_config(None, env={"COHORTBOT_TELEGRAM_SECRET_TOKEN": secret})
    assert config.telegram.secret_token == secret


# Files that cannot be read or written ---------------------------------------------------------
def test_a_binary_config_file_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\xff\xfe")
    assert main(["db", "upgrade", "--config", str(path)]) == 2
    assert one_line(capsys) == f"config error: {path}: not a text file (expected UTF-8 TOML)"


def test_a_directory_as_config_file_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["db", "upgrade", "--config", str(tmp_path)]) == 2
    assert one_line(capsys).startswith(f"config error: {tmp_path}: cannot be read")


def test_a_database_path_that_cannot_be_created(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    url = f"sqlite+aiosqlite:///{blocker}/data/bot.db"
    assert main(["db", "upgrade", "--db", url]) == 2
    assert one_line(capsys) == (
        f"config error: storage.url: cannot create {blocker}/data: {blocker} is not a directory"
    )


def test_a_read_only_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bot.db"
    url = f"sqlite+aiosqlite:///{path}"
    assert main(["db", "upgrade", "--db", url]) == 0
    capsys.readouterr()
    path.chmod(0o400)
    assert main(["db", "upgrade", "--db", url]) == 2
    assert one_line(capsys) == f"config error: storage.url: the database {path} is read-only"


def test_a_directory_as_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "upgrade", "--db", f"sqlite+aiosqlite:///{tmp_path}"]) == 2
    assert "is a directory, not a database file" in one_line(capsys)


def test_an_unreachable_postgresql(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"postgresql+asyncpg://bot:s3cr3t-pw@127.0.0.1:{port}/cohortbot"
    assert main(["db", "upgrade", "--db", url]) == 2
    line = one_line(capsys)
    assert line.startswith("config error: storage.url: cannot open the database (")
    assert "s3cr3t-pw" not in line


# A port that is taken ---------------------------------------------------------------------------
def test_a_webhook_port_in_use_stops_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        for name, value in {
            "COHORTBOT_TELEGRAM_TOKEN": "123456:" + "A" * 35,
            "COHORTBOT_TELEGRAM_BASE_URL": "http://127.0.0.1:9",  # never reached
            "COHORTBOT_TELEGRAM_MODE": "webhook",
            "COHORTBOT_TELEGRAM_URL": f"https://bot.example.org:{port}/hook",
            "COHORTBOT_TELEGRAM_LISTEN": "127.0.0.1",
            "COHORTBOT_TELEGRAM_PORT": str(port),
            "COHORTBOT_STORAGE_URL": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        }.items():
            monkeypatch.setenv(name, value)
        monkeypatch.chdir(tmp_path)
        assert main(["run"]) == 2
    err = capsys.readouterr().err
    last = err.strip().splitlines()[-1]
    assert last.startswith(f"config error: telegram.port: cannot listen on 127.0.0.1:{port} (")
    assert "Traceback" not in err
