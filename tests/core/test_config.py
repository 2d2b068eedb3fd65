from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import load_config
from bot.errors import ConfigError
from bot.profile import default_quiet_hours, quiet_hours
from handlers.scheduling.checks import night_of
from storage.models import Person


def test_defaults_need_no_file() -> None:
    config = load_config(None, env={})
    assert config.storage.url == "sqlite+aiosqlite:///cohortbot.db"
    assert config.telegram.base_url == "https://api.telegram.org"
    assert not config.telegram.enabled and not config.matrix.enabled


def test_environment_overrides_the_file(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[telegram]\ntoken = "from-file"\n[bot]\nadmins = ["1"]\n')
    config = load_config(
        path,
        env={
            "COHORTBOT_TELEGRAM_TOKEN": "from-env",
            "COHORTBOT_BOT_ADMINS": "telegram:1, matrix:@a:b",
            "COHORTBOT_TEST_POSTGRES_URL": "ignored: not a config section",
        },
    )
    assert config.telegram.token == "from-env"
    assert config.bot.admins == ("telegram:1", "matrix:@a:b")


def test_default_quiet_hours_can_be_off_and_people_still_set_their_own(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[bot]\nquiet_hours = 'off'\n")
    config = load_config(path, env={})
    assert default_quiet_hours(config) is None
    assert quiet_hours(Person(), config) is None
    own = Person(quiet_start="23:00", quiet_end="07:00")
    assert quiet_hours(own, config) == (time(23, 0), time(7, 0))
    # A session at 03:00 is still "at night" for the scheduling warnings.
    assert night_of(Person(), config) == (time(22, 0), time(8, 0))
    assert default_quiet_hours(load_config(None, env={})) == (time(22, 0), time(8, 0))


@pytest.mark.parametrize(
    ("text", "env", "key"),
    [
        ("[telegram]\ntokn = 'x'\n", {}, "telegram.tokn"),
        ("[telegrm]\ntoken = 'x'\n", {}, "telegrm"),
        ("[telegram]\nport = 'eighty'\n", {}, "telegram.port"),
        ("[telegram]\nmode = 'push'\n", {}, "telegram.mode"),
        ("[bot]\nquiet_hours = '25-99'\n", {}, "bot.quiet_hours"),
        ("[bot]\nquiet_hours = 'of'\n", {}, "bot.quiet_hours"),
        ("[bot]\ndefault_language = 'de'\n", {}, "bot.default_language"),
        ("[storage]\nurl = 'mysql://x'\n", {}, "storage.url"),
        ("", {"COHORTBOT_MATRIX_PASWORD": "x"}, "COHORTBOT_MATRIX_PASWORD"),
        ("", {"COHORTBOT_BOT_COMMANDS_PER_MINUTE": "-3"}, "bot.commands_per_minute"),
        ("not toml at all [", {}, "config.toml"),
        ("[matrix]\nrecovery_key = 'EsTc LW2K'\n", {}, "matrix.recovery_key"),
        ("", {"COHORTBOT_MATRIX_RECOVERY_KEY": "0OIl" * 12}, "matrix.recovery_key"),
        ("", {"COHORTBOT_MATRIX_RESET_CROSS_SIGNING": "maybe"}, "matrix.reset_cross_signing"),
    ],
)
def test_a_bad_value_is_one_line_naming_the_key(
    tmp_path: Path, text: str, env: dict[str, str], key: str
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_config(path, env=env)
    message = str(caught.value)
    assert key in message and "\n" not in message


def test_run_without_a_platform_says_what_to_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("COHORTBOT_TELEGRAM_TOKEN", "COHORTBOT_MATRIX_HOMESERVER"):
        monkeypatch.delenv(name, raising=False)
    assert main(["run"]) == 2
    err = capsys.readouterr().err
    assert "COHORTBOT_TELEGRAM_TOKEN" in err and "matrix" in err and len(err.splitlines()) == 1


def test_a_malformed_config_file_stops_the_cli_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "c.toml"
    path.write_text("[bot]\nlanguages = 5\n")
    assert main(["db", "upgrade", "--config", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("config error: bot.languages") and "\n" not in err


def test_matrix_cross_signing_keys_from_the_environment() -> None:
    from bot import recovery_key

    key = recovery_key.generate()
    config = load_config(
        None,
        env={
            "COHORTBOT_MATRIX_RECOVERY_KEY": key,
            "COHORTBOT_MATRIX_RESET_CROSS_SIGNING": "true",
        },
    )
    assert config.matrix.recovery_key == key and config.matrix.reset_cross_signing
    assert not load_config(None, env={}).matrix.reset_cross_signing


def test_a_recovery_key_with_a_typo_is_refused_without_repeating_it() -> None:
    from bot import recovery_key

    key = recovery_key.generate()
    typo = key[:-1] + ("2" if key[-1] != "2" else "3")
    with pytest.raises(ConfigError) as caught:
        load_config(None, env={"COHORTBOT_MATRIX_RECOVERY_KEY": typo})
    message = str(caught.value)
    assert message.startswith("config error: matrix.recovery_key: ")
    assert typo not in message and key[:9] not in message
