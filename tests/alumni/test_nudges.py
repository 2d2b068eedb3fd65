"""Nudges about open commitments: a week before the due date and on the day, at 10:00 local;
choices (done, still working, need help, drop); never after done or drop; at most one a week per
person (several commitments in one message); never in quiet hours; only with a yes to alumni
contact; about 30, 90 and 365 days after the cohort closed."""

from __future__ import annotations

from datetime import timedelta
from itertools import pairwise

from sqlalchemy import select

from storage.models import Commitment
from tests.alumni.helpers import (
    at,
    close,
    cohort,
    commitments,
    contacts,
    nudges,
    pending_jobs,
    until,
)
from tests.harness import BotHarness

CHOICES = ("Done!", "Still working on it", "I need help", "Drop it")


async def test_a_week_before_and_on_the_day(bot: BotHarness) -> None:
    await cohort(bot, "ana")  # no zone of her own: the cohort's, Europe/Berlin
    await bot.send("ana", '/commit "Start a community radio" by 2027-01-20')
    await until(bot, "2027-01-13T08:59")
    assert nudges(bot, "ana") == []
    await until(bot, "2027-01-13T09:00")  # 10:00 in Berlin
    [first] = nudges(bot, "ana")
    assert first.at == at("2027-01-13T09:00")
    assert "#1 “Start a community radio” — due January 20, 2027" in first.text
    assert "How is it going?" in first.text
    assert "(To stop these reminders: /consent alumni no)" in first.text
    assert first.choices == CHOICES
    assert "keep going with #1" in await bot.ask("ana", "2")
    await until(bot, "2027-01-20T09:00")
    second = nudges(bot, "ana")[-1]
    assert second.at == at("2027-01-20T09:00")
    assert "#1 “Start a community radio” — due today" in second.text
    # still open, but the cohort never closed: nothing more, ever
    await bot.advance(timedelta(days=400))
    assert len(nudges(bot, "ana")) == 2
    assert [kind for kind, _at, _c in await contacts(bot, "ana")] == ["nudge", "nudge"]


async def test_no_nudge_after_done_or_drop(bot: BotHarness) -> None:
    await cohort(bot, "ana")
    await bot.send("ana", '/commit "Start a community radio" by 2027-01-20')
    await bot.send("ana", '/commit "Write a zine" by 2027-02-20')
    assert len(await pending_jobs(bot, "alumni.nudge")) == 4
    await bot.send("ana", "/done 1")
    await bot.send("ana", "/drop 2")
    assert await pending_jobs(bot, "alumni.nudge") == []
    await until(bot, "2027-03-01T12:00")
    assert nudges(bot, "ana") == []


async def test_done_by_answering_the_nudge(bot: BotHarness) -> None:
    await cohort(bot, "ana")
    await bot.send("ana", '/commit "Start a community radio" by 2027-01-20')
    await until(bot, "2027-01-13T09:00")
    assert "Well done! Commitment #1" in await bot.ask("ana", "Done!")
    assert (await commitments(bot, "ana"))[0][2] == "done"
    await until(bot, "2027-02-01T09:00")
    assert len(nudges(bot, "ana")) == 1
    # answering the old question again changes nothing
    assert "#1 is already done" not in await bot.ask("ana", "1")


async def test_drop_by_answering_the_nudge(bot: BotHarness) -> None:
    await cohort(bot, "ana")
    await bot.send("ana", '/commit "Start a community radio" by 2027-01-20')
    await until(bot, "2027-01-13T09:00")
    assert "#1 (“Start a community radio”) is dropped" in await bot.ask("ana", "4")
    await until(bot, "2027-02-01T09:00")
    assert len(nudges(bot, "ana")) == 1


async def test_only_people_who_said_yes_to_alumni_contact(bot: BotHarness) -> None:
    await cohort(bot, "ana", "bo", "chen", consent=("ana", "chen"))
    for name in ("ana", "bo", "chen"):
        await bot.send(name, '/commit "Start a community radio" by 2027-01-20')
    await bot.send("chen", "/consent alumni no")
    await until(bot, "2027-01-13T09:00")
    assert len(nudges(bot, "ana")) == 1
    assert nudges(bot, "bo") == []
    assert nudges(bot, "chen") == []
    # a later yes brings the remaining nudges back
    await bot.send("bo", "/consent alumni yes")
    await until(bot, "2027-01-20T09:00")
    assert len(nudges(bot, "bo")) == 1
    assert "due today" in nudges(bot, "bo")[0].text
    assert nudges(bot, "chen") == []


