"""`link` / `link CODE`: a person with accounts on Telegram and Matrix becomes one person."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

from storage.base import Base
from storage.models import Identity, LinkAttempt, Membership, Person
from storage.repositories.link import person_columns
from tests.link.conftest import TwoPlatforms


async def person_of(two: TwoPlatforms, platform: str, user: str) -> int:
    async with two.db.transaction() as session:
        found = await session.execute(
            select(Identity.person_id).where(
                Identity.platform == platform, Identity.external_id == user
            )
        )
        return int(found.scalar_one())


async def count(two: TwoPlatforms, model: type) -> int:
    async with two.db.transaction() as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


async def cohort_code(two: TwoPlatforms, platform: str, user: str, name: str) -> str:
    reply = await two.ask(platform, user, f'/newcohort "{name}" UTC')
    match = re.search(r"/join ([A-Z0-9]{6,})", reply)
    assert match, reply
    return match.group(1)


async def test_code_from_telegram_sent_on_matrix_makes_one_person(two: TwoPlatforms) -> None:
    await two.ask("telegram", "ana_tg", "/language es")
    await two.ask("telegram", "ana_tg", "/timezone Europe/Lisbon")
    code = await cohort_code(two, "telegram", "ana_tg", "Lisbon Exchange")
    await two.ask("matrix", "@ana:example.org", "!start")
    code_text = await two.ask("telegram", "ana_tg", "/link")
    assert "!link" in code_text and "/link" in code_text
    link_code = await two.code("telegram", "ana_tg")

    done_matrix = await two.ask("matrix", "@ana:example.org", f"!link {link_code.lower()}")

    done_telegram = two.texts("telegram", "ana_tg")[-1]
    for done in (done_matrix, done_telegram):  # both sides are told, in her language
        assert "Matrix" in done and "Telegram" in done
    assert done_telegram == done_matrix
    assert await person_of(two, "telegram", "ana_tg") == await person_of(
        two, "matrix", "@ana:example.org"
    )
    assert await count(two, Person) == 1
    # On Matrix she now has her Telegram profile and cohort (and Spanish).
    me = await two.ask("matrix", "@ana:example.org", "!me")
    assert "Lisbon Exchange" in me
    assert "Europe/Lisbon" in me
    assert code  # the cohort's invite code is unrelated to the link code
    assert done_matrix != code_text


async def test_higher_role_is_kept_and_nothing_points_at_the_merged_person(
    two: TwoPlatforms,
) -> None:
    invite = await cohort_code(two, "matrix", "@coord:example.org", "Nairobi Cohort")
    await two.ask("telegram", "coord_tg", f"/join {invite}")  # a participant there
    issuer = await person_of(two, "telegram", "coord_tg")
    other = await person_of(two, "matrix", "@coord:example.org")
    async with two.db.transaction() as session:
        roles = (await session.execute(select(Membership.role))).scalars().all()
    assert sorted(roles) == ["coordinator", "participant"]

    link_code = await two.code("telegram", "coord_tg")
    await two.ask("matrix", "@coord:example.org", f"!link {link_code}")

    kept = await person_of(two, "matrix", "@coord:example.org")
    assert kept == issuer  # the one who asked for the code stays
    async with two.db.transaction() as session:
        memberships = (await session.execute(select(Membership))).scalars().all()
        assert [(m.role, m.person_id) for m in memberships] == [("coordinator", kept)]
        assert await session.get(Person, other) is None
        for table in Base.metadata.sorted_tables:  # nothing anywhere still points at `other`
            for column in person_columns(table):
                left = select(func.count()).select_from(table).where(column == other)
                assert (await session.execute(left)).scalar_one() == 0, column
    # The coordinator's commands work from Telegram now.
    roster = await two.ask("telegram", "coord_tg", "/roster")
    assert "Nairobi Cohort" in roster or "coordinator" in roster.casefold()


async def test_code_works_once_and_expires(two: TwoPlatforms) -> None:
    await two.ask("matrix", "@bo:example.org", "!help")
    await two.ask("matrix", "@cy:example.org", "!help")
    first = await two.code("telegram", "bo_tg")
    await two.ask("matrix", "@bo:example.org", f"!link {first}")
    assert await count(two, Person) == 2  # bo (both accounts) and cy

    again = await two.ask("matrix", "@cy:example.org", f"!link {first}")
    assert "does not work" in again
    assert await count(two, Person) == 2

    late = await two.code("telegram", "dee_tg")
    two.clock.advance(timedelta(minutes=15))
    expired = await two.ask("matrix", "@dee:example.org", f"!link {late}")
    assert "does not work" in expired
    assert await person_of(two, "telegram", "dee_tg") != await person_of(
        two, "matrix", "@dee:example.org"
    )


async def test_a_new_code_replaces_the_old_one_and_codes_are_rate_limited(
    two: TwoPlatforms,
) -> None:
    old = await two.code("telegram", "eve_tg")
    new = await two.code("telegram", "eve_tg")
    await two.code("telegram", "eve_tg")
    refused = await two.ask("telegram", "eve_tg", "/link")
    assert "several codes" in refused
    assert "does not work" in await two.ask("matrix", "@eve:example.org", f"!link {old}")
    assert "does not work" in await two.ask("matrix", "@eve:example.org", f"!link {new}")
    two.clock.advance(timedelta(hours=1))
    assert await two.code("telegram", "eve_tg")


async def test_wrong_codes_are_limited_even_before_a_right_one(two: TwoPlatforms) -> None:
    right = await two.code("telegram", "fay_tg")
    for guess in ("AAAA-AAAA", "BBBB-BBBB", "CCCC", "DDDD-DDDD", "EEEE-EEEE"):
        assert "does not work" in await two.ask("matrix", "@fay:example.org", f"!link {guess}")

    refused = await two.ask("matrix", "@fay:example.org", f"!link {right}")

    assert "Too many wrong codes" in refused
    assert await count(two, Person) == 2
    assert await count(two, LinkAttempt) == 5  # the refused one is not even counted


async def test_same_platform_and_conflicting_accounts_are_refused(two: TwoPlatforms) -> None:
    code = await two.code("telegram", "gil_tg")
    same = await two.ask("telegram", "gil_other_tg", f"/link {code}")
    assert "made on Telegram" in same
    await two.ask("matrix", "@gil:example.org", f"!link {code}")  # gil: telegram + matrix

    second = await two.code("telegram", "hal_tg")
    await two.ask("matrix", "@hal:example.org", f"!link {second}")  # hal: telegram + matrix
    third = await two.code("telegram", "hal_tg")
    conflict = await two.ask("matrix", "@gil:example.org", f"!link {third}")
    assert "both already include an account on Matrix and Telegram" in conflict
    assert await count(two, Person) == 3  # gil, hal, gil_other

    fourth = await two.code("telegram", "gil_tg")
    assert "already one" in await two.ask("matrix", "@gil:example.org", f"!link {fourth}")


async def test_link_in_a_group_answers_privately(two: TwoPlatforms) -> None:
    await two.ask("telegram", "ian_tg", "/help")  # a private chat exists
    reply = await two.ask("telegram", "ian_tg", "/link", chat="group-1")
    assert "link code" in reply
    group_messages = [
        s.message.text for s in two.platforms["telegram"].sent if s.message.to.chat_id == "group-1"
    ]
    assert group_messages == []
