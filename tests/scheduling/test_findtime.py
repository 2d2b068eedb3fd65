"""findtime: ranked suggestions in the asker's zone, who is inconvenienced, fairness over past
sessions, and bad input."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.harness import BotHarness
from tests.scheduling.helpers import add, counts, make_cohort

WORLD: dict[str, tuple[str, str | None]] = {
    "ana": ("America/New_York", None),
    "kai": ("Australia/Sydney", None),
}


def slot_lines(reply: str) -> list[str]:
    return [line for line in reply.splitlines() if re.match(r"\d\. ", line)]


async def test_suggestions_in_the_askers_zone_with_who_is_inconvenienced(bot: BotHarness) -> None:
    await make_cohort(bot, {"ana": ("America/New_York", None)})
    reply = await bot.ask("coord", "/findtime 90m from 2026-12-07 to 2026-12-09")
    assert "Best times for 1 hour and 30 minutes, Mon, Dec 7 to Wed, Dec 9, for 2 people" in reply
    assert "in your time (Europe/Berlin)" in reply
    lines = slot_lines(reply)
    assert len(lines) == 5
    assert all("everyone is awake" in line for line in lines)
    # Berlin 14:00-16:00 is New York 08:00-10:00: the first common waking hours of the day.
    assert re.search(r"1\. Mon, Dec 7, 2026, 2:00\s?PM–3:30\s?PM \(GMT\+1\)", lines[0])
    assert '/addsession "…" 2026-12-07 14:00 for 1h30m' in reply


async def test_nobody_can_always_be_awake_so_the_burden_is_named_and_rotates(
    bot: BotHarness,
) -> None:
    await make_cohort(bot, WORLD)
    reply = await bot.ask("coord", "/findtime 1h from 2026-12-07 to 2026-12-07")
    first = slot_lines(reply)[0]
    assert "1 person inconvenienced" in first
    tired = re.search(r"inconvenienced: (\w+) \(", first)
    assert tired is not None
    # Schedule a run of sessions at that time; afterwards that person is spared first.
    when = re.search(r'/addsession "…" (\S+ \S+)', reply)
    assert when is not None
    await add(bot, f'/addsession "Run" {when.group(1)} for 1h every day until 2026-12-10')
    await bot.advance(timedelta(days=10))
    reply = await bot.ask("coord", "/findtime 1h from 2026-12-14 to 2026-12-14")
    assert re.search(rf"Recently in their night.*{tired.group(1)} \(100%\)", reply)
    first = slot_lines(reply)[0]
    assert tired.group(1) not in first
    assert "1 person inconvenienced" in first


async def test_holidays_count_as_inconvenient(bot: BotHarness) -> None:
    await make_cohort(bot, {"ana": ("America/New_York", None)})
    reply = await bot.ask("coord", "/findtime 1h from 2026-12-25 to 2026-12-25")
    lines = slot_lines(reply)
    assert len(lines) == 5
    assert all("coord" in line and "public holiday: Christmas Day" in line for line in lines)


async def test_existing_sessions_are_not_suggested(bot: BotHarness) -> None:
    await make_cohort(bot, {"ana": ("America/New_York", None)})
    await add(bot, '/addsession "Busy" 2026-12-07 14:00 for 3h')
    reply = await bot.ask("coord", "/findtime 1h from 2026-12-07 to 2026-12-07")
    for line in slot_lines(reply):
        assert not re.search(r"Dec 7, 2026, (2|3|4):\d\d\s?PM–", line), line


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("/findtime", r"Write it like /findtime 90m"),
        ("/findtime 25h", r'"25h" is too long'),
        ("/findtime soon", r'"soon" is not a duration'),
        ("/findtime 1h from 2026-11-01", r"2026-11-01 is in the past.*from 2026-12-02"),
        (
            "/findtime 1h from 2026-12-10 to 2026-12-05",
            r"end date 2026-12-05 is before the start date 2026-12-10",
        ),
        ("/findtime 1h from 2026-12-02 to 2027-03-01", r"at most 31 days"),
        ("/findtime 1h from whenever", r'"whenever" is not a date'),
        ("/findtime 1h next week", r"Write it like /findtime 90m"),
    ],
)
async def test_bad_findtime_input(bot: BotHarness, command: str, expected: str) -> None:
    await make_cohort(bot, {})
    before = await counts(bot)
    reply = await bot.ask("coord", command)
    assert re.search(expected, reply, re.DOTALL), reply
    assert await counts(bot) == before


async def test_findtime_in_arabic(bot: BotHarness) -> None:
    await make_cohort(bot, {"ana": ("America/New_York", None)})
    await bot.ask("coord", "/language ar")
    reply = await bot.ask("coord", "/findtime 90m from tomorrow")
    assert "أفضل الأوقات" in reply and "لشخصين" in reply
