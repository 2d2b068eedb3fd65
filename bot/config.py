"""Typed configuration from config.toml, every key overridable by COHORTBOT_<SECTION>_<KEY>.

A bad value or an unknown key is a ConfigError whose one-line message names the key."""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bot import recovery_key
from bot.errors import ConfigError

ENV_PREFIX = "COHORTBOT_"
# Variables of the project's own scripts and tests that share the prefix; they are not
# configuration. Any other COHORTBOT_* variable must name a section and key.
TOOL_VARIABLES = (
    "COHORTBOT_TEST_",  # prefix: the test suite's settings (COHORTBOT_TEST_POSTGRES_URL...)
    "COHORTBOT_REQUIRE_SYNAPSE",
    "COHORTBOT_SYNAPSE_VENV",
    "COHORTBOT_SKIP_BENCH",
    "COHORTBOT_VENV",
)
# What Telegram accepts as a webhook's secret token.
_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")
_CLOCK = re.compile(r"([0-9]{2}):([0-9]{2})")


@dataclass(frozen=True)
class StorageConfig:
    url: str = "sqlite+aiosqlite:///cohortbot.db"
    files_dir: str = ""  # where files for the console are written; default: beside the database


@dataclass(frozen=True)
class TelegramConfig:
    token: str = ""
    base_url: str = "https://api.telegram.org"
    mode: str = "polling"
    listen: str = "127.0.0.1"
    port: int = 8443
    url: str = ""
    secret_token: str = ""
    # Most messages out and not yet recorded at once. A crash repeats at most these (Telegram
    # has no idempotency key); fewer slow the sending when a send and its record take long.
    max_unrecorded: int = 8

    @property
    def enabled(self) -> bool:
        return bool(self.token)


@dataclass(frozen=True)
class MatrixConfig:
    homeserver: str = ""
    user_id: str = ""
    password: str = ""
    access_token: str = ""
    device_id: str = ""
    store_path: str = "matrix-store"
    pickle_key: str = ""
    # Most messages out and not yet recorded at once. A crash resends at most these, with their
    # transaction ids, so the homeserver drops the repeats.
    max_unrecorded: int = 8
    # The account's secret-storage recovery key: the cross-signing private keys are kept there
    # (and read from there when this database does not hold them).
    recovery_key: str = ""
    # Allow replacing the account's cross-signing identity when the bot cannot sign with it.
    reset_cross_signing: bool = False

    @property
    def enabled(self) -> bool:
        return bool(self.homeserver and self.user_id and (self.password or self.access_token))


@dataclass(frozen=True)
class BotConfig:
    default_language: str = "en"
    languages: tuple[str, ...] = ("en", "es", "fr", "pt_BR", "ar")
    admins: tuple[str, ...] = ()
    quiet_hours: str = "22:00-08:00"
    commands_per_minute: int = 30
    max_text_length: int = 4000
    join_attempts_per_hour: int = 10
    # Names this process in the outbox claims; several instances need distinct names.
    instance_id: str = ""


@dataclass(frozen=True)
class PrivacyConfig:
    """Retention limits, enforced by the daily retention job (handlers/privacy/commands.py)."""

    debrief_retention_days: int = 180  # named debrief answers, counted from the cohort's close
    processed_updates_days: int = 7  # update ids kept to drop re-deliveries
    outbox_retention_days: int = 30  # sent/failed message rows (their texts are blanked on send)
    unanswered_question_days: int = 30  # open questions nobody answered
    finished_job_days: int = 30  # done, failed or cancelled jobs
    safety_report_days: int = 730  # safety reports, counted from their thread's last message
    safety_check_days: int = 90  # safety check-ins and everyone's answers
    retention_run_at: str = "03:30"  # when the daily retention job runs, HH:MM UTC

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            if f.name.endswith("_days") and getattr(self, f.name) < 1:
                raise ConfigError(f"privacy.{f.name}", "must be at least 1 (days)")
        clock = _CLOCK.fullmatch(self.retention_run_at)
        if clock is None or int(clock[1]) >= 24 or int(clock[2]) >= 60:
            raise ConfigError("privacy.retention_run_at", "expected HH:MM (UTC), e.g. 03:30")