async def test_at_most_one_a_week_several_in_one_message(bot: BotHarness) -> None:
    await cohort(bot, "ana")
    await bot.send("ana", '/commit "Start a community radio" by 2027-01-20')
    await bot.send("ana", '/commit "Write a zine" by 2027-01-24')
    await until(bot, "2027-02-10T09:00")
    sent = nudges(bot, "ana")
    # due-soon Jan 13 (#1); #2's week-before (Jan 17) waits for Jan 20 and joins #1's due day;
    # #2's due day (Jan 24) waits for Jan 27
    assert [m.at for m in sent] == [
        at("2027-01-13T09:00"),
        at("2027-01-20T09:00"),
        at("2027-01-27T09:00"),
    ]
    assert "#2" not in sent[0].text
    assert "A friendly check-in on your commitments:" in sent[1].text
    assert "#1 “Start a community radio” — due today" in sent[1].text
    assert "#2 “Write a zine” — due January 24, 2027" in sent[1].text
    assert sent[1].choices == (
        "#1 Start a community radio",
        "#2 Write a zine",
        "All still in progress",
    )
    assert "#2 “Write a zine” — was due January 24, 2027" in sent[2].text
    gaps = [b.at - a.at for a, b in pairwise(sent)]
    assert all(gap >= timedelta(days=7) for gap in gaps)
    assert [c for _kind, _at, c in await contacts(bot, "ana")] == [[1], [1, 2], [2]]


async def test_answering_a_coalesced_nudge_one_by_one(bot: BotHarness) -> None:
    await cohort(bot, "ana")
    await bot.send("ana", '/commit "Start a community radio" by 2027-01-20')
    await bot.send("ana", '/commit "Write a zine" by 2027-01-21')  # within three days: rides along
    await until(bot, "2027-01-13T09:00")
    [nudge] = nudges(bot, "ana")
    assert "#1" in nudge.text and "#2" in nudge.text
    assert "Which one would you like to update? Answer with its number." in nudge.text
    # typing a commitment's number picks that commitment
    reply = await bot.ask("ana", "2")
    assert "How is it going with #2 “Write a zine” — due January 21, 2027?" in reply
    assert bot.last("ana").choices == ("Done!", "Still working on it", "I need help", "Drop it")
    await bot.send("ana", "Done!")
    assert "Any other one to update?" in bot.last_text("ana")
    assert bot.last("ana").choices == (
        "#1 Start a community radio",
        "The rest are still in progress",
    )
    assert "Great, keep going" in await bot.ask("ana", "The rest are still in progress")
    assert [c[2] for c in await commitments(bot, "ana")] == ["open", "done"]
    # #2's own jobs were folded into this nudge or cancelled by done: only #1's due day remains
    await until(bot, "2027-02-01T09:00")
    assert [m.at for m in nudges(bot, "ana")] == [at("2027-01-13T09:00"), at("2027-01-20T09:00")]
    assert "#2" not in nudges(bot, "ana")[-1].text


async def test_never_in_quiet_hours(bot: BotHarness) -> None:
    await cohort(bot, "ana", "bo")
    for name in ("ana", "bo"):
        await bot.send(name, "/timezone Europe/Berlin")
    await bot.send("ana", "/quiet 09:00-12:30")  # before she commits: planned at 12:30
    await bot.send("ana", '/commit "Start a community radio" by 2027-01-20')
    await bot.send("bo", '/commit "Start a community radio" by 2027-01-20')
    await bot.send("bo", "/quiet 09:30-13:00")  # after: the nudge waits when it falls due
    await until(bot, "2027-01-13T13:00")
    assert [m.at for m in nudges(bot, "ana")] == [at("2027-01-13T11:30")]
    assert [m.at for m in nudges(bot, "bo")] == [at("2027-01-13T12:00")]


