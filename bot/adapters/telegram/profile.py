"""What the bot tells Telegram about itself: the command menu and the descriptions, in every
configured language (Telegram picks the one matching the person's app language).

Built from the command table bot/app.py hands over (name -> help message id) and the message
catalogs, so the adapter never imports handlers. Published on start only when it changed."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import asdict, dataclass
from datetime import timedelta

from telegram import Bot, BotCommand, BotCommandScopeDefault
from telegram.error import RetryAfter, TelegramError

from bot.authz import Access
from bot.i18n import Catalogs, _

log = logging.getLogger(__name__)

DESCRIPTION = _("telegram.description")
SHORT_DESCRIPTION = _("telegram.short_description")
MAX_COMMANDS = 100
MAX_COMMAND_TEXT = 256
MAX_DESCRIPTION = 512
MAX_SHORT_DESCRIPTION = 120
_NAME = re.compile(r"[a-z0-9_]{1,32}")
_FIRST = ("start", "help")

CommandTable = Mapping[str, tuple[str | None, str, Access]]


@dataclass(frozen=True)
class LocalizedProfile:
    """The menu and descriptions for one Telegram language code ("" = everyone else)."""

    language_code: str
    commands: tuple[tuple[str, str], ...]
    description: str
    short_description: str


def _cut(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _rank(name: str, access: Access) -> int:
    """Menu order: start and help, what anyone may do, then what members, then staff may do."""
    if name in _FIRST:
        return _FIRST.index(name) - 2
    if not access.cohort:
        return 1 if access.creator else 0
    return 3 if access.roles else 2


def telegram_language(lang: str) -> str | None:
    """Telegram scopes menus by two-letter language code: pt_BR -> pt."""
    code = lang.split("_")[0].lower()
    return code if re.fullmatch(r"[a-z]{2}", code) else None


def build_profiles(
    catalogs: Catalogs, commands: CommandTable, default_language: str
) -> tuple[LocalizedProfile, ...]:
    listed = [
        (name, help_id, access)
        for name, (help_id, _usage, access) in commands.items()
        if help_id and _NAME.fullmatch(name)
    ]
    ordered = sorted(listed, key=lambda item: _rank(item[0], item[2]))[:MAX_COMMANDS]

    def profile(lang: str, code: str) -> LocalizedProfile:
        tr = catalogs.translator(lang)
        menu = tuple(
            (name, _cut(tr.t(help_id), MAX_COMMAND_TEXT))
            for name, help_id, _a in ordered
            if catalogs.lookup(lang, help_id) is not None  # no help text yet: not in the menu
        )
        return LocalizedProfile(
            language_code=code,
            commands=tuple((n, d) for n, d in menu if d),
            description=_cut(tr.t(DESCRIPTION), MAX_DESCRIPTION),
            short_description=_cut(tr.t(SHORT_DESCRIPTION), MAX_SHORT_DESCRIPTION),
        )

    profiles = [profile(default_language, "")]
    seen: set[str] = set()
    for lang in catalogs.languages:
        code = telegram_language(lang)
        if code is None or code in seen:
            continue
        seen.add(code)
        profiles.append(profile(lang, code))
    return tuple(profiles)


def fingerprint(profiles: tuple[LocalizedProfile, ...]) -> str:
    data = json.dumps([asdict(p) for p in profiles], ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


async def _call_patiently(what: str, call: Callable[[], Awaitable[object]]) -> None:
    """Run one Bot API call, waiting out flood control a few times."""
    for _attempt in range(5):
        try:
            await call()
            return
        except RetryAfter as error:
            wait = error.retry_after
            seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
            log.info("telegram: flood control while publishing", extra={"call": what})
            await asyncio.sleep(seconds)
    raise TimeoutError(f"{what}: still flood-limited")


async def _publish_one(bot: Bot, p: LocalizedProfile) -> None:
    language = p.language_code or None
    menu = [BotCommand(name, text) for name, text in p.commands]
    await _call_patiently(
        "setMyCommands",
        lambda: bot.set_my_commands(menu, scope=BotCommandScopeDefault(), language_code=language),
    )
    await _call_patiently(
        "setMyDescription",
        lambda: bot.set_my_description(p.description, language_code=language),
    )
    await _call_patiently(
        "setMyShortDescription",
        lambda: bot.set_my_short_description(p.short_description, language_code=language),
    )


async def publish(bot: Bot, profiles: tuple[LocalizedProfile, ...]) -> bool:
    """setMyCommands, setMyDescription and setMyShortDescription per language. False if
    Telegram refused something (logged; the next start tries again)."""
    try:
        for p in profiles:
            await _publish_one(bot, p)
    except (TelegramError, TimeoutError) as error:
        log.warning("telegram: command menu not published", extra={"error": type(error).__name__})
        return False
    return True
