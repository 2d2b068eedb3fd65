"""Message catalogs (Babel .po files under locales/) and locale-aware formatting.

Message ids are symbolic ("profile.timezone_set"); the part before the first dot names the
catalog domain (locales/<lang>/LC_MESSAGES/<domain>.po). English is a catalog like the others.
Placeholders are named: "{zone}". Plurals use `tn(msgid, n)`.
"""

from __future__ import annotations

import datetime as dt
import gettext
import logging
import string
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import tzinfo
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from babel import Locale
from babel import dates as babel_dates
from babel import numbers as babel_numbers
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po

log = logging.getLogger(__name__)

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
FALLBACK = "en"
RTL_LANGUAGES = frozenset({"ar", "fa", "he", "ur"})
FSI, PDI = "\u2068", "\u2069"  # Unicode isolates keep LTR values intact inside RTL sentences


Width = Literal["full", "long", "medium", "short"]


def plural_index(locale: Locale, n: int, forms: int) -> int:
    """Which of a message's plural forms to use: .po files order them by the language's gettext
    plural formula (Babel's table), which the standard library evaluates safely."""
    rule = gettext.c2py(get_plural(locale).plural_expr)
    return min(int(rule(n)), forms - 1)


def _(msgid: str) -> str:
    """Marks a message id for extraction where it is used later (tables of ids)."""
    return msgid


def placeholders(text: str) -> set[str]:
    return {name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name}


@dataclass(frozen=True)
class Entry:
    text: str | tuple[str, ...]


class Catalogs:
    """All languages' messages, loaded once from the .po files."""

    def __init__(self, languages: tuple[str, ...], directory: Path = LOCALES_DIR) -> None:
        self.languages = languages
        self._messages: dict[str, dict[str, str | tuple[str, ...]]] = {}
        self._locales: dict[str, Locale] = {}
        for lang in {*languages, FALLBACK}:
            self._locales[lang] = Locale.parse(lang)
            self._messages[lang] = self._load(directory / lang / "LC_MESSAGES")

    @staticmethod
    def _load(folder: Path) -> dict[str, str | tuple[str, ...]]:
        messages: dict[str, str | tuple[str, ...]] = {}
        for po in sorted(folder.glob("*.po")):
            with po.open("rb") as fh:
                catalog = read_po(fh)
            for message in catalog:
                if not message.id or message.fuzzy:
                    continue
                key = message.id if isinstance(message.id, str) else message.id[0]
                value = message.string
                if isinstance(value, str):
                    if value:
                        messages[key] = value
                elif value and all(value):
                    messages[key] = tuple(value)
        return messages

    def locale(self, lang: str) -> Locale:
        return self._locales.get(lang) or self._locales[FALLBACK]

    def lookup(self, lang: str, msgid: str) -> str | tuple[str, ...] | None:
        found = self._messages.get(lang, {}).get(msgid)
        if found is None and lang != FALLBACK:
            found = self._messages[FALLBACK].get(msgid)
        return found

    def has(self, lang: str, msgid: str) -> bool:
        return msgid in self._messages.get(lang, {})

    def translator(self, lang: str | None) -> Translator:
        chosen = lang if lang in self._messages else FALLBACK
        return Translator(self, chosen)

    def normalize(self, text: str) -> str | None:
        """Map what a person types ("pt", "pt-br", "ES", "Español") to a supported language."""
        wanted = text.strip().replace("-", "_")
        if not wanted:
            return None
        lowered = wanted.lower()
        for lang in self.languages:
            if lang.lower() == lowered:
                return lang
        for lang in self.languages:
            if lang.split("_")[0].lower() == lowered.split("_")[0]:
                return lang
        for lang in self.languages:
            loc = self._locales[lang]
            names = {(loc.display_name or "").lower(), (loc.english_name or "").lower()}
            names |= {(loc.language_name or "").lower()}
            if lowered in names:
                return lang
        return None


class Translator:
    """One reader's language: messages, plurals, dates, times and numbers."""

    def __init__(self, catalogs: Catalogs, lang: str) -> None:
        self.catalogs = catalogs
        self.lang = lang
        self.locale = catalogs.locale(lang)
        self.rtl = lang.split("_")[0] in RTL_LANGUAGES

    def _fill(self, template: str, params: Mapping[str, object]) -> str:
        values = {k: self._isolate(v) for k, v in params.items()}
        try:
            return template.format_map(values)
        except (KeyError, IndexError, ValueError):
            log.error("message placeholders do not match", extra={"template_lang": self.lang})
            return template

    def _isolate(self, value: object) -> str:
        text = value if isinstance(value, str) else str(value)
        if self.rtl and text:
            return f"{FSI}{text}{PDI}"
        return text

    def t(self, msgid: str, **params: object) -> str:
        found = self.catalogs.lookup(self.lang, msgid)
        if found is None:
            log.error("missing message id %s", msgid)
            return msgid
        template = found if isinstance(found, str) else found[0]
        return self._fill(template, params)

    def tn(self, msgid: str, n: int, **params: object) -> str:
        found = self.catalogs.lookup(self.lang, msgid)
        if found is None:
            log.error("missing message id %s", msgid)
            return msgid
        if isinstance(found, str):
            template = found
        else:
            lang = self.lang if self.catalogs.has(self.lang, msgid) else FALLBACK
            index = plural_index(self.catalogs.locale(lang), n, len(found))
            template = found[index]
        return self._fill(template, {"n": self.number(n), **params})

    # Formatting -------------------------------------------------------------------------------
    def number(self, value: int | float) -> str:
        return babel_numbers.format_decimal(value, locale=self.locale)

    def date(self, value: dt.date, fmt: Width = "full") -> str:
        return babel_dates.format_date(value, format=fmt, locale=self.locale)

    def time(self, value: dt.time | dt.datetime) -> str:
        return babel_dates.format_time(value, format="short", locale=self.locale)

    def weekday(self, value: dt.date) -> str:
        return babel_dates.format_date(value, format="EEEE", locale=self.locale)

    def datetime(self, instant: dt.datetime, zone: tzinfo, fmt: Width = "full") -> str:
        """`instant` shown in `zone`: "Thursday, December 3, 2026 at 15:00 (GMT+01:00)"."""
        local = instant.astimezone(zone)
        day = babel_dates.format_date(local.date(), format=fmt, locale=self.locale)
        clock = babel_dates.format_time(local, format="short", locale=self.locale)
        pattern = babel_dates.get_datetime_format("long" if fmt == "full" else fmt, self.locale)
        joined = str(pattern).replace("{1}", day).replace("{0}", clock)
        offset = babel_dates.format_datetime(local, "O", locale=self.locale)
        return f"{joined} ({offset})"

    def zone_name(self, zone: str) -> str:
        try:
            return babel_dates.get_timezone_location(ZoneInfo(zone), locale=self.locale)
        except (LookupError, ValueError):
            return zone

    def language_name(self, lang: str) -> str:
        return str(Locale.parse(lang).get_display_name(self.locale) or lang)

    def country_name(self, code: str) -> str:
        return str(self.locale.territories.get(code.upper(), code.upper()))

    def join(self, items: list[str]) -> str:
        from babel.lists import format_list

        return format_list(items, locale=self.locale) if items else ""
