"""Announcements through the whole bot on the console (both backends): confirmation with the
recipient count, per-language variants, group chats, scheduling, cancelling, quiet hours,
targeting, progress and the delivery report."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from storage.models import Job
from tests.broadcast.helpers import announcements, broadcast_rows, cohort_with
from tests.harness import BotHarness


def got(bot: BotHarness, name: str, text: str) -> list[str]:
    return [m.text for m in bot.to(name) if m.text.startswith("📣") and text in m.text]


async def test_confirm_shows_count_then_each_member_gets_their_language_and_a_report(
    bot: BotHarness,
) -> None:
    await cohort_with(bot, "ana", "bo", "chen")
    await bot.send("bo", "/language es")
    await bot.send("coord", "/bindchat", chat="team")
    reply = await bot.ask("coord", '/announce "Bring your laptop tomorrow"')
    assert "#1" in reply
    assert "5 recipients: 4 members privately and 1 group chat" in reply
    assert "Bring your laptop tomorrow" in reply
    assert bot.last("coord").choices == ("Send, respecting quiet hours", "Send", "Cancel")
    assert got(bot, "ana", "laptop") == []  # nothing goes out before the confirmation

    reply = await bot.ask("coord", '/translate 1 es "Traed el portátil mañana"')
    assert "Added the Spanish version of announcement #1" in reply
    assert "Translations: Spanish" in reply  # asked again, with the translation listed
    await bot.send("coord", "1")

    assert got(bot, "ana", "Bring your laptop tomorrow") != []
    assert got(bot, "chen", "Bring your laptop tomorrow") != []
    assert [m.text for m in bot.to("bo") if "portátil" in m.text] != []
    assert got(bot, "bo", "Bring your laptop") == []
    assert [m.text for m in bot.in_chat("team") if "Bring your laptop tomorrow" in m.text] != []
    assert "Sending announcement #1" in "\n".join(m.text for m in bot.to("coord"))

    listing = await bot.ask("coord", "/announcements")
    assert "#1" in listing and "sending" in listing and "Sent 5" in listing

    await bot.advance(timedelta(seconds=4))
    assert "is done" not in bot.last_text("coord")
    await bot.advance(timedelta(seconds=2))  # the report follows the last message within seconds
    report = bot.last_text("coord")
    assert "Announcement #1 is done" in report
    assert "Sent: 5." in report and "Waiting: 0." in report and "Failed: 0." in report
    assert "Blocked or unreachable: 0." in report
    listing = await bot.ask("coord", "/announcements")
    assert "done. Sent 5, failed 0, blocked 0" in listing
    # Each recipient exactly once, keyed per person / chat, after interactive replies.
    rows = await broadcast_rows(bot.db)
    assert len(rows) == 5 and {r.status for r in rows} == {"sent"}
    assert all(r.priority == 10 for r in rows)
    assert sum(r.idempotency_key.startswith("b:1:chat:console:team") for r in rows) == 1


async def test_cancel_choice_sends_nothing_and_forgets_the_draft(bot: BotHarness) -> None:
    await cohort_with(bot, "ana")
    await bot.send("coord", '/announce "Never mind"')
    reply = await bot.ask("coord", "Cancel")
    assert "Announcement #1 was cancelled. Nothing was sent." in reply
    await bot.advance(timedelta(minutes=5))
    assert got(bot, "ana", "Never mind") == []
    assert await announcements(bot.db) == []


async def test_scheduled_announcement_goes_out_at_its_time_in_the_given_zone(
    bot: BotHarness,
) -> None:
    await cohort_with(bot, "ana")
    reply = await bot.ask("coord", '/announce "Room 4 today" at 2026-12-02 10:00 Asia/Tokyo')
    assert "It will go out on" in reply and "10:00" in reply and "GMT+9" in reply
    reply = await bot.ask("coord", "Send")
    assert "Announcement #1 is scheduled for" in reply
    listing = await bot.ask("coord", "/announcements")
    assert "#1 “Room 4 today”: scheduled for" in listing
    await bot.advance(timedelta(hours=15, minutes=59))  # 2026-12-02 00:59Z = 09:59 in Tokyo
    assert got(bot, "ana", "Room 4 today") == []
    await bot.advance(timedelta(minutes=2))
    assert len(got(bot, "ana", "Room 4 today")) == 1
    await bot.advance(timedelta(minutes=2))
    assert "Announcement #1 is done" in bot.last_text("coord")


async def test_a_scheduled_announcement_can_be_cancelled(bot: BotHarness) -> None:
    await cohort_with(bot, "ana")
    await bot.send("coord", '/announce "Party at 8" at 2026-12-05 20:00')
    await bot.send("coord", "1")
    reply = await bot.ask("coord", "/cancelannouncement 1")
    assert "Announcement #1 was cancelled. Nothing was sent." in reply
    await bot.advance(timedelta(days=5))
    assert got(bot, "ana", "Party") == []
    listing = await bot.ask("coord", "/announcements")
    assert "cancelled before it went out" in listing
    async with bot.db.transaction() as session:
        kinds = (await session.execute(select(Job.kind, Job.status))).all()
    assert ("broadcast.fanout", "pending") not in kinds
    reply = await bot.ask("coord", "/cancelannouncement 1")
    assert "already cancelled" in reply


async def test_translations_can_be_added_to_a_scheduled_one_but_not_after_it_went_out(
    bot: BotHarness,
) -> None:
    await cohort_with(bot, "ana")
    await bot.send("ana", "/language fr")
    await bot.send("coord", '/announce "Dinner moved" at 2026-12-01 18:00')
    await bot.send("coord", "1")
    reply = await bot.ask("coord", '/translate 1 fr "Le dîner est déplacé"')
    assert "Added the French version" in reply
    await bot.advance(timedelta(hours=9))
    assert [m.text for m in bot.to("ana") if "Le dîner est déplacé" in m.text] != []
    reply = await bot.ask("coord", '/translate 1 es "La cena se mueve"')
    assert "has already gone out" in reply


async def test_respecting_quiet_hours_holds_each_member_until_their_morning(
    bot: BotHarness,
) -> None:
    await cohort_with(bot, "ana", "bo")
    await bot.send("ana", "/timezone Europe/Berlin")  # 10:00 there: not quiet
    await bot.send("bo", "/timezone America/Los_Angeles")  # 01:00 there: quiet until 08:00
    await bot.send("coord", '/announce "Feedback form is open"')
    reply = await bot.ask("coord", "1")
    assert "(respecting quiet hours)" in reply
    assert len(got(bot, "ana", "Feedback form")) == 1
    assert got(bot, "bo", "Feedback form") == []
    listing = await bot.ask("coord", "/announcements")
    assert "waiting 1" in listing
    await bot.advance(timedelta(hours=6, minutes=59))  # 15:59Z = 07:59 in Los Angeles
    assert got(bot, "bo", "Feedback form") == []
    assert "is done" not in bot.last_text("coord")
    await bot.advance(timedelta(minutes=2))
    assert len(got(bot, "bo", "Feedback form")) == 1
    await bot.advance(timedelta(minutes=2))
    assert "Announcement #1 is done" in bot.last_text("coord")
    assert "Sent: 3." in bot.last_text("coord")


async def test_by_default_quiet_hours_hold_an_announcement_and_the_preview_says_who(
    bot: BotHarness,
) -> None:
    await cohort_with(bot, "bo")
    await bot.send("bo", "/timezone America/Los_Angeles")  # 01:00 there
    reply = await bot.ask("coord", '/announce "Urgent: building closed"')
    assert "1 recipient is in quiet hours now: bo." in reply
    await bot.send("coord", "1")
    assert got(bot, "bo", "building closed") == []


async def test_send_reaches_people_in_quiet_hours_at_once(bot: BotHarness) -> None:
    await cohort_with(bot, "bo")
    await bot.send("bo", "/timezone America/Los_Angeles")
    await bot.send("coord", '/announce "Urgent: building closed"')
    await bot.send("coord", "Send")
    assert len(got(bot, "bo", "building closed")) == 1


async def test_targeting_by_role_reaches_only_them_and_no_group_chat(bot: BotHarness) -> None:
    await cohort_with(bot, "ana", "bo")
    await bot.send("coord", "/bindchat", chat="team")
    await bot.send("coord", "/role bo facilitator")
    reply = await bot.ask("coord", '/announce "Prep meeting at 9" to facilitators')
    assert "It goes to 1 member privately." in reply
    assert "Only for: facilitator." in reply
    await bot.send("coord", "1")
    assert len(got(bot, "bo", "Prep meeting")) == 1
    assert got(bot, "ana", "Prep meeting") == []
    assert got(bot, "coord", "Prep meeting") == []
    assert [m for m in bot.in_chat("team") if "Prep meeting" in m.text] == []


async def test_targeting_by_language_and_roles_combined(bot: BotHarness) -> None:
    await cohort_with(bot, "ana", "bo", "chen")
    await bot.send("bo", "/language es")
    await bot.send("chen", "/language es")
    await bot.send("coord", "/role chen mentor")
    reply = await bot.ask("coord", '/announce "Sesión en español" to lang:es')
    assert "2 members privately" in reply
    await bot.send("coord", "3")  # cancel
    reply = await bot.ask("coord", '/announce "Solo mentores" to mentors,participants lang:es')
    assert "2 members privately" in reply  # bo (participant) and chen (mentor), both Spanish
    reply = await bot.ask("coord", '/announce "Mentores" to mentor lang:es')
    assert "1 member privately" in reply
    await bot.send("coord", "Send")
    assert len(got(bot, "chen", "Mentores")) == 1
    assert got(bot, "bo", "Mentores") == [] and got(bot, "ana", "Mentores") == []


async def test_members_without_a_reachable_identity_are_reported_as_blocked(
    bot: BotHarness,
) -> None:
    from sqlalchemy import update

    from storage.models import Identity

    await cohort_with(bot, "ana", "bo")
    async with bot.db.transaction() as session:
        await session.execute(
            update(Identity).where(Identity.external_id == "bo").values(reachable=False)
        )
    await bot.send("coord", '/announce "Check-in at noon"')
    await bot.send("coord", "1")
    await bot.advance(timedelta(minutes=2))
    report = bot.last_text("coord")
    assert "Sent: 2." in report and "Blocked or unreachable: 1." in report


async def test_a_non_coordinator_is_refused(bot: BotHarness) -> None:
    await cohort_with(bot, "ana")
    for command in ('/announce "Free pizza"', "/announcements", "/cancelannouncement 1"):
        reply = await bot.ask("ana", command)
        assert "can't use" in reply, reply
    assert await announcements(bot.db) == []


async def test_targeting_by_rsvp_of_a_session(bot: BotHarness) -> None:
    await cohort_with(bot, "ana", "bo", "chen")
    await bot.send("coord", '/addsession "Workshop" 2026-12-03 15:00')
    await bot.send("ana", "/rsvp 1 yes")
    await bot.send("bo", "/rsvp 1 maybe")
    await bot.send("chen", "/rsvp 1 no")
    reply = await bot.ask("coord", '/announce "Bring slides" to rsvp:1:yes+maybe')
    assert "It goes to 2 members privately." in reply
    await bot.send("coord", "1")
    assert len(got(bot, "ana", "Bring slides")) == len(got(bot, "bo", "Bring slides")) == 1
    assert got(bot, "chen", "Bring slides") == [] and got(bot, "coord", "Bring slides") == []
    reply = await bot.ask("coord", '/announce "Please answer the RSVP" to rsvp:1:none')
    assert "It goes to 1 member privately." in reply  # only the coordinator has not answered
    await bot.send("coord", "1")
    assert len(got(bot, "coord", "Please answer the RSVP")) == 1
