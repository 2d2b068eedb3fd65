"""Closing a cohort: its alumni get a welcome that thanks them, says what follows and how to
opt out (or in); an annual check-in on the anniversary asks how they are and whether to stay in
touch ("stop" ends every nudge and check-in until they say yes again)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.context import Context
from handlers.alumni.checkins import cohort_closed
from handlers.cohorts import CohortClosed
from storage.models import Cohort
from tests.alumni.helpers import at, close, cohort, contacts, nudges, pending_jobs, until
from tests.consent.helpers import ledger
from tests.harness import BotHarness

WELCOME = "Thank you for being part of Bridges"
CHECKIN = "since Bridges ended"


def welcomes(bot: BotHarness, name: str) -> list[str]:
    return [m.text for m in bot.to(name) if WELCOME in m.text]


def checkins(bot: BotHarness, name: str) -> list[str]:
    return [m.text for m in bot.to(name) if CHECKIN in m.text]


async def test_alumni_are_welcomed_after_the_closing_notice(bot: BotHarness) -> None:
    await cohort(bot, "ana", "bo", consent=("ana",), facilitator="fay")
    await bot.send("ana", '/commit "Start a community radio" by 2027-06-01')
    sent = await close(bot)
    assert not any(WELCOME in m.text for m in sent)  # the closing notice stands alone
    later = await bot.advance(timedelta(minutes=10))
    assert {m.to for m in later if WELCOME in m.text} == {"ana", "bo"}  # not staff
    [for_ana] = welcomes(bot, "ana")
    assert "You have 1 open commitment" in for_ana
    assert "about 1, 3 and 12 months from now" in for_ana
    assert "Once a year, around this date, I'll ask how you are" in for_ana
    assert "/alumni" in for_ana and "/directory on" in for_ana and "/findmentor" in for_ana
    assert "/consent alumni no stops every reminder and check-in" in for_ana
    [for_bo] = welcomes(bot, "bo")
    assert "Record it with /commit" in for_bo
    assert "You haven't agreed to alumni contact" in for_bo
    assert "/consent alumni yes" in for_bo


async def test_the_welcome_waits_for_the_end_of_quiet_hours(bot: BotHarness) -> None:
    await cohort(bot, "ana")
    await bot.send("ana", "/timezone Asia/Tokyo")  # 18:00 in Tokyo at 09:00 UTC
    await bot.send("ana", "/quiet 18:00-07:00")
    await close(bot)
    await bot.advance(timedelta(days=1))
    [welcome] = [m for m in bot.to("ana") if WELCOME in m.text]
    assert welcome.at == at("2026-12-01T22:00")  # 07:00 in Tokyo


@pytest.mark.timeout(300)  # two years of virtual time
async def test_annual_check_in_on_the_anniversary(bot: BotHarness) -> None:
    await cohort(bot, "ana", "bo", consent=("ana",))
    await close(bot)
    await until(bot, "2027-12-01T08:59")
    assert checkins(bot, "ana") == []
    await until(bot, "2027-12-01T09:00")  # 10:00 in Berlin, a year on
    [first] = checkins(bot, "ana")
    assert "It's been a year since Bridges ended. How are you doing?" in first
    assert bot.last("ana").choices == (
        "All good, stay in touch",
        "I could use some support",
        "Stop contacting me",
    )
    assert checkins(bot, "bo") == []  # no yes to alumni contact
    assert "Glad to hear it!" in await bot.ask("ana", "1")
    await until(bot, "2028-12-01T09:00")
    assert "It's been 2 years since Bridges ended" in checkins(bot, "ana")[-1]
    assert [kind for kind, _at, _c in await contacts(bot, "ana")] == ["checkin", "checkin"]


@pytest.mark.timeout(300)  # two years of virtual time, a retention run every day
async def test_stop_ends_nudges_and_check_ins_until_a_new_yes(bot: BotHarness) -> None:
    await cohort(bot, "ana")
    await bot.send("ana", '/commit "Start a community radio" by 2028-03-01')
    await close(bot)
    await until(bot, "2027-12-01T09:00")
    assert len(nudges(bot, "ana")) == 2  # 30 and 90 days after closing
    reply = await bot.ask("ana", "Stop contacting me")
    assert "no more reminders or check-ins about Bridges" in reply
    assert "/consent alumni yes" in reply
    assert (await ledger(bot, "ana"))[-1] == ("alumni", "no", "checkin", None)
    await until(bot, "2028-03-02T09:00")
    # neither the 365-day nudge nor the week before nor the due date
    assert len(nudges(bot, "ana")) == 2
    await bot.send("ana", "/consent alumni yes")
    await until(bot, "2028-12-01T09:00")
    assert len(checkins(bot, "ana")) == 2
    assert "It's been 2 years" in checkins(bot, "ana")[-1]


async def test_support_reaches_a_facilitator(bot: BotHarness) -> None:
    await cohort(bot, "ana", facilitator="fay")
    await close(bot)
    await until(bot, "2027-12-01T09:00")
    reply = await bot.ask("ana", "I could use some support")
    assert "I've let fay, a facilitator of Bridges, know" in reply
    told = bot.last_text("fay")
    assert "ana (Bridges) said in their yearly check-in that they could use some support" in told


async def test_leaving_ends_the_check_ins(bot: BotHarness) -> None:
    await cohort(bot, "ana")
    await close(bot)
    await bot.send("ana", "/leave")
    await until(bot, "2027-12-02T09:00")
    assert checkins(bot, "ana") == []


async def test_the_close_hook_can_run_again_without_doubling_anything(bot: BotHarness) -> None:
    """Every follow-up is a job with an idempotency key: running the hook a second time (a
    retried unit of work) plans nothing new."""
    await cohort(bot, "ana", "bo")
    await bot.send("ana", '/commit "Start a community radio" by 2028-06-01')
    await close(bot)
    planned = await pending_jobs(bot)
    kinds = sorted({key.split(":")[0] for key, _due in planned})
    assert kinds == ["alumni.checkin", "alumni.nudge", "alumni.welcome"]
    async with bot.db.transaction() as session:
        closed = (await session.execute(select(Cohort))).scalar_one()
        ctx = Context(session=session, services=bot.app.services, person=None, key_prefix="t")
        await cohort_closed(ctx, CohortClosed(closed))
    assert await pending_jobs(bot) == planned
    await bot.advance(timedelta(minutes=10))
    assert len(welcomes(bot, "ana")) == 1
