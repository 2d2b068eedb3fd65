"""Find-a-time ranking: who is inconvenienced, ordering, and fairness (rotation)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from handlers.scheduling.core import HolidayBook, overlaps_quiet
from handlers.scheduling.slots import Attendee, candidate_starts, rank_slots

ZONE_NAMES = [
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",
    "Asia/Kathmandu",
    "Pacific/Chatham",
    "America/Sao_Paulo",
    "Africa/Casablanca",
]
NIGHT = (time(22), time(8))

attendees_strategy = st.lists(
    st.builds(
        lambda zone, burden, country: (zone, burden, country),
        st.sampled_from(ZONE_NAMES),
        st.sampled_from([0.0, 0.25, 0.5, 1.0]),
        st.sampled_from([None, "US", "DE", "BR", "NP"]),
    ),
    min_size=1,
    max_size=6,
)


def build(raw: list[tuple[str, float, str | None]]) -> list[Attendee]:
    return [
        Attendee(key=i, zone=ZoneInfo(z), night=NIGHT, country=c, burden=b)
        for i, (z, b, c) in enumerate(raw)
    ]


@settings(max_examples=60, deadline=None)
@given(
    raw=attendees_strategy,
    first=st.dates(min_value=date(2026, 12, 1), max_value=date(2028, 6, 1)),
    minutes=st.sampled_from([30, 60, 90, 180]),
)
def test_ranked_slots_report_exactly_who_is_inconvenienced(
    raw: list[tuple[str, float, str | None]], first: date, minutes: int
) -> None:
    people = build(raw)
    asker = ZoneInfo("Europe/Berlin")
    after = datetime.combine(first, time(0), UTC) - timedelta(days=1)
    starts = candidate_starts(first, first + timedelta(days=2), asker, timedelta(minutes=30), after)
    duration = timedelta(minutes=minutes)
    book = HolidayBook("en")
    slots = rank_slots(starts, duration, people, book, limit=5, day_zone=asker)
    assert slots
    assert [s.rank_key for s in slots] == sorted(s.rank_key for s in slots)
    for slot in slots:
        assert slot.end - slot.start == duration
        for person in people:
            night = overlaps_quiet(slot.start, slot.end, person.zone, person.night)
            assert (person.key in slot.night) == night
            local_days = {
                slot.start.astimezone(person.zone).date(),
                slot.end.astimezone(person.zone).date(),
            }
            holiday = any(book.holiday(person.country, d) for d in local_days)
            assert (person.key in dict(slot.holidays)) == holiday
        expected = sum(1 + p.burden for p in people if p.key in slot.inconvenienced)
        assert abs(slot.score - expected) < 1e-9
    for a in slots:
        for b in slots:
            assert a is b or not (a.start < b.end and b.start < a.end)


@settings(max_examples=40, deadline=None)
@given(raw=attendees_strategy, who=st.data())
def test_more_past_burden_never_ranks_a_slot_that_wakes_that_person_higher(
    raw: list[tuple[str, float, str | None]], who: st.DataObject
) -> None:
    people = build(raw)
    target = who.draw(st.sampled_from(people))
    heavier = [
        Attendee(p.key, p.zone, p.night, p.country, 1.0 if p.key == target.key else p.burden)
        for p in people
    ]
    lighter = [
        Attendee(p.key, p.zone, p.night, p.country, 0.0 if p.key == target.key else p.burden)
        for p in people
    ]
    asker = ZoneInfo("UTC")
    first = date(2027, 2, 1)
    after = datetime(2027, 1, 31, tzinfo=UTC)
    starts = candidate_starts(first, first, asker, timedelta(hours=1), after)
    book = HolidayBook("en")
    light = rank_slots(starts, timedelta(hours=1), lighter, book, limit=24, per_day=24)
    heavy = rank_slots(starts, timedelta(hours=1), heavier, book, limit=24, per_day=24)
    position_light = {s.start: i for i, s in enumerate(light)}
    position_heavy = {s.start: i for i, s in enumerate(heavy)}
    # A slot that spares the target never drops behind one that wakes them once their past
    # burden grows.
    for sparing in light:
        if target.key in sparing.inconvenienced:
            continue
        for waking in light:
            if target.key not in waking.inconvenienced:
                continue
            if position_light[sparing.start] < position_light[waking.start]:
                assert position_heavy[sparing.start] < position_heavy[waking.start]


def test_the_late_slot_rotates_to_whoever_had_it_less() -> None:
    """Sydney, Berlin and New York are never all awake at once: someone always carries the
    late slot. Whoever carried the recent sessions is spared the next one."""
    zones = {1: "Australia/Sydney", 2: "Europe/Berlin", 3: "America/New_York"}
    asker = ZoneInfo("Europe/Berlin")
    first = date(2027, 2, 1)
    starts = candidate_starts(
        first,
        first + timedelta(days=2),
        asker,
        timedelta(minutes=30),
        datetime(2027, 1, 1, tzinfo=UTC),
    )
    book = HolidayBook("en")

    def best(tired: int | None) -> tuple[int, ...]:
        people = [
            Attendee(key, ZoneInfo(zone), NIGHT, burden=1.0 if key == tired else 0.0)
            for key, zone in zones.items()
        ]
        return rank_slots(starts, timedelta(minutes=90), people, book, limit=1)[0].inconvenienced

    for tired in zones:
        chosen = best(tired)
        assert len(chosen) == 1
        assert tired not in chosen
    assert len(best(None)) == 1


def test_busy_times_and_past_are_skipped() -> None:
    asker = ZoneInfo("Europe/Berlin")
    after = datetime(2027, 2, 1, 12, 0, tzinfo=UTC)
    starts = candidate_starts(date(2027, 2, 1), date(2027, 2, 1), asker, timedelta(hours=1), after)
    assert starts and all(s > after for s in starts)
    person = Attendee(1, asker, NIGHT)
    busy = [(datetime(2027, 2, 1, 13, 0, tzinfo=UTC), datetime(2027, 2, 1, 15, 0, tzinfo=UTC))]
    slots = rank_slots(
        starts, timedelta(hours=1), [person], HolidayBook("en"), busy=busy, limit=10, per_day=10
    )
    for slot in slots:
        assert not (slot.start < busy[0][1] and slot.end > busy[0][0])


def test_candidate_grid_skips_the_gap_and_counts_the_fold_once() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    spring = candidate_starts(
        date(2027, 3, 28),
        date(2027, 3, 28),
        berlin,
        timedelta(minutes=30),
        datetime(2027, 1, 1, tzinfo=UTC),
    )
    assert len(spring) == 46  # 02:00 and 02:30 do not exist
    autumn = candidate_starts(
        date(2027, 10, 31),
        date(2027, 10, 31),
        berlin,
        timedelta(minutes=30),
        datetime(2027, 1, 1, tzinfo=UTC),
    )
    assert len(autumn) == 48  # wall times once each
