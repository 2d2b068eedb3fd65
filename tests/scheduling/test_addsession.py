"""addsession: members told in their language and zone, the coordinator warned (night,
holiday, DST) before anyone is told, bad input refused with nothing saved."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import update

from storage.models import Cohort
from tests.harness import BotHarness
from tests.scheduling.helpers import counts, make_cohort, texts


async def test_members_hear_of_a_new_session_in_their_language_and_time(bot: BotHarness) -> None:
    await make_cohort(bot, {"ana": ("America/New_York", None), "chen": ("America/Sao_Paulo", "es")})
    mark = len(bot.sent)
    reply = await bot.ask("coord", '/addsession "Kickoff" 2026-12-03 15:00 for 2h')
    assert re.search(r'Scheduled #1 "Kickoff": Thursday, December 3, 2026 at 3:00\s?PM', reply)
    assert "Europe/Berlin" in reply and "2 hours" in reply
    assert "telling 2 members" in reply
    # 09:00 UTC is 04:00 in New York and 06:00 in Sao Paulo: both still asleep.
    assert texts(bot, "ana", mark) == [] and texts(bot, "chen", mark) == []
    await bot.advance(timedelta(hours=2))  # 08:00 in Sao Paulo
    (chen,) = texts(bot, "chen", mark)
    assert "Nueva sesión" in chen and "jueves, 3 de diciembre de 2026" in chen
    assert "11:00" in chen and "America/Sao_Paulo" in chen
    assert bot.last("chen").choices == ("sí", "no", "quizás")
    assert texts(bot, "ana", mark) == []
    await bot.advance(timedelta(hours=2))  # 08:00 in New York
    (ana,) = texts(bot, "ana", mark)
    assert re.search(r"Thursday, December 3, 2026 at 9:00\s?AM \(America/New_York, GMT-5\)", ana)
    assert bot.last("ana").choices == ("yes", "no", "maybe")
    assert "Will you come?" in ana
    # Answering with the choice's number records the RSVP.
    assert "Noted: yes" in await bot.ask("ana", "1")


async def test_the_coordinator_is_warned_before_anyone_is_told(bot: BotHarness) -> None:
    await make_cohort(bot, {"bo": ("Asia/Tokyo", None), "ana": ("America/New_York", None)})
    await bot.ask("ana", "/quiet off")
    mark = len(bot.sent)
    before = await counts(bot)
    reply = await bot.ask("coord", '/addsession "Late one" 2026-12-04 18:00')
    assert "Before I tell anyone" in reply
    assert re.search(r"bo: .*2:00\s?AM.*Asia/Tokyo.* their night", reply)
    assert "ana" not in reply  # 12:00 in New York
    assert bot.last("coord").choices == ("Schedule it anyway", "No, change nothing")
    assert await counts(bot) == before  # nothing saved yet
    await bot.advance(timedelta(days=1))
    assert texts(bot, "bo", mark) == [] and texts(bot, "ana", mark) == []
    assert "nothing was changed" in await bot.ask("coord", "2")
    assert await counts(bot) == before
    await bot.ask("coord", '/addsession "Late one" 2026-12-04 18:00')
    reply = await bot.ask("coord", "Schedule it anyway")
    assert 'Scheduled #1 "Late one"' in reply
    await bot.advance(timedelta(hours=1))
    assert any("Late one" in t for t in texts(bot, "ana", mark))


async def test_a_public_holiday_is_named(bot: BotHarness) -> None:
    await make_cohort(bot, {"ana": ("America/New_York", None)})
    reply = await bot.ask("coord", '/addsession "Year end" 2026-12-25 15:00')
    assert re.search(
        r"ana: Fri, Dec 25 is a public holiday in United States \(Christmas Day\)", reply
    )
    assert "coord: Fri, Dec 25 is a public holiday in Germany" in reply


async def test_a_series_warns_with_counts_and_notes_the_dst_gap(bot: BotHarness) -> None:
    await make_cohort(bot, {"bo": ("Asia/Tokyo", None)})
    await bot.advance(timedelta(days=100))  # 2027-03-11
    reply = await bot.ask(
        "coord", '/addsession "Early" 2027-03-21 02:30 every week until 2027-04-11'
    )
    assert re.search(r"coord: 4 of the first 4 dates are in their night", reply)
    assert not re.search(r"bo: \d+ of", reply)  # 10:30 / 09:30 in Tokyo: daytime
    assert "bo: Sun, Mar 21 is a public holiday in Japan (Vernal Equinox Day)" in reply
    assert re.search(r"on Sun, Mar 28, 2:30\s?AM does not exist in Europe/Berlin", reply)
    assert re.search(r"starts at 3:30\s?AM instead", reply)
    reply = await bot.ask("coord", "1")
    assert "Scheduled #1" in reply and "does not exist" in reply


async def test_a_series_with_an_ambiguous_time_notes_the_fold(bot: BotHarness) -> None:
    await make_cohort(bot, {})
    await bot.ask("coord", "/quiet off")
    reply = await bot.ask(
        "coord", '/addsession "Night owls" 2027-10-24 02:30 weekly until 2027-11-07'
    )
    assert "Before I tell anyone" in reply  # the default night still counts: 02:30 is night
    assert re.search(r"on Sun, Oct 31, 2:30\s?AM happens twice in Europe/Berlin", reply)
    assert "GMT+2" in reply


async def test_zone_defaults_to_the_sender_then_the_cohort(bot: BotHarness) -> None:
    await make_cohort(bot, {"fac": ("Africa/Nairobi", None)}, coordinator_zone="Europe/Berlin")
    async with bot.db.transaction() as session:
        await session.execute(update(Cohort).values(zone="Europe/Berlin"))
    reply = await bot.ask("coord", '/addsession "A" 2026-12-03 15:00 America/Sao_Paulo for 1h')
    assert "America/Sao_Paulo" in reply and "3:00" in reply
    reply = await bot.ask("coord", '/addsession "B" 2026-12-03 17:00 Nairobi for 30m')
    assert "Africa/Nairobi" in reply and "30 minutes" in reply
    reply = await bot.ask("coord", '/addsession "C" 2026-12-04T10:00 for 1h30m')
    assert "Europe/Berlin" in reply  # the coordinator's own zone


BAD_INPUTS = [
    (
        '/addsession "Old" 2026-11-30 15:00',
        r"is in the past .*Pick a later time.*2026-12-02 18:00.*Nothing was saved",
    ),
    ('/addsession "Old" 2026-12-01 09:59', r"is in the past"),  # 09:59 Berlin = 08:59 UTC
    (
        '/addsession "X" 2026-13-45 15:00',
        r'"2026-13-45 15:00" is not a date and time I understand.*like 2026-12-02 18:00',
    ),
    ('/addsession "X" 2026-12-03 25:99', r"is not a date and time I understand"),
    ('/addsession "X" soon', r'"soon" is not a date and time I understand'),
    ('/addsession "X" 2026-12-03', r"is not a date and time I understand"),
    ("/addsession", r"Write it like: /addsession"),
    (
        '/addsession "X" 2026-12-08 18:00 every week until 2026-12-01',
        r"would end on 2026-12-01, before it starts.*until 2027-02-02.*Nothing was saved",
    ),
    (
        '/addsession "X" 2026-12-08 18:00 for 25h',
        r'"25h" is too long: a session lasts at most 24 hours',
    ),
    ('/addsession "X" 2026-12-08 18:00 for 2d', r"at most 24 hours"),
    ('/addsession "X" 2026-12-08 18:00 for ages', r'"ages" is not a duration.*for 90m'),
    (
        '/addsession "X" 2026-12-08 18:00 Atlantis-on-Sea',
        r'don\'t know the time zone or city "Atlantis-on-Sea"',
    ),
    ('/addsession "X" 2026-12-08 18:00 every month', r'"every month" is not a repetition'),
    ('/addsession "X" 2026-12-08 18:00 until 2027-01-01', r"only goes with a repetition"),
    ('/addsession "X" 2026-12-08 18:00 every week until someday', r'"someday" is not a date'),
    ('/addsession "X" 2026-12-08 18:00 for', r'"for" needs a value'),
    ('/addsession "X" 2026-12-08 18:00 recorded recorded', r'"recorded" appears twice'),
]


@pytest.mark.parametrize(("command", "expected"), BAD_INPUTS)
async def test_bad_input_is_refused_and_nothing_is_saved(
    bot: BotHarness, command: str, expected: str
) -> None:
    await make_cohort(bot, {"ana": ("America/New_York", None)})
    before = await counts(bot)
    mark = len(bot.sent)
    reply = await bot.ask("coord", command)
    assert re.search(expected, reply, re.DOTALL), reply
    assert await counts(bot) == before
    await bot.advance(timedelta(days=2))
    assert texts(bot, "ana", mark) == []
    assert "There are no upcoming sessions" in await bot.ask("coord", "/sessions")


async def test_no_zone_anywhere_is_refused(bot: BotHarness) -> None:
    code = await bot.new_cohort("coord", "Exchange", "UTC")
    async with bot.db.transaction() as session:
        await session.execute(update(Cohort).values(zone=""))
    await bot.ask("ana", f"/join {code}")
    before = await counts(bot)
    reply = await bot.ask("coord", '/addsession "X" 2026-12-08 18:00')
    assert re.search(
        r"don't know which time zone 2026-12-08 18:00 is in.*"
        r'/addsession "X" 2026-12-08 18:00 Europe/Berlin.*/timezone.*Nothing was saved',
        reply,
    )
    assert await counts(bot) == before
    reply = await bot.ask("coord", '/addsession "X" 2026-12-08 18:00 Europe/Lisbon')
    assert "Scheduled #1" in reply


async def test_a_closed_cohort_refuses_new_sessions(bot: BotHarness) -> None:
    await make_cohort(bot, {})
    async with bot.db.transaction() as session:
        await session.execute(update(Cohort).values(status="closed"))
    before = await counts(bot)
    for command in ('/addsession "X" 2026-12-08 18:00', "/findtime 1h"):
        reply = await bot.ask("coord", command)
        assert "Exchange has closed" in reply
    assert await counts(bot) == before


async def test_participants_cannot_add_sessions(bot: BotHarness) -> None:
    await make_cohort(bot, {"ana": ("America/New_York", None)})
    before = await counts(bot)
    reply = await bot.ask("ana", '/addsession "X" 2026-12-08 18:00')
    assert "can't use /addsession" in reply
    assert await counts(bot) == before


async def test_bad_input_reply_is_localized(bot: BotHarness) -> None:
    await make_cohort(bot, {})
    await bot.ask("coord", "/language fr")
    reply = await bot.ask("coord", '/addsession "X" 2026-11-30 15:00')
    assert "déjà passé" in reply and "Rien n'a été enregistré" in reply


async def test_a_one_off_in_the_spring_gap_is_moved_forward_and_noted(bot: BotHarness) -> None:
    await make_cohort(bot, {})
    await bot.advance(timedelta(days=100))
    reply = await bot.ask("coord", '/addsession "Early" 2027-03-28 02:30 for 30m')
    assert re.search(r"on Sun, Mar 28, 2:30\s?AM does not exist in Europe/Berlin", reply)
    reply = await bot.ask("coord", "1")
    assert re.search(r"Sunday, March 28, 2027 at 3:30\s?AM \(Europe/Berlin, GMT\+2\)", reply)
    assert "does not exist" in reply


async def test_warnings_asked_in_a_group_go_to_the_coordinator_privately(bot: BotHarness) -> None:
    await make_cohort(bot, {"bo": ("Asia/Tokyo", None)})
    messages = await bot.send("coord", '/addsession "Late" 2026-12-04 18:00', chat="team")
    in_group = [m for m in messages if m.to is None]
    private = [m for m in messages if m.to == "coord"]
    assert in_group == []
    assert any("Before I tell anyone" in m.text and "bo:" in m.text for m in private)
    assert "Scheduled #1" in await bot.ask("coord", "1")


async def test_the_same_session_twice_is_a_question_not_a_second_session(bot: BotHarness) -> None:
    await make_cohort(bot, {"ana": ("Europe/Berlin", None)})
    assert "Scheduled #1" in await bot.ask("coord", '/addsession "Circle" 2026-12-08 15:00')
    before = await counts(bot)
    mark = len(bot.sent)
    reply = await bot.ask("coord", '/addsession "circle " 2026-12-08 15:00 for 1h')
    assert re.search(r'#1 "Circle" is already scheduled on Tuesday, December 8, 2026', reply)
    assert "tell every member twice" in reply
    assert reply.endswith("Schedule it anyway and tell everyone?")
    assert bot.last("coord").choices == ("Schedule it anyway", "No, change nothing")
    assert await counts(bot) == before
    assert "nothing was changed" in await bot.ask("coord", "2")
    assert await counts(bot) == before and texts(bot, "ana", mark) == []
    # another title, or another time, is no duplicate
    assert "Scheduled #2" in await bot.ask("coord", '/addsession "Circle" 2026-12-08 16:00')
    assert "Scheduled #3" in await bot.ask("coord", '/addsession "Other" 2026-12-08 15:00')
    # confirmed, it is saved
    await bot.ask("coord", '/addsession "Circle" 2026-12-08 15:00')
    assert "Scheduled #4" in await bot.ask("coord", "1")


async def test_a_duplicate_and_a_night_are_told_together(bot: BotHarness) -> None:
    await make_cohort(bot, {"bo": ("Asia/Tokyo", None)})
    await bot.ask("coord", '/addsession "Late" 2026-12-04 18:00')
    await bot.ask("coord", "1")
    reply = await bot.ask("coord", '/addsession "Late" 2026-12-04 18:00')
    assert "already scheduled" in reply
    assert "It is also hard for some members:" in reply and "bo:" in reply
