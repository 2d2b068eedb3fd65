"""Occurrence expansion, reminder instants and quiet-hour overlap over zones with DST and odd
offsets (hypothesis properties), plus examples that pin the documented rules."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.timeparse import in_quiet_hours, resolve_wall_time, rrule_string, stamp, until_instant
from handlers.scheduling.core import (
    MIN_REMINDER_GAP,
    REMINDER_LEADS,
    HolidayBook,
    expand_session,
    overlaps_quiet,
    plan_reminders,
    quiet_intervals,
    series_end,
    wall_notes,
)
from storage.models.scheduling import (
    OCCURRENCE_CANCELLED,
    OCCURRENCE_SCHEDULED,
    SESSION_ACTIVE,
    SESSION_CANCELLED,
    ScheduledSession,
    SessionOccurrence,
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
zones = st.sampled_from(ZONE_NAMES).map(ZoneInfo)
# Wall times near the small hours (where clocks change) are drawn far more often.
walls = st.sampled_from(
    [time(h, m) for h in (0, 1, 2, 3, 23) for m in (0, 15, 30, 45)] + [time(18, 0), time(12, 30)]
)
days = st.dates(min_value=date(2026, 1, 1), max_value=date(2028, 12, 31))
quiet_ranges = st.tuples(
    st.sampled_from([time(h, m) for h in (0, 1, 2, 3, 21, 22, 23) for m in (0, 30)]),
    st.sampled_from([time(h, m) for h in (1, 2, 3, 6, 7, 8, 9) for m in (0, 30)]),
).filter(lambda r: r[0] != r[1])
instants = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2028, 12, 31)).map(
    lambda d: d.replace(second=0, microsecond=0, tzinfo=UTC)
)


def make_session(
    zone: ZoneInfo,
    wall: datetime,
    *,
    freq: str | None = "WEEKLY",
    until: date | None = None,
    minutes: int = 90,
    interval: int = 1,
) -> ScheduledSession:
    first = resolve_wall_time(wall, zone).instant
    rule = None
    if freq is not None:
        until_utc = until_instant(until, zone) if until else None
        rule = rrule_string("WEEKLY" if freq == "WEEKLY" else "DAILY", until_utc, interval=interval)
    return ScheduledSession(
        id=7,
        cohort_id=1,
        number=3,
        title="Circle",
        zone=zone.key,
        start_wall=wall.isoformat(timespec="seconds"),
        starts_at=first,
        duration_minutes=minutes,
        rrule=rule,
        recorded=False,
        status=SESSION_ACTIVE,
        cancelled_at=None,
        sequence=0,
    )


def row(
    original: datetime,
    *,
    start: datetime | None = None,
    status: str = OCCURRENCE_SCHEDULED,
    minutes: int = 90,
) -> SessionOccurrence:
    actual = start or original
    return SessionOccurrence(
        id=1,
        session_id=7,
        original_start=original,
        start=actual,
        end=actual + timedelta(minutes=minutes),
        status=status,
        moved=start is not None and start != original,
    )


# --------------------------------------------------------------------------- expansion


@settings(max_examples=150, deadline=None)
@given(zone=zones, day=days, wall=walls, weeks=st.integers(1, 60))
def test_weekly_series_keeps_its_wall_time_in_its_own_zone(
    zone: ZoneInfo, day: date, wall: time, weeks: int
) -> None:
    start = datetime.combine(day, wall)
    session = make_session(zone, start, until=day + timedelta(weeks=weeks - 1))
    low = resolve_wall_time(start, zone).instant - timedelta(days=1)
    found = expand_session(session, [], low, low + timedelta(weeks=weeks + 2))
    assert len(found) == weeks
    starts = [o.start for o in found]
    assert starts == sorted(set(starts))
    for index, occurrence in enumerate(found):
        planned = start + timedelta(weeks=index)
        expected = resolve_wall_time(planned, zone)
        assert occurrence.start == expected.instant
        assert occurrence.end - occurrence.start == timedelta(minutes=90)
        local = occurrence.start.astimezone(zone)
        assert local.date() == planned.date() or expected.adjustment == "gap"
        if expected.adjustment is None:
            assert local.replace(tzinfo=None) == planned
        assert occurrence.key == f"s7-{stamp(occurrence.original_start)}"


@settings(max_examples=100, deadline=None)
@given(zone=zones, day=days, wall=walls, span_days=st.integers(1, 40), skip=st.data())
def test_cancelled_and_moved_occurrences_are_applied(
    zone: ZoneInfo, day: date, wall: time, span_days: int, skip: st.DataObject
) -> None:
    start = datetime.combine(day, wall)
    session = make_session(zone, start, freq="DAILY", until=day + timedelta(days=span_days))
    low = resolve_wall_time(start, zone).instant - timedelta(hours=1)
    high = low + timedelta(days=span_days + 3)
    plain = expand_session(session, [], low, high)
    cancelled = skip.draw(st.sampled_from(plain))
    moved = skip.draw(st.sampled_from(plain))
    rows = [row(cancelled.original_start, status=OCCURRENCE_CANCELLED)]
    if moved != cancelled:
        rows.append(row(moved.original_start, start=moved.start + timedelta(hours=5)))
    found = expand_session(session, rows, low, high)
    keys = [o.key for o in found]
    assert cancelled.key not in keys
    assert len(keys) == len(set(keys))
    if moved != cancelled:
        again = next(o for o in found if o.key == moved.key)
        assert again.start == moved.start + timedelta(hours=5)
        assert again.moved
        assert len(found) == len(plain) - 1
    with_cancelled = expand_session(session, rows, low, high, include_cancelled=True)
    assert any(o.key == cancelled.key and o.cancelled for o in with_cancelled)


def test_series_cancelled_midway_keeps_its_past() -> None:
    zone = ZoneInfo("Europe/Berlin")
    session = make_session(zone, datetime(2026, 12, 8, 18, 0))
    session.status = SESSION_CANCELLED
    session.cancelled_at = datetime(2026, 12, 20, tzinfo=UTC)
    found = expand_session(
        session, [], datetime(2026, 12, 1, tzinfo=UTC), datetime(2027, 2, 1, tzinfo=UTC)
    )
    assert [o.start.date() for o in found] == [date(2026, 12, 8), date(2026, 12, 15)]


def test_a_weekly_berlin_session_moves_for_new_york_across_both_dst_changes() -> None:
    berlin, new_york = ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York")
    session = make_session(berlin, datetime(2027, 3, 2, 18, 0), until=date(2027, 4, 6))
    found = expand_session(
        session, [], datetime(2027, 3, 1, tzinfo=UTC), datetime(2027, 4, 30, tzinfo=UTC)
    )
    in_berlin = {o.start.astimezone(berlin).strftime("%H:%M") for o in found}
    in_new_york = [o.start.astimezone(new_york).strftime("%m-%d %H:%M") for o in found]
    assert in_berlin == {"18:00"}
    assert in_new_york == [
        "03-02 12:00",  # both on standard time: 6 hours apart
        "03-09 12:00",
        "03-16 13:00",  # US on summer time since Mar 14, Europe not yet: 5 hours
        "03-23 13:00",
        "03-30 12:00",  # Europe on summer time since Mar 28: 6 hours again
        "04-06 12:00",
    ]


def test_gap_and_fold_are_noted() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    spring = make_session(berlin, datetime(2027, 3, 21, 2, 30), until=date(2027, 4, 4))
    notes = wall_notes(spring, spring.starts_at, spring.starts_at + timedelta(days=30))
    assert [
        (n.adjustment, n.instant.astimezone(berlin).strftime("%m-%d %H:%M")) for n in notes
    ] == [("gap", "03-28 03:30")]
    autumn = make_session(berlin, datetime(2027, 10, 24, 2, 30), until=date(2027, 11, 7))
    notes = wall_notes(autumn, autumn.starts_at, autumn.starts_at + timedelta(days=30))
    assert [(n.adjustment, n.instant.isoformat()) for n in notes] == [
        ("fold", "2027-10-31T00:30:00+00:00")  # the first 02:30, still on summer time
    ]


def test_series_end() -> None:
    zone = ZoneInfo("America/Sao_Paulo")
    session = make_session(zone, datetime(2026, 12, 8, 9, 0), until=date(2027, 1, 5))
    end = series_end(session)
    assert end == datetime(2027, 1, 5, 13, 30, tzinfo=UTC)
    session.rrule = None
    assert series_end(session) == session.starts_at + timedelta(minutes=90)
    open_ended = make_session(zone, datetime(2026, 12, 8, 9, 0))
    assert series_end(open_ended) is None


# --------------------------------------------------------------------------- quiet hours


def brute_quiet_minutes(
    zone: ZoneInfo, quiet: tuple[time, time], start: datetime, end: datetime
) -> list[bool]:
    count = int((end - start) / timedelta(minutes=1))
    return [
        in_quiet_hours((start + timedelta(minutes=i)).astimezone(zone), *quiet)
        for i in range(count)
    ]


@settings(max_examples=200, deadline=None)
@given(zone=zones, quiet=quiet_ranges, start=instants, minutes=st.integers(1, 36 * 60))
def test_quiet_intervals_match_minute_by_minute(
    zone: ZoneInfo, quiet: tuple[time, time], start: datetime, minutes: int
) -> None:
    end = start + timedelta(minutes=minutes)
    intervals = quiet_intervals(zone, quiet, start, end)
    expected = brute_quiet_minutes(zone, quiet, start, end)
    got = [any(a <= start + timedelta(minutes=i) < b for a, b in intervals) for i in range(minutes)]
    assert got == expected
    assert overlaps_quiet(start, end, zone, quiet) == any(expected)


@pytest.mark.parametrize(
    ("local_start", "minutes", "expected"),
    [
        ("2026-12-08 20:00", 90, False),  # ends 21:30
        ("2026-12-08 21:00", 90, True),  # runs into 22:00
        ("2026-12-08 08:00", 60, False),
        ("2026-12-08 07:59", 2, True),
        ("2027-03-28 01:30", 60, True),  # across the spring-forward gap, inside the night
    ],
)
def test_overlaps_quiet_examples(local_start: str, minutes: int, expected: bool) -> None:
    zone = ZoneInfo("Europe/Berlin")
    start = resolve_wall_time(datetime.fromisoformat(local_start), zone).instant
    assert overlaps_quiet(start, start + timedelta(minutes=minutes), zone, (time(22), time(8))) is (
        expected
    )


# --------------------------------------------------------------------------- reminders


@settings(max_examples=300, deadline=None)
@given(
    zone=zones,
    quiet=st.one_of(st.none(), quiet_ranges),
    start=instants,
    ahead=st.integers(0, 72 * 60),
)
def test_reminders_never_in_quiet_hours_never_after_start(
    zone: ZoneInfo, quiet: tuple[time, time] | None, start: datetime, ahead: int
) -> None:
    now = start - timedelta(minutes=ahead)
    planned = plan_reminders(start, zone, quiet, now)
    dues = [due for _lead, due in planned]
    assert dues == sorted(dues)
    for lead, due in planned:
        assert lead in REMINDER_LEADS
        assert now <= due < start
        assert due <= start - lead  # moved earlier, never later
        if quiet is not None:
            assert not in_quiet_hours(due.astimezone(zone), *quiet)
            ideal = start - lead
            if not in_quiet_hours(ideal.astimezone(zone), *quiet):
                assert due == ideal
        else:
            assert due == start - lead
    for earlier, later in itertools.pairwise(dues):
        assert later - earlier >= MIN_REMINDER_GAP


def test_reminder_in_the_night_moves_to_the_last_minute_before_it() -> None:
    tokyo = ZoneInfo("Asia/Tokyo")
    start = datetime(2026, 12, 8, 17, 0, tzinfo=UTC)  # 02:00 on Dec 9 in Tokyo
    planned = plan_reminders(start, tokyo, (time(22), time(8)), datetime(2026, 12, 1, tzinfo=UTC))
    local = [(lead, due.astimezone(tokyo).strftime("%m-%d %H:%M")) for lead, due in planned]
    assert local == [
        (timedelta(hours=24), "12-07 21:59"),
        (timedelta(hours=1), "12-08 21:59"),
    ]


def test_two_reminders_in_one_hour_become_the_later_one() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    start = resolve_wall_time(datetime(2026, 12, 9, 9, 30), berlin).instant
    # Awake only 09:00-10:00: 24 h before stays 09:30 the day before; 1 h before (08:30)
    # is quiet, so it moves to 09:59 the day before, 29 minutes after the first: one remains.
    planned = plan_reminders(start, berlin, (time(10), time(9)), datetime(2026, 12, 1, tzinfo=UTC))
    local = [(lead, due.astimezone(berlin).strftime("%d %H:%M")) for lead, due in planned]
    assert local == [(timedelta(hours=1), "08 09:59")]
    planned = plan_reminders(start, berlin, (time(22), time(8)), datetime(2026, 12, 1, tzinfo=UTC))
    local = [(lead, due.astimezone(berlin).strftime("%d %H:%M")) for lead, due in planned]
    assert local == [(timedelta(hours=24), "08 09:30"), (timedelta(hours=1), "09 08:30")]


def test_reminders_already_past_are_dropped() -> None:
    zone = ZoneInfo("America/New_York")
    start = datetime(2026, 12, 8, 17, 0, tzinfo=UTC)
    planned = plan_reminders(start, zone, None, start - timedelta(hours=5))
    assert [lead for lead, _due in planned] == [timedelta(hours=1)]


# --------------------------------------------------------------------------- holidays


def test_holidays_by_country_in_the_readers_language() -> None:
    assert HolidayBook("en").holiday("US", date(2026, 12, 25)) == "Christmas Day"
    assert HolidayBook("en").holiday("KE", date(2026, 12, 12)) == "Jamhuri Day"
    assert HolidayBook("en").holiday("US", date(2026, 12, 8)) is None
    assert HolidayBook("en").holiday(None, date(2026, 12, 25)) is None
    assert HolidayBook("en").holiday("ZZ", date(2026, 12, 25)) is None  # no data: no holiday
    spanish = HolidayBook("es").holiday("ES", date(2026, 12, 25))
    assert spanish == "Natividad del Señor"


@pytest.mark.parametrize(
    ("lang", "country", "day", "name"),
    [
        ("es", "CO", date(2026, 4, 3), "Viernes Santo"),
        ("es", "CO", date(2026, 12, 8), "La Inmaculada Concepción"),
        ("fr", "FR", date(2026, 12, 25), "Noël"),
        ("fr", "CO", date(2026, 12, 8), "La Inmaculada Concepción"),  # no French: Colombia's own
        ("pt_BR", "BR", date(2026, 12, 25), "Natal"),
        ("ar", "LB", date(2026, 12, 25), "عيد الميلاد"),
        ("ar", "FR", date(2026, 7, 14), "Fête nationale"),  # no Arabic: France's own
        ("en", "FR", date(2026, 7, 14), "National Day"),
    ],
)
def test_holiday_names_in_the_readers_language_else_the_countrys_own(
    lang: str, country: str, day: date, name: str
) -> None:
    assert HolidayBook(lang).holiday(country, day) == name


@pytest.mark.parametrize("lang", ["es", "fr", "pt_BR", "ar"])
def test_no_english_holiday_name_where_the_data_has_the_readers_language(lang: str) -> None:
    """Every country whose data speaks the reader's language (or its base language) names its
    holidays in it: a name equal to the English one only where the two really coincide."""
    import holidays

    base = lang.split("_")[0]
    for country in sorted(holidays.list_supported_countries()):
        probe = holidays.country_holidays(country)
        supported = tuple(getattr(probe, "supported_languages", ()) or ())
        pick = (
            lang
            if lang in supported
            else next((code for code in supported if code.split("_")[0] == base), None)
        )
        if pick is None:
            continue
        want = {
            d: str(n)
            for d, n in holidays.country_holidays(country, years=2026, language=pick).items()
        }
        book = HolidayBook(lang)
        for day, expected in want.items():
            assert book.holiday(country, day) == expected, (lang, country, day)
