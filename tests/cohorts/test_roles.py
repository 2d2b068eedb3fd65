"""`role USER ROLE`: by name, @username or roster number, in any language; a cohort always keeps
a coordinator; the member is told in their own language."""

from __future__ import annotations

import pytest

from tests.cohorts.helpers import dump, role_of, set_language
from tests.harness import BotHarness


async def cohort_with(bot: BotHarness, *people: str) -> str:
    code = await bot.new_cohort("coord", "Spring Exchange")
    for name in people:
        await bot.send(name, f"/join {code}")
    return code


async def test_role_by_name_tells_the_member(bot: BotHarness) -> None:
    await cohort_with(bot, "ana", "bo")
    reply = await bot.ask("coord", "/role ana facilitator")
    assert "ana now has the role facilitator in Spring Exchange" in reply
    assert await role_of(bot, "ana", "Spring Exchange") == "facilitator"
    assert "coord gave you the role facilitator in Spring Exchange" in bot.last_text("ana")
    # and facilitators may now see the roster
    assert "Spring Exchange: 3 members" in await bot.ask("ana", "/roster")


@pytest.mark.parametrize(
    ("who", "role", "stored"),
    [
        ("3", "mentor", "mentor"),  # roster number: coord 1, ana 2, bo 3
        ("@bo", "Mentor", "mentor"),
        ("BO", "alumni", "alumni"),
        ("bo", "mentora", "mentor"),  # Spanish alias
        ("bo", "facilitación", "facilitator"),  # Spanish role name
        ("bo", "facilitacion", "facilitator"),  # without the accent
        ("bo", "coordinatrice", "coordinator"),  # French
        ("bo", "ex-participante", "alumni"),  # Portuguese role name
        ("bo", "مرشد/ة", "mentor"),  # Arabic role name
        ("bo", "مشاركة", "participant"),  # Arabic alias
    ],
)
async def test_who_and_role_in_many_forms(
    bot: BotHarness, who: str, role: str, stored: str
) -> None:
    await cohort_with(bot, "ana", "bo")
    await bot.send("coord", f"/role {who} {role}")
    if stored == "participant":
        assert "already has the role participant" in bot.last_text("coord")
    assert await role_of(bot, "bo", "Spring Exchange") == stored


async def test_names_with_spaces_and_quotes(bot: BotHarness) -> None:
    code = await bot.new_cohort("coord", "Spring Exchange")
    await bot.send("ana", f"/join {code}")
    await bot.send("coord", '/role "ana" mentor')
    assert await role_of(bot, "ana", "Spring Exchange") == "mentor"


async def test_the_member_is_told_in_their_language(bot: BotHarness) -> None:
    await cohort_with(bot, "ana", "jamal")
    await set_language(bot, "ana", "es")
    await set_language(bot, "jamal", "ar")
    await bot.send("coord", "/role ana facilitator")
    assert bot.last_text("ana") == (
        "coord te asignó el rol de facilitación en Spring Exchange. "
        "Envía /help para ver lo que puedes hacer ahora."
    )
    await bot.send("coord", "/role jamal mentor")
    text = bot.last_text("jamal")
    assert "أسند إليك" in text and "مرشد/ة" in text
    # the coordinator reads English
    assert "jamal now has the role mentor" in bot.last_text("coord")


async def test_a_cohort_always_keeps_a_coordinator(bot: BotHarness) -> None:
    await cohort_with(bot, "ana")
    before = await dump(bot)
    reply = await bot.ask("coord", "/role coord participant")
    assert "last coordinator of Spring Exchange" in reply
    assert "/role 2 coordinator" in reply
    assert "last coordinator" in await bot.ask("coord", "/leave")
    assert await dump(bot) == before
    # with a second coordinator the first may step down, and leave
    await bot.send("coord", "/role ana coordinator")
    assert "now has the role participant" in await bot.ask("coord", "/role coord participant")
    assert "last coordinator of Spring Exchange" in await bot.ask("ana", "/role ana mentor")
    assert "You left Spring Exchange" in await bot.ask("coord", "/leave")
    assert await role_of(bot, "coord", "Spring Exchange") is None
    assert await role_of(bot, "ana", "Spring Exchange") == "coordinator"


async def test_no_message_to_yourself(bot: BotHarness) -> None:
    await cohort_with(bot, "ana")
    await bot.send("coord", "/role ana coordinator")
    sent = await bot.send("coord", "/role coord facilitator")
    assert [m.to for m in sent] == ["coord"]


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("/role", "Say who and which role"),
        ("/role ana", "Say who and which role"),
        ("/role ana boss", '"boss" is not a role. Roles: coordinator, facilitator'),
        ("/role zed mentor", 'No member of Spring Exchange is called "zed". Send /roster'),
        ("/role 9 mentor", 'No member of Spring Exchange is called "9"'),
        ("/role 0 mentor", 'No member of Spring Exchange is called "0"'),
        ("/role ana participant", "already has the role participant in Spring Exchange. Nothing"),
    ],
)
async def test_bad_input_changes_nothing(bot: BotHarness, command: str, expected: str) -> None:
    await cohort_with(bot, "ana")
    before = await dump(bot)
    sent = await bot.send("coord", command)
    assert expected in sent[-1].text
    assert [m.to for m in sent] == ["coord"]
    assert await dump(bot) == before