@dataclass(frozen=True)
class WebConfig:
    """The coordinators' dashboard and the calendar feeds, served by `cohortbot run`."""

    enabled: bool = True
    listen: str = "127.0.0.1"
    port: int = 8080
    # Where people reach the server (through a reverse proxy with TLS in production): the root
    # of the links the bot hands out. https here makes the session cookie Secure.
    public_url: str = "http://127.0.0.1:8080"

    @property
    def secure(self) -> bool:
        return self.public_url.startswith("https://")

    def link(self, path: str) -> str:
        return f"{self.public_url.rstrip('/')}{path}"


@dataclass(frozen=True)
class LogConfig:
    level: str = "INFO"


@dataclass(frozen=True)
class Config:
    storage: StorageConfig = field(default_factory=StorageConfig)
    telegram: TelegramConfig = field(default_factory=TelegramConfig)
    matrix: MatrixConfig = field(default_factory=MatrixConfig)
    bot: BotConfig = field(default_factory=BotConfig)
    privacy: PrivacyConfig = field(default_factory=PrivacyConfig)
    web: WebConfig = field(default_factory=WebConfig)
    log: LogConfig = field(default_factory=LogConfig)


_CHOICES: dict[str, tuple[str, ...]] = {
    "telegram.mode": ("polling", "webhook"),
    "log.level": ("DEBUG", "INFO", "WARNING", "ERROR"),
}


def _convert(key: str, hint: Any, value: Any) -> Any:
    if hint is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in (
            "1",
            "true",
            "yes",
            "on",
            "0",
            "false",
            "no",
            "off",
        ):
            return value.lower() in ("1", "true", "yes", "on")
        raise ConfigError(key, f"expected true or false, got {value!r}")
    if hint is int:
        if isinstance(value, bool):
            raise ConfigError(key, f"expected a whole number, got {value!r}")
        try:
            return int(value)
        except (TypeError, ValueError):
            raise ConfigError(key, f"expected a whole number, got {value!r}") from None
    if hint is str:
        if not isinstance(value, str):
            raise ConfigError(key, f"expected a string, got {value!r}")
        allowed = _CHOICES.get(key)
        if allowed and value not in allowed:
            raise ConfigError(key, f"expected one of {', '.join(allowed)}, got {value!r}")
        return value
    if typing.get_origin(hint) is tuple:
        if isinstance(value, str):
            items = [v.strip() for v in value.split(",") if v.strip()]
        elif isinstance(value, list):
            items = value
        else:
            raise ConfigError(key, f"expected a list of strings, got {value!r}")
        if not all(isinstance(v, str) for v in items):
            raise ConfigError(key, "expected a list of strings")
        return tuple(str(v) for v in items)
    raise ConfigError(key, f"unsupported type {hint!r}")  # pragma: no cover - a bug, not input


def _section_values(name: str, cls: type[Any], values: Mapping[str, Any]) -> Any:
    """One section from its raw values (the file's, overridden by the environment's): each
    checked the same way wherever it came from, and named `section.key` when it is wrong."""
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    converted: dict[str, Any] = {}
    for key, value in values.items():
        if key not in known:
            raise ConfigError(f"{name}.{key}", "unknown key")
        converted[key] = _convert(f"{name}.{key}", hints[key], value)
    return cls(**converted)


def _from_environment(env: Mapping[str, str], sections: set[str]) -> dict[str, dict[str, str]]:
    """COHORTBOT_<SECTION>_<KEY> variables by section and key. Variables with the prefix that
    name no section or key are refused, all in one line (a typo must not go unnoticed);
    the project's own tool variables are left alone."""
    found: dict[str, dict[str, str]] = {}
    unknown: list[str] = []
    for env_key, value in env.items():
        if not env_key.startswith(ENV_PREFIX) or env_key.startswith(TOOL_VARIABLES):
            continue
        rest = env_key[len(ENV_PREFIX) :].lower()
        section = next((s for s in sections if rest.startswith(f"{s}_")), None)
        key = rest[len(section) + 1 :] if section is not None else ""
        if section is None or key not in _section_keys(section):
            unknown.append(env_key)
            continue
        found.setdefault(section, {})[key] = value
    if unknown:
        raise ConfigError(
            ", ".join(sorted(unknown)),
            "unknown environment variable (expected COHORTBOT_<SECTION>_<KEY>, sections: "
            f"{', '.join(sorted(sections))})",
        )
    return found


