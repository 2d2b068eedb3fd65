"""`closecohort`: asks first; then the cohort is closed, members become alumni (coordinators and
facilitators keep their role), everyone is told, and other capabilities' subscribers run."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select

from bot.context import Context
from bot.errors import UserError
from handlers import cohorts
from handlers.cohorts import CohortClosed
from handlers.permissions import PERMISSIONS
from storage.models import Cohort
from tests.cohorts.helpers import cohort_named, dump, role_of, set_language
from tests.harness import BotHarness


async def program(bot: BotHarness) -> str:
    code = await bot.new_cohort("coord", "Spring Exchange")
    for name in ("fac", "men", "ana", "jamal", "old"):
        await bot.send(name, f"/join {code}")
    await bot.send("coord", "/role fac facilitator")
    await bot.send("coord", "/role men mentor")
    await bot.send("coord", "/role old alumni")
    await set_language(bot, "jamal", "ar")
    await set_language(bot, "ana", "pt_BR")
    return code


async def test_closing_asks_first_and_no_changes_nothing(bot: BotHarness) -> None:
    await program(bot)
    before = await dump(bot)
    sent = await bot.send("coord", "/closecohort")
    assert [m.to for m in sent] == ["coord"]
    assert "Close Spring Exchange? The program ends: 3 members become alumni" in sent[0].text
    assert sent[0].choices == ("Yes, close it", "No, keep it open")
    assert "stays open. Nothing was changed" in await bot.ask("coord", "2")
    after = await dump(bot)
    assert after == before
    assert (await cohort_named(bot, "Spring Exchange")).status == "active"


async def test_closing_turns_members_into_alumni_and_tells_everyone(bot: BotHarness) -> None:
    await program(bot)
    await bot.send("coord", "/bindchat", chat="team")
    await bot.send("coord", "/closecohort")
    sent = await bot.send("coord", "yes, close it")
    cohort = await cohort_named(bot, "Spring Exchange")
    assert cohort.status == "closed" and cohort.closed_at == bot.clock.now()
    roles = {
        n: await role_of(bot, n, "Spring Exchange")
        for n in ("coord", "fac", "men", "ana", "jamal", "old")
    }
    assert roles == {
        "coord": "coordinator",
        "fac": "facilitator",
        "men": "alumni",
        "ana": "alumni",
        "jamal": "alumni",
        "old": "alumni",
    }
    by_person = {m.to: m.text for m in sent if m.to is not None}
    assert (
        by_person["coord"]
        == "Closed Spring Exchange. 3 members are now alumni, and everyone was told."
    )
    assert "You keep your role (facilitator)" in by_person["fac"]
    assert "You are now one of its alumni" in by_person["men"]
    assert "Agora você faz parte da rede de ex-participantes" in by_person["ana"]
    assert "انتهت" in by_person["jamal"]
    assert set(by_person) == {"coord", "fac", "men", "ana", "jamal", "old"}
    group = [m.text for m in sent if m.to is None]
    assert group == [
        "Spring Exchange has ended. Thank you, everyone! Members now belong to its alumni network."
    ]
    # `me` shows it; closing again is refused
    assert "Spring Exchange — alumni" in await bot.ask("men", "/me")
    assert "already closed" in await bot.ask("coord", "/closecohort")


async def test_only_coordinators_close(bot: BotHarness) -> None:
    await program(bot)
    before = await dump(bot)
    assert "can't use /closecohort as facilitator" in await bot.ask("fac", "/closecohort")
    assert await dump(bot) == before


async def test_a_coordinator_demoted_meanwhile_cannot_confirm(bot: BotHarness) -> None:
    await program(bot)
    await bot.send("coord", "/role fac coordinator")
    await bot.send("fac", "/closecohort")
    await bot.send("coord", "/role fac facilitator")
    before = await dump(bot)
    # the pending question is still there: answering it must not close the cohort
    assert "expired" in await bot.ask("fac", "1")
    after = await dump(bot)
    assert after["cohort"] == before["cohort"] and after["membership"] == before["membership"]


async def test_subscribers_run_in_the_same_unit_of_work(
    bot: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[str, str, str | None]] = []

    async def alumni_nudges(ctx: Context, event: CohortClosed) -> None:
        seen.append((event.cohort.name, event.cohort.status, ctx.role))
        await ctx.say("hook ran")

    subscribers = bot.app.services.events.subscribers
    monkeypatch.setitem(subscribers, CohortClosed, [(0, alumni_nudges)])
    await program(bot)
    await bot.send("coord", "/closecohort")
    sent = await bot.send("coord", "yes")
    assert seen == [("Spring Exchange", "closed", "coordinator")]
    assert "hook ran" in [m.text for m in sent if m.to == "coord"]


async def test_a_failing_subscriber_closes_nothing(
    bot: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(ctx: Context, event: CohortClosed) -> None:
        raise UserError("cohorts.already_closed", cohort=event.cohort.name)

    subscribers = bot.app.services.events.subscribers
    monkeypatch.setitem(subscribers, CohortClosed, [(0, broken)])
    await program(bot)
    await bot.send("coord", "/closecohort")
    await bot.send("coord", "yes")
    assert (await cohort_named(bot, "Spring Exchange")).status == "active"
    assert await role_of(bot, "ana", "Spring Exchange") == "participant"


async def test_require_open(bot: BotHarness) -> None:
    await program(bot)
    async with bot.db.transaction() as session:
        cohort = (await session.execute(select(Cohort))).scalar_one()
        ctx = Context(session=session, services=bot.app.services, person=None, key_prefix="t")
        ctx.cohort = cohort
        assert cohorts.require_open(ctx) is cohort
        cohort.status = "closed"
        with pytest.raises(UserError) as refused:
            cohorts.require_open(ctx)
    error = refused.value
    assert error.message_id == "cohorts.closed_refused"
    text = bot.app.services.catalogs.translator("fr").t(error.message_id, **error.params)
    assert text.startswith("Spring Exchange est clôturée")


async def test_the_table_can_refuse_commands_in_closed_cohorts(bot: BotHarness) -> None:
    pipeline = bot.app.runtime.pipeline
    pipeline.permissions = {
        **PERMISSIONS,
        "roster": replace(PERMISSIONS["roster"], include_closed=False),
    }
    await program(bot)
    assert "Spring Exchange: 6 members" in await bot.ask("coord", "/roster")
    await bot.send("coord", "/closecohort")
    await bot.send("coord", "yes")
    before = await dump(bot)
    reply = await bot.ask("coord", "/roster")
    assert reply == (
        "Spring Exchange has closed (it is in its alumni phase), so this is no longer possible there."
    )
    assert await dump(bot) == before
