"""findtime without a database: reading the request, and the slots proposed for people spread
over zones with their quiet hours, around sessions already planned."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from handlers.scheduling.core import HolidayBook, overlaps_quiet
from handlers.scheduling.findtime_request import (
    MAX_DAYS,
    FindTimeRequest,
    Refusal,
    parse_request,
)
from handlers.scheduling.findtime_search import SUGGESTIONS, propose_slots, slot_search
from handlers.scheduling.slots import Attendee

TODAY = date(2027, 3, 1)
BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2027, 3, 1, 6, 0, tzinfo=UTC)
ZONE_NAMES = [
    "Europe/Berlin",
    "America/New_York",
    "America/Los_Angeles",
    "Asia/Kathmandu",
    "Australia/Sydney",
    "Pacific/Chatham",
    "America/Sao_Paulo",
]
HOURS = [time(h) for h in range(24)] + [time(h, 30) for h in (0, 6, 21, 23)]


# ------------------------------------------------------------------ reading the request


def test_a_duration_alone_asks_for_the_coming_week() -> None:
    assert parse_request(["90m"], TODAY) == FindTimeRequest(
        timedelta(minutes=90), TODAY, TODAY + timedelta(days=6)
    )


def test_a_range_of_several_words_per_date() -> None:
    request = parse_request(["1h", "from", "2027-03-05", "to", "2027-03-09"], TODAY)
    assert request == FindTimeRequest(timedelta(hours=1), date(2027, 3, 5), date(2027, 3, 9))
    assert isinstance(request, FindTimeRequest) and request.days == 5


def test_refusals_name_what_was_wrong() -> None:
    def refused(*words: str) -> Refusal:
        result = parse_request(list(words), TODAY)
        assert isinstance(result, Refusal), result
        return result

    assert refused().message_id == "scheduling.findtime_usage"
    assert refused("90m", "next", "week").message_id == "scheduling.findtime_usage"
    assert refused("90m", "from").message_id == "scheduling.findtime_usage"
    assert refused("soon").message_id == "scheduling.bad_duration"
    bad = refused("90m", "from", "someday")
    assert (bad.message_id, bad.values) == ("scheduling.findtime_bad_date", {"text": "someday"})
    past = refused("90m", "from", "2027-02-27")
    assert past.values == {"date": "2027-02-27", "example": "2027-03-02"}
    order = refused("90m", "from", "2027-03-09", "to", "2027-03-05")
    assert order.message_id == "scheduling.findtime_order"
    span = refused("90m", "from", "2027-03-02", "to", "2027-05-02")
    assert (span.message_id, span.values) == ("scheduling.findtime_span", {"days": MAX_DAYS})
    far = refused("90m", "from", "2047-03-02", "to", "2047-03-03")
    assert far.message_id == "time.too_far" and far.dates == {"when": date(2047, 3, 3)}


# ------------------------------------------------------------------ proposing slots


def person(key: int, zone: str, night: tuple[time, time] = (time(22), time(8))) -> Attendee:
    return Attendee(key=key, zone=ZoneInfo(zone), night=night)


def test_berlin_and_new_york_meet_in_the_berlin_afternoon() -> None:
    request = FindTimeRequest(timedelta(minutes=90), date(2027, 3, 2), date(2027, 3, 2))
    search = slot_search(request, BERLIN, NOW)
    people = [person(1, "Europe/Berlin"), person(2, "America/New_York")]
    slots = propose_slots(search, people, HolidayBook("en"))
    assert len(slots) == SUGGESTIONS  # a one-day range may have them all on that day
    best = slots[0]
    assert not best.inconvenienced
    # New York wakes at 08:00 = 14:00 in Berlin: the earliest common start.
    assert best.start.astimezone(BERLIN).time() == time(14)


def test_the_first_start_leaves_half_an_hour_to_read_and_add_it() -> None:
    request = FindTimeRequest(timedelta(hours=1), TODAY, TODAY)
    search = slot_search(request, BERLIN, NOW)
    # 06:00 UTC is 07:00 in Berlin: the first half hour of the grid after 07:30 is 08:00.
    assert search.starts[0] == datetime(2027, 3, 1, 7, 0, tzinfo=UTC)
    start, end = search.busy_window(NOW)
    assert (start, end) == (NOW, search.starts[-1] + timedelta(hours=1))


def test_a_planned_session_is_never_proposed_over() -> None:
    request = FindTimeRequest(timedelta(hours=1), date(2027, 3, 2), date(2027, 3, 4))
    search = slot_search(request, BERLIN, NOW)
    people = [person(1, "Europe/Berlin")]
    free = propose_slots(search, people, HolidayBook("en"))
    taken = (free[0].start - timedelta(minutes=30), free[0].end + timedelta(minutes=30))
    again = propose_slots(search, people, HolidayBook("en"), [taken])
    assert again
    assert all(not (s.start < taken[1] and s.end > taken[0]) for s in again)


def test_an_empty_grid_proposes_nothing() -> None:
    request = FindTimeRequest(timedelta(hours=1), TODAY, TODAY)
    late = datetime(2027, 3, 1, 23, 0, tzinfo=UTC)
    search = slot_search(request, BERLIN, late)
    assert search.starts == ()
    assert search.busy_window(late) == (late, late)
    assert propose_slots(search, [person(1, "Europe/Berlin")], HolidayBook("en")) == []


people_strategy = st.lists(
    st.tuples(st.sampled_from(ZONE_NAMES), st.sampled_from(HOURS), st.sampled_from(HOURS)),
    min_size=1,
    max_size=5,
)


@settings(max_examples=40, deadline=None)
@given(
    raw=people_strategy,
    first=st.dates(min_value=date(2027, 3, 2), max_value=date(2028, 12, 1)),
    days=st.integers(min_value=1, max_value=3),
    minutes=st.sampled_from([30, 60, 90, 120]),
)
def test_no_one_is_woken_when_a_slot_exists_that_wakes_nobody(
    raw: list[tuple[str, time, time]], first: date, days: int, minutes: int
) -> None:
    people = [
        Attendee(key=i, zone=ZoneInfo(zone), night=(begin, end))
        for i, (zone, begin, end) in enumerate(raw)
        if begin != end
    ]
    request = FindTimeRequest(timedelta(minutes=minutes), first, first + timedelta(days=days - 1))
    now = datetime.combine(first, time(0), UTC) - timedelta(days=2)
    search = slot_search(request, BERLIN, now)
    slots = propose_slots(search, people, HolidayBook("en"))

    def wakes(start: datetime) -> bool:
        end = start + request.duration
        return any(overlaps_quiet(start, end, p.zone, p.night) for p in people)

    assert slots and len(slots) <= SUGGESTIONS
    for slot in slots:
        # What a slot says of people's nights is what their quiet hours say.
        assert bool(slot.night) == wakes(slot.start)
    if any(not wakes(start) for start in search.starts):
        assert not slots[0].night
        awake = [s for s in slots if not s.night]
        asleep = [s for s in slots if s.night]
        # Every slot that wakes someone ranks after every slot that wakes nobody.
        assert all(a.rank_key < b.rank_key for a in awake for b in asleep)
