"""Tests for bot.timeparse: what people type, and DST-correct time arithmetic.

Property tests run over zones chosen for their awkwardness: a 30-minute DST shift
(Lord Howe), +05:45 (Kathmandu), +12:45/+13:45 (Chatham), DST that was abolished and
used to start at midnight (Sao Paulo), and Ramadan-time switches (Casablanca).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.timeparse import (
    Frequency,
    LocalResult,
    ParseError,
    RecurrenceRule,
    expand_recurrence,
    format_duration,
    format_local_datetime,
    format_quiet_range,
    in_quiet_hours,
    next_quiet_end,
    parse_date,
    parse_duration,
    parse_local_datetime,
    parse_quiet_range,
    parse_rrule,
    resolve_wall_time,
    rrule_string,
    shift_out_of_quiet,
    until_instant,
)

ZONE_NAMES = [
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",
    "Asia/Kathmandu",
    "Pacific/Chatham",
    "America/Sao_Paulo",
    "Africa/Casablanca",
]
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")
CHATHAM = ZoneInfo("Pacific/Chatham")
SAO_PAULO = ZoneInfo("America/Sao_Paulo")
CASABLANCA = ZoneInfo("Africa/Casablanca")
KATHMANDU = ZoneInfo("Asia/Kathmandu")

zones = st.sampled_from(ZONE_NAMES).map(ZoneInfo)
# Times near the small hours, where the clocks change, are drawn far more often.
tricky_times = st.sampled_from(
    [time(h, m) for h in (0, 1, 2, 3, 23) for m in (0, 15, 30, 45)] + [time(18, 0)]
)
minute_times = st.one_of(tricky_times, st.builds(time, st.integers(0, 23), st.integers(0, 59)))
wall_times = st.builds(
    datetime.combine,
    st.dates(min_value=date(1995, 1, 1), max_value=date(2055, 12, 31)),
    minute_times,
)


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def offset_at(zone: ZoneInfo, instant: datetime) -> timedelta:
    offset = instant.astimezone(zone).utcoffset()
    assert offset is not None
    return offset


def local_wall(instant: datetime, zone: ZoneInfo) -> datetime:
    return instant.astimezone(zone).replace(tzinfo=None)


PROPERTY = settings(max_examples=200, deadline=None)


def _offset_changes(zone: ZoneInfo, low: datetime, high: datetime) -> tuple[datetime, ...]:
    """Every UTC instant in [low, high) at which ``zone`` changes its offset (weekly scan,
    then bisection to the second: zones never change twice within a week)."""
    found: list[datetime] = []
    cursor = low
    while cursor < high:
        step_end = cursor + timedelta(weeks=1)
        if offset_at(zone, cursor) != offset_at(zone, step_end):
            early, late = cursor, step_end
            while late - early > timedelta(seconds=1):
                middle = early + (late - early) / 2
                if offset_at(zone, middle) == offset_at(zone, early):
                    early = middle
                else:
                    late = middle
            found.append(late.replace(microsecond=0))
        cursor = step_end
    return tuple(found)


TRANSITIONS = {
    name: _offset_changes(
        ZoneInfo(name), datetime(2014, 1, 1, tzinfo=UTC), datetime(2036, 1, 1, tzinfo=UTC)
    )
    for name in ZONE_NAMES
}


@st.composite
def zone_and_instant(draw: st.DrawFn) -> tuple[ZoneInfo, datetime]:
    """A zone and an instant, most often within 30 hours of one of its clock changes."""
    name = draw(st.sampled_from(ZONE_NAMES))
    if TRANSITIONS[name] and draw(st.integers(0, 3)) > 0:
        base = draw(st.sampled_from(TRANSITIONS[name]))
        return ZoneInfo(name), base + timedelta(seconds=draw(st.integers(-30 * 3600, 30 * 3600)))
    wall = draw(wall_times)
    return ZoneInfo(name), wall.replace(tzinfo=UTC) + timedelta(seconds=draw(st.integers(0, 86399)))


@st.composite
def zone_and_wall(draw: st.DrawFn) -> tuple[ZoneInfo, datetime]:
    """A zone and a wall time, most often on or next to the day its clocks change."""
    name = draw(st.sampled_from(ZONE_NAMES))
    zone = ZoneInfo(name)
    if TRANSITIONS[name] and draw(st.integers(0, 3)) > 0:
        base = draw(st.sampled_from(TRANSITIONS[name])).astimezone(zone).date()
        day = base + timedelta(days=draw(st.integers(-1, 1)))
        return zone, datetime.combine(day, draw(minute_times))
    return zone, draw(wall_times)


@st.composite
def quiet_ranges(draw: st.DrawFn) -> tuple[time, time]:
    start = draw(minute_times)
    end = draw(minute_times)
    if end == start:
        end = (datetime.combine(date(2000, 1, 1), start) + timedelta(minutes=1)).time()
    return start, end


def oracle(wall: datetime, zone: ZoneInfo) -> tuple[datetime, str | None]:
    """Independent reading of the gap/fold rule: try the offsets in force a day either
    side (zones never change offset twice within a couple of days)."""
    approx = wall.replace(tzinfo=UTC)
    before = offset_at(zone, approx - timedelta(days=1, hours=14))
    after = offset_at(zone, approx + timedelta(days=1, hours=14))
    existing = sorted(
        {
            (wall - offset).replace(tzinfo=UTC)
            for offset in (before, after)
            if local_wall((wall - offset).replace(tzinfo=UTC), zone) == wall
        }
    )
    if len(existing) == 2:
        return existing[0], "fold"
    if len(existing) == 1:
        return existing[0], None
    return (wall - before).replace(tzinfo=UTC), "gap"


# --------------------------------------------------------------------------- ParseError


def test_parse_error_carries_code_and_string_params() -> None:
    error = ParseError("time.bad_duration", text="x", limit=5)
    assert error.code == "time.bad_duration"
    assert error.params == {"text": "x", "limit": "5"}
    assert isinstance(error, Exception)
    assert "time.bad_duration" in repr(error)


# --------------------------------------------------------------------------- durations


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90m", timedelta(minutes=90)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("2h", timedelta(hours=2)),
        ("45min", timedelta(minutes=45)),
        ("1h 30m", timedelta(hours=1, minutes=30)),
        ("1:30", timedelta(hours=1, minutes=30)),
        ("1h30", timedelta(hours=1, minutes=30)),
        ("  2H  ", timedelta(hours=2)),
        ("1.5h", timedelta(minutes=90)),
        ("1,5h", timedelta(minutes=90)),
        ("2 hours 15 minutes", timedelta(hours=2, minutes=15)),
        ("1d", timedelta(days=1)),
        ("30s", timedelta(seconds=30)),
        ("0:45:30", timedelta(minutes=45, seconds=30)),
    ],
)
def test_parse_duration_accepts_common_forms(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "90",
        "abc",
        "0m",
        "0:00",
        "1h1h",
        "h",
        "1x",
        "-5m",
        "1:75",
        "30m 1",
        "1h 30m 20",
        "5 m m",
    ],
)
def test_parse_duration_rejects_nonsense_with_bad_duration(text: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse_duration(text)
    assert caught.value.code == "time.bad_duration"
    assert caught.value.params["text"] == text
    assert caught.value.params["example"] == "1h30m"


def test_parse_duration_enforces_max_value() -> None:
    assert parse_duration("24h", max_value=timedelta(hours=24)) == timedelta(hours=24)
    with pytest.raises(ParseError) as caught:
        parse_duration("25h", max_value=timedelta(hours=24))
    assert caught.value.code == "time.duration_too_long"
    assert caught.value.params == {"text": "25h", "max": "1d"}


@pytest.mark.parametrize("text", ["3661d", "999999999d", "999999999d 48h"])
def test_huge_duration_is_a_parse_error_not_an_overflow(text: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse_duration(text)
    assert caught.value.code == "time.duration_too_long"
    assert caught.value.params["max"] == "3660d"


@given(st.integers(min_value=1, max_value=3660 * 86400).map(lambda s: timedelta(seconds=s)))
def test_duration_format_parse_round_trip(value: timedelta) -> None:
    assert parse_duration(format_duration(value)) == value


def test_format_duration_is_compact() -> None:
    assert format_duration(timedelta(minutes=90)) == "1h30m"
    assert format_duration(timedelta(hours=2)) == "2h"
    assert format_duration(timedelta(0)) == "0m"


# --------------------------------------------------------------------------- date-times


@pytest.mark.parametrize("text", ["2026-12-03 15:00", "2026-12-03T15:00", "2026-12-03 15:00:00"])
def test_parse_local_datetime_iso_forms(text: str) -> None:
    result = parse_local_datetime(text, BERLIN)
    assert result.instant == utc(2026, 12, 3, 14, 0)
    assert result.instant.tzinfo is UTC
    assert result.wall == datetime(2026, 12, 3, 15, 0)
    assert result.zone is BERLIN
    assert result.adjustment is None
    assert result.offset is None
    assert result.local == datetime(2026, 12, 3, 15, 0, tzinfo=BERLIN)


def test_parse_local_datetime_is_frozen() -> None:
    result = parse_local_datetime("2026-12-03 15:00", BERLIN)
    with pytest.raises(AttributeError):
        result.adjustment = "gap"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("text", "instant", "offset"),
    [
        ("2026-12-03T15:00Z", utc(2026, 12, 3, 15, 0), timedelta(0)),
        ("2026-12-03 15:00z", utc(2026, 12, 3, 15, 0), timedelta(0)),
        ("2026-12-03T15:00+05:30", utc(2026, 12, 3, 9, 30), timedelta(hours=5, minutes=30)),
        ("2026-12-03T15:00-0300", utc(2026, 12, 3, 18, 0), timedelta(hours=-3)),
        ("2026-12-03 15:00 +02", utc(2026, 12, 3, 13, 0), timedelta(hours=2)),
        ("2026-12-03 15:00 UTC+1", utc(2026, 12, 3, 14, 0), timedelta(hours=1)),
    ],
)
def test_parse_local_datetime_honours_explicit_offset(
    text: str, instant: datetime, offset: timedelta
) -> None:
    result = parse_local_datetime(text, NEW_YORK)
    assert result.instant == instant
    assert result.offset == offset
    assert result.zone is NEW_YORK
    assert result.adjustment is None


def test_explicit_offset_picks_the_second_occurrence_in_a_fold() -> None:
    result = parse_local_datetime("2026-10-25 02:30+01:00", BERLIN)
    assert result.instant == utc(2026, 10, 25, 1, 30)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "tomorrow",
        "2026-12-03",
        "15:00",
        "2026-13-03 15:00",
        "2026-02-30 10:00",
        "2026-12-03 24:00",
        "2026-12-03 15:60",
        "03/12/2026 15:00",
        "2026-12-03 15:00+25:00",
        "2026-12-03 15:00 Europe/Berlin",
    ],
)
def test_parse_local_datetime_rejects_with_example(text: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse_local_datetime(text, BERLIN)
    assert caught.value.code == "time.bad_datetime"
    assert caught.value.params == {"text": text}  # the example: relative to today, in replies


@pytest.mark.parametrize(
    ("zone", "text", "expected_local", "offset_after"),
    [
        # Europe/Berlin: 02:00 CET -> 03:00 CEST
        (BERLIN, "2026-03-29 02:30", datetime(2026, 3, 29, 3, 30), timedelta(hours=2)),
        (BERLIN, "2026-03-29 02:00", datetime(2026, 3, 29, 3, 0), timedelta(hours=2)),
        # America/New_York: 02:00 EST -> 03:00 EDT
        (NEW_YORK, "2026-03-08 02:15", datetime(2026, 3, 8, 3, 15), timedelta(hours=-4)),
        # Lord Howe moves only 30 minutes: 02:00 -> 02:30
        (LORD_HOWE, "2026-10-04 02:15", datetime(2026, 10, 4, 2, 45), timedelta(hours=11)),
        # Chatham: 02:45 -> 03:45
        (CHATHAM, "2026-09-27 03:00", datetime(2026, 9, 27, 4, 0), timedelta(hours=13, minutes=45)),
        # Sao Paulo's last DST started at midnight: 00:00 -> 01:00
        (SAO_PAULO, "2018-11-04 00:30", datetime(2018, 11, 4, 1, 30), timedelta(hours=-2)),
        # Casablanca back to +01 after Ramadan: 02:00 -> 03:00
        (CASABLANCA, "2026-03-22 02:10", datetime(2026, 3, 22, 3, 10), timedelta(hours=1)),
    ],
)
def test_gap_moves_forward_by_the_gap_length(
    zone: ZoneInfo, text: str, expected_local: datetime, offset_after: timedelta
) -> None:
    result = parse_local_datetime(text, zone)
    assert result.adjustment == "gap"
    assert result.local.replace(tzinfo=None) == expected_local
    assert result.local.utcoffset() == offset_after
    assert format_local_datetime(result.wall) == text


@pytest.mark.parametrize(
    ("zone", "text", "first_instant"),
    [
        (BERLIN, "2026-10-25 02:30", utc(2026, 10, 25, 0, 30)),
        (NEW_YORK, "2026-11-01 01:30", utc(2026, 11, 1, 5, 30)),
        (LORD_HOWE, "2026-04-05 01:45", utc(2026, 4, 4, 14, 45)),
        (CHATHAM, "2026-04-05 03:00", utc(2026, 4, 4, 13, 15)),
        (SAO_PAULO, "2019-02-16 23:30", utc(2019, 2, 17, 1, 30)),
        (CASABLANCA, "2026-02-15 02:30", utc(2026, 2, 15, 1, 30)),
    ],
)
def test_fold_takes_the_first_occurrence(
    zone: ZoneInfo, text: str, first_instant: datetime
) -> None:
    result = parse_local_datetime(text, zone)
    assert result.adjustment == "fold"
    assert result.instant == first_instant
    later = result.wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    assert later > result.instant
    assert result.local.replace(tzinfo=None) == result.wall


def test_kathmandu_offset_is_applied() -> None:
    result = parse_local_datetime("2026-12-03 15:00", KATHMANDU)
    assert result.instant == utc(2026, 12, 3, 9, 15)
    assert result.adjustment is None


def test_resolve_wall_time_refuses_aware_input() -> None:
    with pytest.raises(TypeError):
        resolve_wall_time(datetime(2026, 1, 1, tzinfo=UTC), BERLIN)


@PROPERTY
@given(zone_and_wall())
def test_resolve_wall_time_matches_independent_oracle(case: tuple[ZoneInfo, datetime]) -> None:
    zone, wall = case
    result = resolve_wall_time(wall, zone)
    instant, adjustment = oracle(wall, zone)
    assert result.instant == instant
    assert result.adjustment == adjustment
    if adjustment == "gap":
        shift = result.local.replace(tzinfo=None) - wall
        before = offset_at(zone, result.instant - timedelta(days=1))
        assert shift == offset_at(zone, result.instant) - before
        assert shift > timedelta(0)
    else:
        assert result.local.replace(tzinfo=None) == wall


@PROPERTY
@given(zone_and_wall())
def test_parse_format_round_trip(case: tuple[ZoneInfo, datetime]) -> None:
    zone, wall = case
    text = format_local_datetime(wall)
    result = parse_local_datetime(text, zone)
    assert result.wall == wall
    if result.adjustment != "gap":
        assert format_local_datetime(result.local) == text
        assert parse_local_datetime(format_local_datetime(result.local), zone) == result


# --------------------------------------------------------------------------- dates

TODAY = date(2026, 1, 31)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-03", date(2026, 12, 3)),
        ("today", TODAY),
        ("Tomorrow", date(2026, 2, 1)),
        ("in 3 days", date(2026, 2, 3)),
        ("in 1 day", date(2026, 2, 1)),
        ("in a week", date(2026, 2, 7)),
        ("in 2 weeks", date(2026, 2, 14)),
        ("in 1 month", date(2026, 2, 28)),
        ("in 3 months", date(2026, 4, 30)),
        ("in 1 year", date(2027, 1, 31)),
        ("IN  2   YEARS", date(2028, 1, 31)),
    ],
)
def test_parse_date(text: str, expected: date) -> None:
    assert parse_date(text, today=TODAY) == expected


def test_leap_day_plus_a_year_is_clamped() -> None:
    assert parse_date("in 1 year", today=date(2028, 2, 29)) == date(2029, 2, 28)


@pytest.mark.parametrize(
    "text",
    ["", "2026-02-30", "next tuesday", "in days", "in -3 days", "in 99999 years", "3.12.2026"],
)
def test_parse_date_rejects(text: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse_date(text, today=TODAY)
    assert caught.value.code == "time.bad_date"
    assert caught.value.params == {"text": text}


def test_relative_dates_need_today() -> None:
    assert parse_date("2026-12-03") == date(2026, 12, 3)
    with pytest.raises(ParseError) as caught:
        parse_date("tomorrow")
    assert caught.value.code == "time.bad_date"


@given(st.dates(min_value=date(1000, 1, 1)))
def test_date_round_trip(value: date) -> None:
    assert parse_date(value.isoformat()) == value


# --------------------------------------------------------------------------- quiet hours


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("22:00-08:00", time(22), time(8)),
        ("22-8", time(22), time(8)),
        ("23:30-07:00", time(23, 30), time(7)),
        ("23:30 - 07:00", time(23, 30), time(7)),
        ("22:00–08:00", time(22), time(8)),
        ("22h-8h", time(22), time(8)),
        ("22.00-08.00", time(22), time(8)),
        ("22:00 to 08:00", time(22), time(8)),
        ("13-14", time(13), time(14)),
        ("20:00-24:00", time(20), time(0)),
    ],
)
def test_parse_quiet_range(text: str, start: time, end: time) -> None:
    assert parse_quiet_range(text) == (start, end)


@pytest.mark.parametrize(
    "text", ["", "off", "22:00", "22:00-22:00", "25-8", "22:61-08:00", "0-24", "22-8-9", "ten-six"]
)
def test_parse_quiet_range_rejects(text: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse_quiet_range(text)
    assert caught.value.code == "time.bad_quiet"
    assert caught.value.params == {"text": text, "example": "22:00-08:00"}


@given(quiet_ranges())
def test_quiet_range_round_trip(quiet: tuple[time, time]) -> None:
    assert parse_quiet_range(format_quiet_range(*quiet)) == quiet


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (time(21, 59), False),
        (time(22, 0), True),
        (time(23, 59, 59), True),
        (time(0, 0), True),
        (time(7, 59), True),
        (time(8, 0), False),
        (time(12, 0), False),
    ],
)
def test_in_quiet_hours_wrapping_past_midnight(moment: time, expected: bool) -> None:
    assert in_quiet_hours(moment, time(22), time(8)) is expected


@pytest.mark.parametrize(
    ("moment", "expected"),
    [(time(12, 59), False), (time(13), True), (time(13, 59), True), (time(14), False)],
)
def test_in_quiet_hours_within_a_day(moment: time, expected: bool) -> None:
    assert in_quiet_hours(moment, time(13), time(14)) is expected


def test_in_quiet_hours_uses_a_datetimes_own_wall_time() -> None:
    late = datetime(2026, 6, 1, 23, 0, tzinfo=BERLIN)
    assert in_quiet_hours(late, time(22), time(8))
    assert not in_quiet_hours(late.astimezone(UTC), time(22), time(8))  # 21:00 UTC


def test_equal_start_and_end_means_no_quiet_hours() -> None:
    assert not in_quiet_hours(time(3), time(0), time(0))
    instant = utc(2026, 6, 1, 1, 0)
    assert next_quiet_end(instant, BERLIN, time(0), time(0)) == instant
    assert shift_out_of_quiet(instant, BERLIN, time(0), time(0)) == instant


def test_next_quiet_end_on_an_ordinary_night() -> None:
    # 23:00 CEST on 1 June; quiet until 08:00 CEST on 2 June = 06:00 UTC
    assert next_quiet_end(utc(2026, 6, 1, 21, 0), BERLIN, time(22), time(8)) == utc(
        2026, 6, 2, 6, 0
    )
    # early morning: ends the same day
    assert next_quiet_end(utc(2026, 6, 2, 3, 0), BERLIN, time(22), time(8)) == utc(2026, 6, 2, 6, 0)


def test_next_quiet_end_outside_quiet_hours_is_the_instant_itself() -> None:
    instant = datetime(2026, 6, 1, 12, 0, tzinfo=BERLIN)
    result = next_quiet_end(instant, BERLIN, time(22), time(8))
    assert result == instant
    assert result.tzinfo is UTC


def test_next_quiet_end_across_spring_forward_night() -> None:
    # 23:00 CET 28 March; 08:00 the next morning is already CEST (06:00 UTC)
    assert next_quiet_end(utc(2026, 3, 28, 22, 0), BERLIN, time(22), time(8)) == utc(
        2026, 3, 29, 6, 0
    )


def test_quiet_end_inside_the_gap_ends_when_the_clocks_jump() -> None:
    # Quiet until 02:30, which never happens on 29 March: at 02:00 CET the clocks show
    # 03:00 CEST, already after 02:30, so quiet hours end at that moment (01:00 UTC).
    assert next_quiet_end(utc(2026, 3, 28, 22, 0), BERLIN, time(22), time(2, 30)) == utc(
        2026, 3, 29, 1, 0
    )


def test_quiet_hours_end_when_fall_back_leaves_the_range() -> None:
    # Quiet 02:30-06:00; at 02:40 CEST the clocks fall back to 02:00 CET at 01:00 UTC,
    # which is before 02:30: the person's clock is out of quiet hours again.
    assert next_quiet_end(utc(2026, 10, 25, 0, 40), BERLIN, time(2, 30), time(6)) == utc(
        2026, 10, 25, 1, 0
    )


def test_reminder_in_quiet_hours_moves_to_just_before_they_began() -> None:
    reminder = datetime(2026, 6, 1, 23, 30, tzinfo=BERLIN)
    moved = shift_out_of_quiet(reminder, BERLIN, time(22), time(8))
    assert moved == datetime(2026, 6, 1, 21, 59, tzinfo=BERLIN)
    assert moved.tzinfo is UTC
    morning = datetime(2026, 6, 2, 6, 0, tzinfo=BERLIN)
    assert shift_out_of_quiet(morning, BERLIN, time(22), time(8)) == moved


def test_prompt_in_quiet_hours_moves_to_their_end() -> None:
    prompt = datetime(2026, 6, 1, 23, 30, tzinfo=BERLIN)
    moved = shift_out_of_quiet(prompt, BERLIN, time(22), time(8), direction="after")
    assert moved == datetime(2026, 6, 2, 8, 0, tzinfo=BERLIN)


def test_prompt_that_cannot_wait_past_not_after_goes_before_quiet_hours() -> None:
    prompt = datetime(2026, 6, 1, 23, 30, tzinfo=BERLIN)
    deadline = datetime(2026, 6, 2, 7, 0, tzinfo=BERLIN)
    moved = shift_out_of_quiet(prompt, BERLIN, time(22), time(8), deadline, "after")
    assert moved == datetime(2026, 6, 1, 21, 59, tzinfo=BERLIN)


def test_reminder_never_after_not_after() -> None:
    reminder = datetime(2026, 6, 1, 20, 0, tzinfo=BERLIN)
    session = datetime(2026, 6, 1, 19, 0, tzinfo=BERLIN)
    assert shift_out_of_quiet(reminder, BERLIN, time(22), time(8), session) == session


def test_quiet_hours_that_begin_when_the_clocks_jump() -> None:
    # Quiet from 02:30 on the spring-forward day: 02:30 never shows; at 02:00 CET the
    # clocks jump to 03:00 CEST, inside quiet hours. A reminder at 04:00 CEST goes to one
    # minute before the jump, 01:59 CET.
    reminder = datetime(2026, 3, 29, 4, 0, tzinfo=BERLIN)
    moved = shift_out_of_quiet(reminder, BERLIN, time(2, 30), time(6))
    assert moved == utc(2026, 3, 29, 0, 59)


def test_a_non_quiet_window_swallowed_by_the_gap_waits_for_the_next_day() -> None:
    # Quiet 02:15-02:00 leaves only 02:00-02:15, which never happens on 30 March 2014.
    late = utc(2014, 3, 29, 22, 59, 59)  # 23:59:59 CET
    assert next_quiet_end(late, BERLIN, time(2, 15), time(2, 0)) == utc(2014, 3, 31, 0, 0)
    moved = shift_out_of_quiet(utc(2014, 3, 31, 0, 30), BERLIN, time(2, 15), time(2, 0))
    assert moved == utc(2014, 3, 31, 0, 14)  # 02:14 CEST
    earlier = shift_out_of_quiet(utc(2014, 3, 30, 12, 0), BERLIN, time(2, 15), time(2, 0))
    assert earlier == utc(2014, 3, 29, 1, 14)  # 02:14 CET the day before


def test_custom_margin() -> None:
    reminder = datetime(2026, 6, 1, 23, 30, tzinfo=BERLIN)
    moved = shift_out_of_quiet(reminder, BERLIN, time(22), time(8), margin=timedelta(minutes=15))
    assert moved == datetime(2026, 6, 1, 21, 45, tzinfo=BERLIN)


def test_shift_refuses_naive_instants_and_bad_arguments() -> None:
    with pytest.raises(TypeError):
        shift_out_of_quiet(datetime(2026, 6, 1, 23, 0), BERLIN, time(22), time(8))
    with pytest.raises(TypeError):
        next_quiet_end(datetime(2026, 6, 1, 23, 0), BERLIN, time(22), time(8))
    with pytest.raises(ValueError, match="margin"):
        shift_out_of_quiet(utc(2026, 6, 1), BERLIN, time(22), time(8), margin=timedelta(0))


def quiet_everywhere_between(
    low: datetime, high: datetime, zone: ZoneInfo, start: time, end: time
) -> bool:
    """Whether every minute-spaced sample in [low, high) is in quiet hours."""
    cursor = low
    while cursor < high:
        if not in_quiet_hours(cursor.astimezone(zone), start, end):
            return False
        cursor += timedelta(minutes=1)
    return True


@PROPERTY
@given(zone_and_instant(), quiet_ranges())
def test_next_quiet_end_is_the_first_moment_outside_quiet_hours(
    case: tuple[ZoneInfo, datetime], quiet: tuple[time, time]
) -> None:
    (zone, instant), (start, end) = case, quiet
    result = next_quiet_end(instant, zone, start, end)
    assert result >= instant
    assert not in_quiet_hours(result.astimezone(zone), start, end)
    # Within a day, or two when a clock change swallows the whole non-quiet window
    # (quiet 02:15-02:00 leaves 02:00-02:15, which does not exist on spring-forward day).
    assert result - instant <= timedelta(hours=49)
    assert quiet_everywhere_between(instant, result, zone, start, end)
    if result > instant:
        assert in_quiet_hours((result - timedelta(microseconds=1)).astimezone(zone), start, end)


@PROPERTY
@given(
    zone_and_instant(),
    quiet_ranges(),
    st.sampled_from(["before", "after"]),
    st.one_of(st.none(), st.integers(-36 * 60, 36 * 60).map(lambda m: timedelta(minutes=m))),
)
def test_shift_out_of_quiet_never_lands_in_quiet_hours_nor_after_not_after(
    case: tuple[ZoneInfo, datetime],
    quiet: tuple[time, time],
    direction: str,
    slack: timedelta | None,
) -> None:
    (zone, instant), (start, end) = case, quiet
    not_after = None if slack is None else instant + slack
    assert direction in ("before", "after")
    result = shift_out_of_quiet(
        instant,
        zone,
        start,
        end,
        not_after,
        "before" if direction == "before" else "after",
    )
    assert result.tzinfo is UTC
    assert not in_quiet_hours(result.astimezone(zone), start, end)
    if not_after is not None:
        assert result <= not_after
    bound = instant if not_after is None else min(instant, not_after)
    if direction == "before":
        assert result <= bound
        if not in_quiet_hours(bound.astimezone(zone), start, end):
            assert result == bound
        else:
            # It is the last moment (a minute ahead) before the quiet hours began.
            assert bound - result <= timedelta(hours=49)
            assert quiet_everywhere_between(result + timedelta(minutes=1), bound, zone, start, end)
            # ... exactly: one minute later the quiet hours have just begun.
            began = result + timedelta(minutes=1)
            assert in_quiet_hours(began.astimezone(zone), start, end)
            just_before = began - timedelta(microseconds=1)
            assert not in_quiet_hours(just_before.astimezone(zone), start, end)
    elif not_after is None or next_quiet_end(instant, zone, start, end) <= not_after:
        assert result == next_quiet_end(instant, zone, start, end)


# --------------------------------------------------------------------------- recurrence


def test_weekly_session_keeps_its_wall_time_across_dst() -> None:
    first = datetime(2026, 3, 1, 18, 0, tzinfo=BERLIN)
    occurrences = expand_recurrence(
        first, BERLIN, "WEEKLY", between=(utc(2026, 3, 1), utc(2026, 5, 1))
    )
    assert [o.astimezone(BERLIN).replace(tzinfo=None) for o in occurrences] == [
        datetime(2026, 3, 1, 18) + timedelta(weeks=k) for k in range(9)
    ]
    assert occurrences[3] == utc(2026, 3, 22, 17, 0)  # CET
    assert occurrences[4] == utc(2026, 3, 29, 16, 0)  # CEST
    assert all(o.tzinfo is UTC for o in occurrences)


def test_weekly_occurrence_in_the_gap_moves_forward_only_that_week() -> None:
    occurrences = expand_recurrence(
        datetime(2026, 3, 15, 2, 30),
        BERLIN,
        "WEEKLY",
        count=4,
        between=(utc(2026, 3, 1), utc(2026, 5, 1)),
    )
    assert [o.astimezone(BERLIN).isoformat() for o in occurrences] == [
        "2026-03-15T02:30:00+01:00",
        "2026-03-22T02:30:00+01:00",
        "2026-03-29T03:30:00+02:00",
        "2026-04-05T02:30:00+02:00",
    ]


def test_daily_occurrence_in_the_fold_takes_the_first() -> None:
    occurrences = expand_recurrence(
        datetime(2026, 10, 24, 2, 30, tzinfo=BERLIN),
        BERLIN,
        "DAILY",
        count=3,
        between=(utc(2026, 10, 1), utc(2026, 11, 1)),
    )
    assert occurrences == [
        utc(2026, 10, 24, 0, 30),
        utc(2026, 10, 25, 0, 30),  # 02:30 CEST, the first of the two
        utc(2026, 10, 26, 1, 30),
    ]


def test_until_date_is_inclusive_in_local_time() -> None:
    occurrences = expand_recurrence(
        datetime(2026, 12, 1, 23, 30, tzinfo=KATHMANDU),
        KATHMANDU,
        "DAILY",
        until=date(2026, 12, 3),
        between=(utc(2026, 1, 1), utc(2027, 1, 1)),
    )
    assert [o.astimezone(KATHMANDU).date() for o in occurrences] == [
        date(2026, 12, 1),
        date(2026, 12, 2),
        date(2026, 12, 3),
    ]


def test_until_instant_is_inclusive() -> None:
    first = datetime(2026, 6, 1, 18, 0, tzinfo=BERLIN)
    third = utc(2026, 6, 15, 16, 0)
    occurrences = expand_recurrence(
        first, BERLIN, "WEEKLY", until=third, between=(utc(2026, 1, 1), utc(2027, 1, 1))
    )
    assert occurrences[-1] == third
    assert len(occurrences) == 3


def test_exdates_and_between_bounds() -> None:
    first = datetime(2026, 6, 1, 18, 0, tzinfo=BERLIN)
    every = expand_recurrence(first, BERLIN, "DAILY", between=(utc(2026, 6, 1), utc(2026, 6, 8)))
    assert len(every) == 7
    skipped = expand_recurrence(
        first,
        BERLIN,
        "DAILY",
        exdates={every[1], datetime(2026, 6, 4, 18, 0)},  # by instant, and by wall time
        between=(utc(2026, 6, 1), utc(2026, 6, 8)),
    )
    assert skipped == [every[0], every[2], every[4], every[5], every[6]]
    # between is [low, high): an occurrence exactly at high is left out
    window = expand_recurrence(first, BERLIN, "DAILY", between=(every[2], every[4]))
    assert window == [every[2], every[3]]


def test_window_edges_next_to_clock_changes() -> None:
    # The 02:30 occurrence on the spring-forward Sunday happens at 03:30 CEST (01:30 UTC);
    # a window starting exactly then must still see it, though its wall time is earlier.
    gap_occurrence = utc(2026, 3, 29, 1, 30)
    weekly = expand_recurrence(
        datetime(2026, 3, 15, 2, 30),
        BERLIN,
        "WEEKLY",
        between=(gap_occurrence, utc(2026, 3, 30)),
    )
    assert weekly == [gap_occurrence]
    # The 02:30 occurrence on the fall-back Sunday is the first one (00:30 UTC); a window
    # ending at 01:15 UTC (02:15 CET, before 02:30 on the wall) must still include it.
    daily = expand_recurrence(
        datetime(2026, 10, 20, 2, 30),
        BERLIN,
        "DAILY",
        between=(utc(2026, 10, 25), utc(2026, 10, 25, 1, 15)),
    )
    assert daily == [utc(2026, 10, 25, 0, 30)]


def test_count_counts_before_exdates() -> None:
    first = datetime(2026, 6, 1, 18, 0, tzinfo=BERLIN)
    all_three = expand_recurrence(
        first, BERLIN, "WEEKLY", count=3, between=(utc(2026, 1, 1), utc(2027, 1, 1))
    )
    fewer = expand_recurrence(
        first,
        BERLIN,
        "WEEKLY",
        count=3,
        exdates={all_three[0]},
        between=(utc(2026, 1, 1), utc(2027, 1, 1)),
    )
    assert fewer == all_three[1:]


def test_one_off_session() -> None:
    start = datetime(2026, 6, 1, 18, 0, tzinfo=BERLIN)
    assert expand_recurrence(start, BERLIN, None, between=(utc(2026, 6, 1), utc(2026, 6, 2))) == [
        utc(2026, 6, 1, 16, 0)
    ]
    assert expand_recurrence(start, BERLIN, None, between=(utc(2026, 6, 2), utc(2026, 6, 3))) == []


def test_interval_and_empty_window() -> None:
    start = datetime(2026, 6, 1, 18, 0, tzinfo=BERLIN)
    fortnightly = expand_recurrence(
        start, BERLIN, "WEEKLY", interval=2, between=(utc(2026, 6, 1), utc(2026, 7, 1))
    )
    assert [o.day for o in fortnightly] == [1, 15, 29]
    assert (
        expand_recurrence(start, BERLIN, "WEEKLY", between=(utc(2026, 7, 1), utc(2026, 6, 1))) == []
    )


def test_start_given_in_another_zone_is_converted_to_the_session_zone() -> None:
    start = datetime(2026, 6, 1, 12, 0, tzinfo=NEW_YORK)  # 18:00 in Berlin
    occurrences = expand_recurrence(
        start, BERLIN, "WEEKLY", count=2, between=(utc(2026, 1, 1), utc(2027, 1, 1))
    )
    assert [o.astimezone(BERLIN).hour for o in occurrences] == [18, 18]


def expected_occurrences(
    start: datetime,
    zone: ZoneInfo,
    step: timedelta | None,
    low: datetime,
    high: datetime,
    until: date | None,
    count: int | None,
    excluded: set[datetime],
) -> list[datetime]:
    """Plain iteration, wall time plus k steps, no rrule and no windowing tricks."""
    found: list[datetime] = []
    k = 0
    while True:
        wall = start + k * step if step is not None else start
        if count is not None and k >= count:
            break
        if until is not None and wall.date() > until:
            break
        instant = resolve_wall_time(wall, zone).instant
        if instant >= high + timedelta(days=2):
            break
        if low <= instant < high and instant not in excluded:
            found.append(instant)
        k += 1
        if step is None:
            break
    return found


@PROPERTY
@given(
    zone_and_wall(),
    st.integers(0, 8),
    st.sampled_from(["DAILY", "WEEKLY", None]),
    st.integers(-30, 400),
    st.integers(0, 400),
    st.one_of(st.none(), st.integers(0, 500)),
    st.one_of(st.none(), st.integers(1, 80)),
    st.lists(st.integers(0, 60), max_size=4),
)
def test_expansion_matches_plain_iteration_and_keeps_wall_time(
    case: tuple[ZoneInfo, datetime],
    weeks_earlier: int,
    freq: str | None,
    low_days: int,
    span_days: int,
    until_days: int | None,
    count: int | None,
    skip: list[int],
) -> None:
    zone, near_change = case
    # Starting a whole number of weeks before a clock change makes the series meet it.
    start = near_change - timedelta(weeks=weeks_earlier)
    low = start.replace(tzinfo=UTC) + timedelta(days=low_days)
    high = low + timedelta(days=span_days, hours=7)
    until = None if until_days is None else start.date() + timedelta(days=until_days)
    step = {"DAILY": timedelta(days=1), "WEEKLY": timedelta(weeks=1), None: None}[freq]
    everything = expected_occurrences(start, zone, step, low, high, until, count, set())
    excluded = {everything[i] for i in skip if i < len(everything)}
    result = expand_recurrence(
        start,
        zone,
        "DAILY" if freq == "DAILY" else "WEEKLY" if freq == "WEEKLY" else None,
        between=(low, high),
        until=until,
        count=count,
        exdates=excluded,
    )
    assert result == [o for o in everything if o not in excluded]
    assert result == sorted(set(result))
    assert all(low <= o < high and o.tzinfo is UTC for o in result)
    for occurrence in result:
        local = local_wall(occurrence, zone)
        if local.time() == start.time():
            continue
        # Only a gap may move it, forward, by the gap's length.
        nominal = datetime.combine(local.date(), start.time())
        if nominal > local:
            nominal -= timedelta(days=1)
        assert resolve_wall_time(nominal, zone).adjustment == "gap"
        gap = offset_at(zone, occurrence) - offset_at(zone, occurrence - timedelta(days=1))
        assert local - nominal == gap > timedelta(0)


def test_rrule_string() -> None:
    assert rrule_string("WEEKLY", utc(2027, 1, 1)) == "FREQ=WEEKLY;UNTIL=20270101T000000Z"
    assert (
        rrule_string("WEEKLY", datetime(2027, 1, 1, 1, 0, tzinfo=BERLIN))
        == "FREQ=WEEKLY;UNTIL=20270101T000000Z"
    )
    assert rrule_string("DAILY") == "FREQ=DAILY"
    assert rrule_string("DAILY", count=5, interval=2) == "FREQ=DAILY;INTERVAL=2;COUNT=5"
    with pytest.raises(ValueError, match="exclusive"):
        rrule_string("DAILY", utc(2027, 1, 1), count=3)
    with pytest.raises(TypeError):
        rrule_string("DAILY", datetime(2027, 1, 1))


def test_until_instant_is_the_end_of_the_local_day() -> None:
    assert until_instant(date(2026, 12, 31), BERLIN) == utc(2026, 12, 31, 22, 59, 59)
    rule = rrule_string("WEEKLY", until_instant(date(2026, 12, 31), BERLIN))
    assert rule == "FREQ=WEEKLY;UNTIL=20261231T225959Z"


@given(
    st.sampled_from(["DAILY", "WEEKLY"]),
    st.one_of(
        st.none(),
        st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(2200, 1, 1)).map(
            lambda d: d.replace(microsecond=0, tzinfo=UTC)
        ),
    ),
    st.integers(1, 10),
)
def test_rrule_round_trip(freq: str, until: datetime | None, interval: int) -> None:
    typed: Frequency = "DAILY" if freq == "DAILY" else "WEEKLY"
    value = rrule_string(typed, until, interval=interval)
    assert parse_rrule(value) == RecurrenceRule(typed, until=until, interval=interval)
    assert parse_rrule("RRULE:" + value) == parse_rrule(value)


def test_parse_rrule_reads_count_and_date_until() -> None:
    assert parse_rrule("FREQ=DAILY;COUNT=4") == RecurrenceRule("DAILY", count=4)
    assert parse_rrule("FREQ=WEEKLY;UNTIL=20270101") == RecurrenceRule(
        "WEEKLY", until=utc(2027, 1, 1, 23, 59, 59)
    )


@pytest.mark.parametrize(
    "value",
    [
        "",
        "FREQ=MONTHLY",
        "FREQ=WEEKLY;BYDAY=MO",
        "FREQ=WEEKLY;COUNT=x",
        "FREQ=WEEKLY;COUNT=2;UNTIL=20270101T000000Z",
        "FREQ=WEEKLY;FREQ=DAILY",
        "FREQ=WEEKLY;INTERVAL=0",
        "FREQ=WEEKLY;UNTIL=2027",
    ],
)
def test_parse_rrule_rejects(value: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse_rrule(value)
    assert caught.value.code == "time.bad_rrule"


def test_local_result_is_a_value() -> None:
    one = parse_local_datetime("2026-12-03 15:00", BERLIN)
    two = LocalResult(
        instant=utc(2026, 12, 3, 14, 0), zone=BERLIN, wall=datetime(2026, 12, 3, 15, 0)
    )
    assert one == two
