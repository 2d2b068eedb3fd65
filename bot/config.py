"""Typed configuration from config.toml, every key overridable by COHORTBOT_<SECTION>_<KEY>.

A bad value or an unknown key is a ConfigError whose one-line message names the key."""

from __future__ import annotations

import dataclasses
import os
import tomllib
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot import recovery_key
from bot.errors import ConfigError

ENV_PREFIX = "COHORTBOT_"


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
    """Retention limits, enforced by the daily retention job (handlers/privacy.py)."""

    debrief_retention_days: int = 180  # named debrief answers, counted from the cohort's close
    processed_updates_days: int = 7  # update ids kept to drop re-deliveries
    outbox_retention_days: int = 30  # sent/failed message rows (their texts are blanked on send)
    unanswered_question_days: int = 30  # open questions nobody answered
    finished_job_days: int = 30  # done, failed or cancelled jobs
    retention_run_at: str = "03:30"  # when the daily retention job runs, HH:MM UTC

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            if f.name.endswith("_days") and getattr(self, f.name) < 1:
                raise ConfigError(f"privacy.{f.name}", "must be at least 1 (days)")
        hour, _sep, minute = self.retention_run_at.partition(":")
        if not (
            len(hour) == 2
            and len(minute) == 2
            and hour.isdigit()
            and minute.isdigit()
            and int(hour) < 24
            and int(minute) < 60
        ):
            raise ConfigError("privacy.retention_run_at", "expected HH:MM (UTC), e.g. 03:30")


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


def _section_values(
    name: str, cls: type[Any], from_file: Mapping[str, Any], env: Mapping[str, str]
) -> Any:
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    values: dict[str, Any] = {}
    for key, value in from_file.items():
        if key not in known:
            raise ConfigError(f"{name}.{key}", "unknown key")
        values[key] = _convert(f"{name}.{key}", hints[key], value)
    prefix = f"{ENV_PREFIX}{name.upper()}_"
    for env_key, value in env.items():
        if not env_key.startswith(prefix):
            continue
        key = env_key[len(prefix) :].lower()
        if key not in known:
            raise ConfigError(env_key, "unknown key")
        values[key] = _convert(env_key, hints[key], value)
    return cls(**values)


def load_config(path: Path | None, env: Mapping[str, str] | None = None) -> Config:
    """Read `path` (if given and present) and apply environment overrides."""
    env = os.environ if env is None else env
    data: dict[str, Any] = {}
    if path is not None:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(str(path), "file not found") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(str(path), f"not valid TOML ({exc})") from None
    sections = {f.name: f for f in dataclasses.fields(Config)}
    for name in data:
        if name not in sections:
            raise ConfigError(name, "unknown section")
    built: dict[str, Any] = {}
    hints = typing.get_type_hints(Config)
    for name in sections:
        raw = data.get(name, {})
        if not isinstance(raw, dict):
            raise ConfigError(name, "expected a table")
        built[name] = _section_values(name, hints[name], raw, env)
    config = Config(**built)
    _validate(config)
    return config


def _validate(config: Config) -> None:
    from bot.timeparse import ParseError, parse_quiet_range  # the parser is the single authority

    if not config.bot.languages:
        raise ConfigError("bot.languages", "at least one language is needed")
    if config.bot.default_language not in config.bot.languages:
        raise ConfigError("bot.default_language", "must be one of bot.languages")
    try:
        parse_quiet_range(config.bot.quiet_hours)
    except ParseError:
        raise ConfigError("bot.quiet_hours", "expected HH:MM-HH:MM") from None
    if not config.storage.url.startswith(("sqlite", "postgresql")):
        raise ConfigError(
            "storage.url", "expected a sqlite+aiosqlite:// or postgresql+asyncpg:// URL"
        )
    if config.telegram.mode == "webhook" and config.telegram.enabled and not config.telegram.url:
        raise ConfigError("telegram.url", "webhook mode needs the public webhook URL")
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


def world_readable(path: Path) -> bool:
    return bool(path.stat().st_mode & 0o004)
