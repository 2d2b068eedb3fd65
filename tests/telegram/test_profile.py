"""The command menu and descriptions Telegram shows, per language, published on start."""

from __future__ import annotations

from pathlib import Path

from bot.adapters.telegram.profile import build_profiles
from bot.authz import ANYONE, MEMBER, roles
from bot.i18n import Catalogs
from tests.fakes.telegram_api import FakeTelegram
from tests.telegram.harness import TelegramBot

LANGUAGES = {"": "en", "en": "en", "es": "es", "fr": "fr", "pt": "pt_BR", "ar": "ar"}


async def test_menus_and_descriptions_are_set_per_language(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    bot = await TelegramBot.start(fake, tmp_path)
    try:
        assert bot.platform.publishing is not None
        await bot.platform.publishing
        catalogs = Catalogs(("en", "es", "fr", "pt_BR", "ar"))
        for code, lang in LANGUAGES.items():
            tr = catalogs.translator(lang)
            menu = fake.commands_for("default", code)
            names = [c["command"] for c in menu]
            assert names[:2] == ["start", "help"], code
            assert {"me", "newcohort", "join", "timezone"} <= set(names)
            described = {c["command"]: c["description"] for c in menu}
            assert described["help"] == tr.t("help.cmd.help")
            assert described["timezone"] == tr.t("help.cmd.timezone")
            assert fake.descriptions[code] == tr.t("telegram.description")
            assert fake.short_descriptions[code] == tr.t("telegram.short_description")
        assert fake.descriptions["es"] != fake.descriptions["en"]
        assert fake.calls["setMyCommands"] == len(LANGUAGES)
    finally:
        await bot.close()

    # The next start finds the same menu already published and leaves Telegram alone.
    again = await TelegramBot.start(fake, tmp_path)
    try:
        assert again.platform.publishing is not None
        await again.platform.publishing
        assert fake.calls["setMyCommands"] == len(LANGUAGES)
        assert fake.calls["setMyDescription"] == len(LANGUAGES)
    finally:
        await again.close()


def test_the_menu_lists_what_anyone_may_do_before_staff_commands() -> None:
    catalogs = Catalogs(("en", "pt_BR"))
    table = {
        "roster": ("help.cmd.help", "", roles("coordinator")),
        "sessions": ("help.cmd.help", "", MEMBER),
        "me": ("help.cmd.me", "", ANYONE),
        "help": ("help.cmd.help", "", ANYONE),
        "start": ("help.cmd.start", "[CODE]", ANYONE),
        "nohelp": (None, "", ANYONE),
        "Bad-Name": ("help.cmd.help", "", ANYONE),
        "untranslated": ("nowhere.no_such_text", "", ANYONE),
    }
    default, english, portuguese = build_profiles(catalogs, table, "en")
    assert [c for c, _d in default.commands] == ["start", "help", "me", "sessions", "roster"]
    assert (default.language_code, english.language_code, portuguese.language_code) == (
        "",
        "en",
        "pt",
    )
    assert dict(portuguese.commands)["start"] == catalogs.translator("pt_BR").t("help.cmd.start")
    assert len(default.short_description) <= 120
    assert len(default.description) <= 512