async def test_ambiguous_names_ask_for_the_number(bot: BotHarness) -> None:
    code = await bot.new_cohort("coord", "Spring Exchange")
    await bot.send("ana", f"/join {code}")
    await bot.send("x", f"/join {code}")
    # a display name can be shared: make x look like "ana" too
    from sqlalchemy import update

    from storage.models import Identity

    async with bot.db.transaction() as session:
        await session.execute(
            update(Identity).where(Identity.external_id == "x").values(display_name="Ana")
        )
    before = await dump(bot)
    reply = await bot.ask("coord", "/role ana mentor")
    assert 'Several members are called "ana" (numbers 2, 3 in /roster)' in reply
    assert "/role 2 mentor" in reply
    assert await dump(bot) == before
    await bot.send("coord", "/role 3 mentor")
    assert await role_of(bot, "x", "Spring Exchange") == "mentor"
    assert await role_of(bot, "ana", "Spring Exchange") == "participant"


async def test_role_acts_on_the_current_cohort_only(bot: BotHarness) -> None:
    first = await bot.new_cohort("coord", "First")
    await bot.new_cohort("coord", "Second")
    await bot.send("ana", f"/join {first}")
    await bot.send("coord", "/use Second")
    reply = await bot.ask("coord", "/role ana mentor")
    assert 'No member of Second is called "ana"' in reply
    await bot.send("coord", "/use First")
    await bot.send("coord", "/role ana mentor")
    assert await role_of(bot, "ana", "First") == "mentor"


async def test_matrix_members_by_user_id_or_localpart(bot: BotHarness) -> None:
    from tests.cohorts.helpers import Telegram

    code = await bot.new_cohort("coord", "Spring Exchange")
    matrix = Telegram(bot, "matrix")
    await matrix.send("@alice:example.org", f"!join {code}", display_name="Alice Souza")
    await matrix.send("@bob:example.org", f"!join {code}", display_name="Bob")
    await bot.send("coord", "/role @alice facilitator")
    assert await role_of(bot, "@alice:example.org", "Spring Exchange", "matrix") == "facilitator"
    await bot.send("coord", "/role @bob:example.org mentor")
    assert await role_of(bot, "@bob:example.org", "Spring Exchange", "matrix") == "mentor"
    await bot.send("coord", "/role Alice Souza alumni")
    assert await role_of(bot, "@alice:example.org", "Spring Exchange", "matrix") == "alumni"
    sent = await matrix.send("@bob:example.org", "!roster")
    assert "can't use /roster as mentor" in sent[-1].text


async def test_telegram_members_by_username(bot: BotHarness) -> None:
    from tests.cohorts.helpers import Telegram

    code = await bot.new_cohort("coord", "Spring Exchange")
    telegram = Telegram(bot)
    await telegram.send("101", f"/join {code}", display_name="Ana Souza", username="ana_k")
    await telegram.send("102", f"/join {code}", display_name="Ana Souza", username="Ana_M")
    assert "Several members" in await bot.ask("coord", "/role Ana Souza mentor")
    await bot.send("coord", "/role @ANA_K facilitator")
    assert await role_of(bot, "101", "Spring Exchange", "telegram") == "facilitator"
    assert await role_of(bot, "102", "Spring Exchange", "telegram") == "participant"
    await bot.send("coord", "/role ana_m mentor")
    assert await role_of(bot, "102", "Spring Exchange", "telegram") == "mentor"
    roster = await bot.ask("coord", "/roster")
    assert "2. Ana Souza (@ana_k) — facilitator" in roster
    assert "3. Ana Souza (@Ana_M) — mentor" in roster
    assert "1. coord — coordinator" in roster  # no handle on the console
    # Telegram no longer reports a username: it is forgotten and no longer matches.
    await telegram.send("101", "/me", display_name="Ana Souza")
    reply = await bot.ask("coord", "/role @ana_k mentor")
    assert 'No member of Spring Exchange is called "@ana_k"' in reply
    assert "Ana Souza — facilitator" in await bot.ask("coord", "/roster")


def test_usernames_match_in_any_case_with_or_without_the_at() -> None:
    from handlers.cohorts.names import row_matches
    from storage.models import Identity, Membership, Person
    from storage.repositories.cohorts import RosterRow

    identity = Identity(
        platform="telegram", external_id="4242", display_name="Ana Souza", username="Ana_K"
    )
    row = RosterRow(1, Membership(role="participant"), Person(), (identity,))
    for wanted in ("@ana_k", "ANA_K", "Ana_K", "@Ana_K", "ana souza", "4242"):
        assert row_matches(row, wanted), wanted
    for wanted in ("@ana", "ana_k2", "@ana_m", "@@ana_k"):
        assert not row_matches(row, wanted), wanted
    without = Identity(platform="telegram", external_id="4243", display_name="Bo", username=None)
    assert not row_matches(RosterRow(2, Membership(role="mentor"), Person(), (without,)), "@")
