"""Message catalogs (Babel .po files under locales/) and locale-aware formatting.

Message ids are symbolic ("profile.timezone_set"); the part before the first dot names the
catalog domain (locales/<lang>/LC_MESSAGES/<domain>.po). English is a catalog like the others.
Placeholders are named: "{zone}". Plurals use `tn(msgid, n)`.
"""

from __future__ import annotations

import datetime as dt
import functools
import gettext
import logging
import re
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import tzinfo
from pathlib import Path
from types import MappingProxyType
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
FORMATTED_KEPT = 4096  # formatted numbers and instants a translator keeps
FSI, PDI = "\u2068", "\u2069"  # Unicode isolates keep LTR values intact inside RTL sentences


Width = Literal["full", "long", "medium", "short"]

# How a full or long date and a time join: CLDR's "atTime" patterns, which Babel does not load
# (its datetime patterns give "Thursday, December 3, 2026, 3:00 PM", and in Portuguese no
# separator at all: "quinta-feira, 3 de dezembro de 2026 15:00").
AT_TIME: Mapping[str, str] = MappingProxyType(
    {
        "en": "{1} at {0}",
        "es": "{1}, {0}",
        "fr": "{1} à {0}",
        "pt": "{1} às {0}",
        "ar": "{1}، الساعة {0}",
    }
)


# Babel's gettext table swaps Arabic "many" (n % 100 in 11..99, "11 يومًا") and "other" (100,
# 101, 102..., "100 يوم"): python-babel/babel#816. This is the standard gettext order that
# translators (and CLDR: zero, one, two, few, many, other) use.
ARABIC_PLURALS = "(n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : n%100>=3 && n%100<=10 ? 3 : n%100>=11 ? 4 : 5)"


def plural_expr(locale: Locale) -> str:
    """The gettext plural formula whose result indexes a message's plural forms."""
    if locale.language == "ar":
        return ARABIC_PLURALS
    return str(get_plural(locale).plural_expr)


def plural_index(locale: Locale, n: int, forms: int) -> int:
    """Which of a message's plural forms to use: .po files order them by the language's gettext
    plural formula, which the standard library evaluates safely."""
    return min(int(_plural_rule(plural_expr(locale))(n)), forms - 1)


@functools.cache
def _plural_rule(expr: str) -> Callable[[int], int]:
    # Compiling a formula costs far more than evaluating it; a handful of languages exist.
    return gettext.c2py(expr)


_FIRST = re.compile(r"(?<![\d:])1(?=[ \u00a0\u202f][^\W\d])")


def format_date(value: dt.date, fmt: Width, locale: Locale) -> str:
    return babel_dates.format_date(value, format=fmt, locale=locale)


def first_of_month(locale: Locale, value: dt.date, text: str) -> str:
    """French writes the first of the month as an ordinal: "le 1er juillet", "mer. 1er juil."
    (CLDR's patterns only have the number)."""
    if locale.language != "fr" or value.day != 1:
        return text
    return _FIRST.sub("1er", text, count=1)


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
        self._translators: dict[str, Translator] = {}
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
        """One per language, kept: what it has formatted once it gives again at once."""
        chosen = lang if lang in self._messages else FALLBACK
        found = self._translators.get(chosen)
        if found is None:
            found = self._translators[chosen] = Translator(self, chosen)
        return found

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
        # Numbers, counts, durations and instants formatted so far (a burst of reminders names
        # the same start in the same few zones hundreds of times); bounded, emptied when full.
        self._formatted: dict[tuple[object, ...], str] = {}

    def memo(self, key: tuple[object, ...], make: Callable[[], str]) -> str:
        """`make()`, kept under `key` (the first item names what it is): for texts made of
        numbers and instants only, never of what people wrote."""
        found = self._formatted.get(key)
        if found is None:
            if len(self._formatted) >= FORMATTED_KEPT:
                self._formatted.clear()
            found = self._formatted[key] = make()
        return found

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
        if not params:  # "3 hours": counts of the same few things, over and over
            return self.memo(("tn", msgid, n), lambda: self._tn(msgid, n, params))
        return self._tn(msgid, n, params)

    def _tn(self, msgid: str, n: int, params: Mapping[str, object]) -> str:
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
        return self.memo(
            ("n", type(value), value),
            lambda: babel_numbers.format_decimal(value, locale=self.locale),
        )

    def date(self, value: dt.date, fmt: Width = "full") -> str:
        return first_of_month(self.locale, value, format_date(value, fmt, self.locale))

    def skeleton(self, skeleton: str, value: dt.date) -> str:
        """A CLDR skeleton ("MMMEd", "yMMMEd") in this language: "Tue, Dec 8", "mar. 1er déc."."""
        # Keyed by the wall time's text and zone: aware datetimes of one instant compare equal.
        zone = str(getattr(value, "tzinfo", None))
        return self.memo(
            ("skeleton", skeleton, value.isoformat(), zone),
            lambda: self._skeleton(skeleton, value),
        )

    def _skeleton(self, skeleton: str, value: dt.date) -> str:
        text = babel_dates.format_skeleton(skeleton, value, locale=self.locale)
        return first_of_month(self.locale, value, text)

    def time(self, value: dt.time | dt.datetime) -> str:
        return babel_dates.format_time(value, format="short", locale=self.locale)

    def weekday(self, value: dt.date) -> str:
        return babel_dates.format_date(value, format="EEEE", locale=self.locale)

    def datetime(self, instant: dt.datetime, zone: tzinfo, fmt: Width = "full") -> str:
        """`instant` shown in `zone`: "Thursday, December 3, 2026 at 3:00 PM (GMT+1)",
        "jeudi 3 décembre 2026 à 15:00 (UTC+1)", "quinta-feira, 3 de dezembro de 2026 às 15:00
        (GMT+1)"."""
        return self.memo(
            ("dt", instant, str(zone), fmt), lambda: self._datetime(instant, zone, fmt)
        )

    def _datetime(self, instant: dt.datetime, zone: tzinfo, fmt: Width) -> str:
        local = instant.astimezone(zone)
        day = self.date(local.date(), fmt)
        clock = babel_dates.format_time(local, format="short", locale=self.locale)
        pattern = AT_TIME.get(self.locale.language) if fmt in ("full", "long") else None
        if pattern is None:
            babel_pattern = babel_dates.get_datetime_format(fmt, self.locale)
            pattern = str(babel_pattern).replace("'", "")
        joined = pattern.replace("{1}", day).replace("{0}", clock)
        return f"{joined} ({self.utc_offset(local)})"

    def utc_offset(self, local: dt.datetime) -> str:
        """Short localized GMT offset of an aware datetime: "GMT+1", "GMT-3", "GMT+5:30", "GMT";
        "UTC+1" in French. (Babel leaves the CLDR "O" pattern unimplemented.)"""
        offset = local.utcoffset() or dt.timedelta(0)
        minutes = round(offset.total_seconds() / 60)
        hours, rest = divmod(abs(minutes), 60)
        number = f"{'-' if minutes < 0 else '+'}{hours}{f':{rest:02d}' if rest else ''}"
        if minutes == 0:
            number = ""
        elif self.rtl:
            number = f"{FSI}{number}{PDI}"  # keeps the sign before the digits in RTL text
        # Portuguese writes "%s GMT": with no offset, no leading space ("(UTC, GMT)").
        return (str(self.locale.zone_formats["gmt"]) % number).strip()

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
