"""Check-ins before recorded sessions: about 48 hours ahead, outside quiet hours, only for
people whose recording answer is open; never after a "no"; a per-session answer is possible."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.consent.helpers import CHECKIN, RENEWAL, cohort, ledger, prompts, recorded_session
from tests.harness import BotHarness

# 2026-12-05 15:00 Berlin = 14:00Z; the check-in is due 48 hours earlier.
START = datetime(2026, 12, 5, 14, 0, tzinfo=UTC)


async def test_checkin_48_hours_before_for_those_without_a_yes(bot: BotHarness) -> None:
    await cohort(bot, "ana", "ben", "cai")
    await bot.send("ana", "/consent recording yes")
    await bot.send("cai", "/consent photos no")  # another scope: still asked about recording
    await recorded_session(bot)
    await bot.advance(START - timedelta(hours=48) - bot.clock.now() - timedelta(minutes=1))
    assert prompts(bot, "ben", CHECKIN) == []
    await bot.advance(timedelta(minutes=2))
    [asked] = prompts(bot, "ben", CHECKIN)
    assert asked.at == START - timedelta(hours=48)
    assert "Session 1 “Story circle” (Bridges)" in asked.text
    assert "If you don't answer, you will not be recorded." in asked.text
    assert list(asked.choices) == [
        "Yes, that's fine",
        "No",
        "Not for this session",
    ]
    assert len(prompts(bot, "cai", CHECKIN)) == 1
    assert len(prompts(bot, "coord", CHECKIN)) == 1  # staff are recorded too
    assert prompts(bot, "ana", CHECKIN) == []


async def test_not_recorded_sessions_have_no_checkins(bot: BotHarness) -> None:
    await cohort(bot, "ben")
    await bot.send("coord", '/addsession "Plain" 2026-12-05 15:00')
    await bot.advance(timedelta(days=5))
    assert prompts(bot, "ben", CHECKIN) == []


async def test_checkin_moves_out_of_quiet_hours_before_never_after(bot: BotHarness) -> None:
    await cohort(bot, "ben")
    await bot.send("ben", "/timezone Asia/Tokyo")  # 48 h before 14:00Z is 23:00 in Tokyo
    await bot.send("ben", "/quiet 22:00-08:00")
    await recorded_session(bot)
    await bot.advance(timedelta(days=5))
    [asked] = prompts(bot, "ben", CHECKIN)
    # the last minute before Ben's quiet hours began: 21:59 Tokyo = 12:59Z
    assert asked.at == START - timedelta(hours=48) - timedelta(hours=1, minutes=1)


async def test_answer_yes_counts_for_the_cohort(bot: BotHarness) -> None:
    await cohort(bot, "ben")
    await recorded_session(bot, extra="every week until 2026-12-20")
    await bot.advance(START - timedelta(hours=47) - bot.clock.now())
    reply = await bot.ask("ben", "Yes, that's fine")
    assert "Recording in Bridges: yes" in reply
    assert await ledger(bot, "ben") == [("recording", "yes", "checkin", None)]
    await bot.advance(timedelta(days=14))
    assert len(prompts(bot, "ben", CHECKIN)) == 1  # the later weeks need no check-in


async def test_no_check_in_or_reminder_ever_follows_a_no(bot: BotHarness) -> None:
    await cohort(bot, "ben", "cai")
    await bot.send("coord", "/consentexpiry 1m")
    await bot.send("cai", "/consent recording no")
    await recorded_session(bot, extra="every week until 2027-02-28")
    await bot.advance(START - timedelta(hours=47) - bot.clock.now())
    assert len(prompts(bot, "ben", CHECKIN)) == 1
    # "No" fits both the check-in and the session's RSVP question: which one?
    reply = await bot.ask("ben", "No")
    assert "I can't tell which one “No” answers" in reply
    [checkin] = [c for c in bot.last("ben").choices if "Yes, that's fine" in c]
    reply = await bot.ask("ben", checkin)
    assert "You won't be asked about it again" in reply
    before = len(bot.to("ben")), len(bot.to("cai"))
    await bot.advance(timedelta(days=45))  # six recorded weeks and the expiry period
    for name in ("ben", "cai"):
        assert prompts(bot, name, RENEWAL) == []
    assert len(prompts(bot, "ben", CHECKIN)) == 1
    assert prompts(bot, "cai", CHECKIN) == []
    # they still hear about sessions (scheduling), but nothing more about recording consent
    later = bot.to("ben")[before[0] :] + bot.to("cai")[before[1] :]
    assert later  # scheduling reminders did arrive
    assert all("recording" not in m.text.lower() and "recorded?" not in m.text for m in later)


async def test_not_for_this_session_is_asked_once_and_holds_for_that_session(
    bot: BotHarness,
) -> None:
    await cohort(bot, "ben")
    await recorded_session(bot, extra="every week until 2026-12-13")
    await bot.advance(START - timedelta(hours=47) - bot.clock.now())
    reply = await bot.ask("ben", "Not for this session")
    assert "not for you in session 1" in reply
    [(scope, answer, via, key)] = await ledger(bot, "ben")
    assert (scope, answer, via) == ("recording", "no", "checkin")
    assert key is not None and key.startswith("s1-20261205T140000Z")
    assert "Recording: not for session 1" in await bot.ask("ben", "/consent")
    # the state for the cohort is still open: the next week asks again, once
    await bot.advance(timedelta(days=3))
    assert len(prompts(bot, "ben", CHECKIN)) == 1
    await bot.advance(timedelta(days=7))
    assert len(prompts(bot, "ben", CHECKIN)) == 2
    assert "December 12" in prompts(bot, "ben", CHECKIN)[-1].text


async def test_cancelled_occurrence_gets_no_checkin(bot: BotHarness) -> None:
    await cohort(bot, "ben")
    await recorded_session(bot)
    await bot.send("coord", "/cancelsession 1")
    await bot.advance(timedelta(days=5))
    assert prompts(bot, "ben", CHECKIN) == []


async def test_moved_occurrence_is_checked_in_for_its_new_time(bot: BotHarness) -> None:
    await cohort(bot, "ben")
    await recorded_session(bot)
    await bot.send("coord", "/movesession 1 2026-12-07 15:00")
    await bot.advance(timedelta(days=7))
    [asked] = prompts(bot, "ben", CHECKIN)
    assert asked.at == START + timedelta(days=2) - timedelta(hours=48)
    assert "December 7" in asked.text


async def test_session_added_late_checks_in_at_once(bot: BotHarness) -> None:
    await cohort(bot, "ben")
    await recorded_session(bot, when="2026-12-02 12:00")  # 26 hours from now
    asked = prompts(bot, "ben", CHECKIN)
    assert len(asked) == 1
    assert asked[0].at == bot.clock.now()