async def test_after_the_cohort_closes(bot: BotHarness) -> None:
    await cohort(bot, "ana")
    await bot.send("ana", '/commit "Start a community radio" by 2028-06-01')
    await close(bot)  # 2026-12-01 09:00 UTC
    await until(bot, "2027-12-20T09:00")
    sent = nudges(bot, "ana")
    # 30 and 90 days after; on the anniversary the yearly check-in goes first and the 365-day
    # nudge waits a week
    assert [m.at for m in sent] == [
        at("2026-12-31T09:00"),
        at("2027-03-01T09:00"),
        at("2027-12-08T09:00"),
    ]
    assert all("due June 1, 2028" in m.text for m in sent)
    checkins = [m for m in bot.to("ana") if "since Bridges ended" in m.text]
    assert [m.at for m in checkins] == [at("2027-12-01T09:00")]
    assert [kind for kind, _at, _c in await contacts(bot, "ana")] == [
        "nudge",
        "nudge",
        "checkin",
        "nudge",
    ]


async def test_commitments_made_after_closing_get_the_remaining_follow_ups(
    bot: BotHarness,
) -> None:
    await cohort(bot, "ana")
    await close(bot)
    await bot.advance(timedelta(days=40))
    await bot.send("ana", '/commit "Start a community radio" by 2029-01-01')
    await until(bot, "2027-12-31T09:00")
    # 30 days after closing had passed when she committed; 90 and 365 had not
    assert [m.at for m in nudges(bot, "ana")] == [at("2027-03-01T09:00"), at("2027-12-08T09:00")]


async def test_need_help_tells_a_facilitator_in_their_language(bot: BotHarness) -> None:
    await cohort(bot, "ana", facilitator="fay")
    await bot.send("fay", "/language es")
    await bot.send("ana", '/commit "Start a community radio" by 2027-01-20')
    await until(bot, "2027-01-13T09:00")
    reply = await bot.ask("ana", "I need help")
    assert "I've let fay, a facilitator of Bridges, know" in reply
    told = bot.last_text("fay")
    assert "ana (Bridges) pidió ayuda con un compromiso: «Start a community radio»" in told
    assert "20 de enero de 2027" in told
    assert (await commitments(bot, "ana"))[0][2] == "open"


async def test_need_help_with_nobody_to_tell(bot: BotHarness) -> None:
    await cohort(bot, "ana")
    await bot.send("coord", "/role ana coordinator")
    await bot.send("ana", "/role coord participant")
    await bot.send("ana", '/commit "Start a community radio" by 2027-01-20')
    await until(bot, "2027-01-13T09:00")
    reply = await bot.ask("ana", "3")
    assert "I've let coord" not in reply
    assert "couldn't find a mentor or facilitator" in reply


async def test_leaving_the_cohort_ends_its_nudges(bot: BotHarness) -> None:
    await cohort(bot, "ana")
    await bot.send("ana", '/commit "Start a community radio" by 2027-01-20')
    await bot.send("ana", "/leave")
    await until(bot, "2027-01-21T09:00")
    assert nudges(bot, "ana") == []


async def test_a_nudge_due_with_a_waiting_one_joins_it_once(bot: BotHarness) -> None:
    """Jan 20, 10:00 Berlin: #1's due day, the sender that has waited since #2's week-before
    (Jan 17), and #3's week-before (planned after that sender) all fall due together: one
    message with all three, and #3's own job, folded in, leaves nothing waiting."""
    await cohort(bot, "ana")
    await bot.send("ana", '/commit "Start a community radio" by 2027-01-20')
    await bot.send("ana", '/commit "Write a zine" by 2027-01-24')
    await until(bot, "2027-01-17T12:00")
    await bot.send("ana", '/commit "Thank the hosts" by 2027-01-27')
    await until(bot, "2027-01-20T12:00")
    sent = nudges(bot, "ana")
    assert [m.at for m in sent] == [at("2027-01-13T09:00"), at("2027-01-20T09:00")]
    assert all(f"#{n} " in sent[-1].text for n in (1, 2, 3))
    async with bot.db.transaction() as session:
        waiting = await session.execute(
            select(Commitment.number).where(Commitment.nudge_pending_since.is_not(None))
        )
        assert list(waiting.scalars()) == []
    await until(bot, "2027-02-10T12:00")
    later = nudges(bot, "ana")[2:]
    assert [m.at for m in later] == [at("2027-01-27T09:00")]
    assert "#2 “Write a zine” — was due January 24, 2027" in later[0].text
    assert "#3 “Thank the hosts” — due today" in later[0].text