def _section_keys(section: str) -> set[str]:
    cls = typing.get_type_hints(Config)[section]
    return {f.name for f in dataclasses.fields(cls)}


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(str(path), "file not found") from None
    except UnicodeDecodeError:
        raise ConfigError(str(path), "not a text file (expected UTF-8 TOML)") from None
    except OSError as error:
        raise ConfigError(str(path), f"cannot be read ({error.strerror or error})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), f"not valid TOML ({exc})") from None


def load_config(path: Path | None, env: Mapping[str, str] | None = None) -> Config:
    """Read `path` (if given and present) and apply environment overrides."""
    env = os.environ if env is None else env
    data: dict[str, Any] = _read(path) if path is not None else {}
    sections = {f.name: f for f in dataclasses.fields(Config)}
    for name in data:
        if name not in sections:
            raise ConfigError(name, "unknown section")
    from_env = _from_environment(env, set(sections))
    built: dict[str, Any] = {}
    hints = typing.get_type_hints(Config)
    for name in sections:
        raw = data.get(name, {})
        if not isinstance(raw, dict):
            raise ConfigError(name, "expected a table")
        built[name] = _section_values(name, hints[name], {**raw, **from_env.get(name, {})})
    config = Config(**built)
    _validate(config)
    return config


def _validate(config: Config) -> None:
    from bot.profile import default_quiet_hours  # the parser is the single authority
    from bot.timeparse import ParseError

    if not config.bot.languages:
        raise ConfigError("bot.languages", "at least one language is needed")
    if config.bot.default_language not in config.bot.languages:
        raise ConfigError("bot.default_language", "must be one of bot.languages")
    try:
        default_quiet_hours(config)
    except ParseError:
        raise ConfigError("bot.quiet_hours", 'expected HH:MM-HH:MM or "off"') from None
    if not config.storage.url.startswith(("sqlite", "postgresql")):
        raise ConfigError(
            "storage.url", "expected a sqlite+aiosqlite:// or postgresql+asyncpg:// URL"
        )
    if config.telegram.mode == "webhook" and config.telegram.enabled and not config.telegram.url:
        raise ConfigError("telegram.url", "webhook mode needs the public webhook URL")
    _check_url("telegram.base_url", config.telegram.base_url)
    if config.telegram.url:
        _check_url("telegram.url", config.telegram.url)
    if config.matrix.homeserver:
        _check_url("matrix.homeserver", config.matrix.homeserver)
    _check_url("web.public_url", config.web.public_url)
    if not 1 <= config.web.port <= 65535:
        raise ConfigError("web.port", f"expected a port from 1 to 65535, got {config.web.port}")
    if not 1 <= config.telegram.port <= 65535:
        raise ConfigError(
            "telegram.port", f"expected a port from 1 to 65535, got {config.telegram.port}"
        )
    secret = config.telegram.secret_token
    if secret and _SECRET_TOKEN.fullmatch(secret) is None:
        # The value is a secret: the line says what is wrong, never what it is.
        raise ConfigError(
            "telegram.secret_token",
            "Telegram accepts 1 to 256 characters of A-Z, a-z, 0-9, _ and -",
        )
    if config.matrix.enabled and not config.matrix.store_path:
        raise ConfigError("matrix.store_path", "needed for end-to-end encryption (the key store)")
    if config.matrix.enabled and not config.matrix.pickle_key:
        raise ConfigError(
            "matrix.pickle_key",
            "needed to encrypt the key store in matrix.store_path: set a long random secret "
            "(COHORTBOT_MATRIX_PICKLE_KEY)",
        )
    if config.matrix.recovery_key:
        try:
            recovery_key.decode(config.matrix.recovery_key)
        except recovery_key.RecoveryKeyError as error:
            raise ConfigError("matrix.recovery_key", str(error)) from None
    for n in ("commands_per_minute", "max_text_length", "join_attempts_per_hour"):
        if getattr(config.bot, n) <= 0:
            raise ConfigError(f"bot.{n}", "must be positive")
    for section in ("telegram", "matrix"):
        if getattr(config, section).max_unrecorded < 1:
            raise ConfigError(f"{section}.max_unrecorded", "must be at least 1")


def _check_url(key: str, value: str) -> None:
    """An http(s) URL with a host, as the libraries that use it need."""
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number or too big
    except ValueError:
        raise ConfigError(key, "not a valid URL (its port?)") from None
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or any(c.isspace() for c in value)
    ):
        raise ConfigError(key, "expected an http:// or https:// URL with a host")


def world_readable(path: Path) -> bool:
    return bool(path.stat().st_mode & 0o004)
