"""Matching without a database: languages, countries and regions, interests, and the mentor
ranking (language first, then country or continent, then interests; load-balanced; capacity)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handlers.alumni.match import (
    Filter,
    Listing,
    MentorCandidate,
    Regions,
    find_language,
    find_region,
    interest_matches,
    rank_mentors,
    region_level,
    seeker,
    split_languages,
)

REGIONS = Regions.load()
T0 = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "lang", "code"),
    [
        ("es", "en", "es"),
        ("pt_BR", "en", "pt_BR"),
        ("pt-br", "en", "pt_BR"),
        ("Spanish", "en", "es"),
        ("espagnol", "fr", "es"),
        ("Swahili", "en", "sw"),
        ("árabe", "es", "ar"),
        ("land rights", "en", None),
        ("media", "en", None),
        ("", "en", None),
    ],
)
def test_find_language(text: str, lang: str, code: str | None) -> None:
    assert find_language(text, lang) == code


def test_quoted_phrases_are_never_languages() -> None:
    languages, rest = split_languages(("land rights, media", "fr", "Swahili", "radio"), "en")
    assert languages == ["fr", "sw"]
    assert rest == ["land rights, media", "radio"]


@pytest.mark.parametrize(
    ("text", "lang", "code"),
    [
        ("Africa", "en", "002"),
        ("afrique", "fr", "002"),
        ("África", "es", "002"),
        ("أفريقيا", "ar", "002"),
        ("Europe", "en", "150"),
        ("South America", "en", "005"),
        ("Latin America", "en", "419"),
        ("Americas", "en", "019"),
        ("Atlantis", "en", None),
    ],
)
def test_find_region(text: str, lang: str, code: str | None) -> None:
    assert find_region(text, lang) == code


def test_regions_of_countries() -> None:
    assert {"002"} == REGIONS.regions("KE")
    assert {"005", "019", "419"} == REGIONS.regions("BR")
    assert {"003", "019", "021"} == REGIONS.regions("US")
    assert {"003", "019", "419"} == REGIONS.regions("MX")
    assert REGIONS.regions(None) == frozenset()
    assert REGIONS.continent("DE") == "150"


def test_region_level() -> None:
    assert region_level("KE", "KE", REGIONS) == 2
    assert region_level("KE", "UG", REGIONS) == 1
    assert region_level("KE", "DE", REGIONS) == 0
    assert region_level(None, "DE", REGIONS) == 0


@pytest.mark.parametrize(
    ("needle", "interests", "found"),
    [
        ("radio", "community radio, land rights", True),
        ("land r", "community radio, land rights", True),
        ("RADIO", "Community Radio", True),
        ("medios", "médios comunitarios", True),
        ("es", "sciences, political theories", False),
        ("dio", "community radio", False),
        ("radio", None, False),
    ],
)
def test_interest_matches(needle: str, interests: str | None, found: bool) -> None:
    assert interest_matches(needle, interests) is found


def test_filter_readings_combine() -> None:
    listings = [
        Listing(1, ("pt_BR",), "BR", "community radio"),
        Listing(2, ("en", "br"), "FR", "Breton music"),
        Listing(3, ("es",), "ES", "sciences"),
    ]
    found = [x.person_id for x in listings if Filter.parse("br", "en").matches(x, REGIONS)]
    assert found == [1, 2]  # Brazil (country) or Breton (language)
    found = [x.person_id for x in listings if Filter.parse("es", "en").matches(x, REGIONS)]
    assert found == [3]  # Spanish, never "es" inside "sciences"
    assert all(Filter.parse("", "en").matches(x, REGIONS) for x in listings)


def mentor(
    person_id: int,
    languages: tuple[str, ...] = ("en",),
    country: str | None = "DE",
    interests: frozenset[str] = frozenset(),
    load: int = 0,
    capacity: int = 3,
    since: int = 0,
) -> MentorCandidate:
    return MentorCandidate(
        person_id=person_id,
        languages=frozenset(languages),
        country=country,
        interests=interests,
        load=load,
        capacity=capacity,
        since=T0 + timedelta(days=since),
    )


def test_language_comes_before_region_and_interests() -> None:
    who = seeker(100, ["es"], "PE", "community radio")
    near = mentor(1, ("en",), "PE", frozenset({"community", "radio"}))
    speaks = mentor(2, ("en", "es"), "DE")
    assert [c.person_id for c in rank_mentors(who, [near, speaks], REGIONS)] == [2, 1]


def test_region_then_interests_then_load() -> None:
    who = seeker(100, ["en"], "UG", "land rights")
    same_continent = mentor(1, country="KE", load=2)
    same_interest = mentor(2, country="DE", interests=frozenset({"land", "rights"}))
    idle = mentor(3, country="DE")
    ranked = rank_mentors(who, [idle, same_interest, same_continent], REGIONS)
    assert [c.person_id for c in ranked] == [1, 2, 3]


def test_never_self_excluded_or_full() -> None:
    who = seeker(1, ["en"], "DE", None)
    candidates = [mentor(1), mentor(2), mentor(3, load=3), mentor(4, capacity=0), mentor(5)]
    ranked = rank_mentors(who, candidates, REGIONS, exclude=[5])
    assert [c.person_id for c in ranked] == [2]


LANGS = st.sampled_from(["en", "es", "fr", "pt", "ar", "sw"])
COUNTRIES = st.sampled_from(["KE", "UG", "DE", "FR", "BR", "PE", "JP", None])


@st.composite
def candidates(draw: st.DrawFn) -> list[MentorCandidate]:
    count = draw(st.integers(min_value=0, max_value=8))
    return [
        mentor(
            i + 1,
            tuple(draw(st.sets(LANGS, min_size=1, max_size=3))),
            draw(COUNTRIES),
            frozenset(draw(st.sets(st.sampled_from(["radio", "land", "media"]), max_size=2))),
            load=draw(st.integers(min_value=0, max_value=4)),
            capacity=draw(st.integers(min_value=0, max_value=4)),
            since=draw(st.integers(min_value=0, max_value=30)),
        )
        for i in range(count)
    ]


@settings(max_examples=200, deadline=None)
@given(
    pool=candidates(),
    languages=st.sets(LANGS, min_size=1, max_size=2),
    country=COUNTRIES,
)
def test_ranking_properties(
    pool: list[MentorCandidate], languages: set[str], country: str | None
) -> None:
    who = seeker(999, languages, country, "radio")
    ranked = rank_mentors(who, pool, REGIONS)
    # only mentors with room, each once
    assert all(c.load < c.capacity for c in ranked)
    assert len({c.person_id for c in ranked}) == len(ranked)
    assert {c.person_id for c in ranked} == {c.person_id for c in pool if c.load < c.capacity}
    # a shared language always wins: nobody without one ranks above someone with one
    shares = [bool(who.languages & c.languages) for c in ranked]
    assert shares == sorted(shares, reverse=True)
    # among those sharing a language, nearer mentors come first
    levels = [
        region_level(country, c.country, REGIONS) for c in ranked if who.languages & c.languages
    ]
    assert levels == sorted(levels, reverse=True)


@settings(max_examples=100, deadline=None)
@given(
    mentors=st.integers(min_value=1, max_value=6),
    capacity=st.integers(min_value=1, max_value=4),
    seekers=st.integers(min_value=0, max_value=30),
)
def test_equal_mentors_share_the_load(mentors: int, capacity: int, seekers: int) -> None:
    """Seekers arriving one by one spread over equally good mentors: loads never differ by more
    than one, and nobody goes over capacity."""
    loads = dict.fromkeys(range(1, mentors + 1), 0)
    who = seeker(999, ["en"], "FR", None)
    for _ in range(seekers):
        pool = [mentor(i, load=loads[i], capacity=capacity, since=i) for i in loads]
        ranked = rank_mentors(who, pool, REGIONS)
        if not ranked:
            assert all(load == capacity for load in loads.values())
            continue
        loads[ranked[0].person_id] += 1
        assert max(loads.values()) - min(loads.values()) <= 1
        assert max(loads.values()) <= capacity
