"""Telegram @usernames: stored with the identity as Telegram reports them (changed or removed),
shown in the roster, and what a coordinator may name a member by in /role."""

from __future__ import annotations

import re

from sqlalchemy import select

from storage.models import Cohort, Membership
from tests.fakes.telegram_api import FakeTelegram
from tests.telegram.harness import TelegramBot

ANA = 1001  # the coordinator
BEA_K = 1002
BEA_M = 1003  # another Beatriz


async def role(bot: TelegramBot, user_id: int) -> str:
    identity = await bot.identity(user_id)
    assert identity is not None
    async with bot.app.db.transaction() as session:
        found = await session.execute(
            select(Membership.role)
            .join(Cohort, Cohort.id == Membership.cohort_id)
            .where(Membership.person_id == identity.person_id, Cohort.name == "Spring Exchange")
        )
        return str(found.scalar_one())


async def say(bot: TelegramBot, user_id: int, text: str, answer: str) -> str:
    before = len(bot.fake.messages_to(user_id))
    bot.fake.send_private(user_id, text)
    reply = await bot.message(user_id, answer, skip=before)
    return reply.text or ""


async def test_a_coordinator_names_a_member_by_their_username(
    polling: TelegramBot, fake: FakeTelegram
) -> None:
    bot = polling
    fake.add_user(ANA, "Ana", language_code="en", username="ana_coord")
    created = await say(bot, ANA, '/newcohort "Spring Exchange" Europe/Berlin', r"invite code")
    match = re.search(r"code[: ]+([A-Z0-9]{6,})", created, re.IGNORECASE)
    assert match is not None, created
    code = match.group(1)
    fake.add_user(BEA_K, "Beatriz", language_code="en", username="bea_k")
    fake.add_user(BEA_M, "Beatriz", language_code="en", username="Bea_M")
    await say(bot, BEA_K, f"/join {code}", r"Welcome to Spring Exchange")
    await say(bot, BEA_M, f"/join {code}", r"Welcome to Spring Exchange")
    identity = await bot.identity(BEA_M)
    assert identity is not None and identity.username == "Bea_M"

    # Two members of the same name: the name is ambiguous, the username is not.
    assert "Several members" in await say(bot, ANA, "/role Beatriz mentor", r"Beatriz")
    reply = await say(bot, ANA, "/role @BEA_K facilitator", r"now has the role")
    assert "Beatriz now has the role facilitator in Spring Exchange" in reply
    assert (await role(bot, BEA_K), await role(bot, BEA_M)) == ("facilitator", "participant")
    await say(bot, ANA, "/role bea_m mentor", r"now has the role")  # without the @ too
    assert await role(bot, BEA_M) == "mentor"
    roster = await say(bot, ANA, "/roster", r"members")
    assert "Beatriz (@bea_k) — facilitator" in roster
    assert "Beatriz (@Bea_M) — mentor" in roster
    assert "Ana (@ana_coord) — coordinator" in roster

    # She removes her username in Telegram: the bot forgets it with her next message.
    fake.add_user(BEA_K, "Beatriz", language_code="en")
    await say(bot, BEA_K, "/me", r"Spring Exchange")
    identity = await bot.identity(BEA_K)
    assert identity is not None and identity.username is None
    assert "No member" in await say(bot, ANA, "/role @bea_k mentor", r"bea_k")
    # The other one changes hers: the new one works, the old one no longer does.
    fake.add_user(BEA_M, "Beatriz", language_code="en", username="beatriz_m")
    await say(bot, BEA_M, "/me", r"Spring Exchange")
    assert "No member" in await say(bot, ANA, "/role @Bea_M participant", r"Bea_M")
    await say(bot, ANA, "/role @beatriz_m participant", r"now has the role")
    assert await role(bot, BEA_M) == "participant"
