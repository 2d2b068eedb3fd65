"""A button answers only the question it was made for: question ids are never reused, and a
button carries a tag bound to its question's kind and nonce. An old, deleted, expired or someone
else's button gets "That question has expired" and changes nothing. The attack that found it:
/closecohort, then /forgetme, then the old "Yes, close it" erased the coordinator."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from sqlalchemy import delete, select

from bot.messages import QuestionRef
from bot.question_tags import new_nonce
from storage.models import Cohort, PendingQuestion
from storage.repositories.people import find_identity
from tests.cohorts.helpers import button_of, dump, outbox
from tests.harness import BotHarness

EXPIRED = "That question has expired or was already answered."


async def last_button(bot: BotHarness, name: str) -> QuestionRef:
    rows = [r for r in await outbox(bot, "console") if r.chat_id == name and r.question_id]
    return button_of(rows[-1])


async def press(bot: BotHarness, name: str, button: QuestionRef, key: str) -> str:
    inbound = replace(bot.console.inbound(name, ""), question=button, choice_key=key)
    before = len(bot.sent)
    await bot.app.runtime.handle(inbound)
    await bot.app.runtime.settle()
    return "\n".join(m.text for m in bot.sent[before:] if m.to == name)


async def two_coordinators(bot: BotHarness) -> None:
    code = await bot.new_cohort("coord", "Harbour Exchange")
    await bot.send("co", f"/join {code}")
    await bot.send("coord", "/role co coordinator")


async def is_known(bot: BotHarness, name: str) -> bool:
    async with bot.db.transaction() as session:
        return await find_identity(session, "console", name) is not None


async def test_an_old_close_button_cannot_confirm_a_later_erasure(bot: BotHarness) -> None:
    await two_coordinators(bot)
    await bot.send("coord", "/closecohort")
    close_button = await last_button(bot, "coord")
    await bot.send("coord", "/forgetme")
    forget_button = await last_button(bot, "coord")
    assert forget_button.id != close_button.id  # the cancelled question's id is not reused
    before = await dump(bot)

    assert await press(bot, "coord", close_button, "yes") == EXPIRED
    assert await dump(bot) == before  # nobody erased, nothing closed, the question still open
    assert await is_known(bot, "coord")

    # the erasure question still works, with its own button
    assert "Nothing was erased" in await press(bot, "coord", forget_button, "no")
    assert await is_known(bot, "coord")
    async with bot.db.transaction() as session:
        status = await session.scalar(select(Cohort.status))
    assert status == "active"


async def test_a_reused_id_with_another_question_behind_it_is_still_expired(
    bot: BotHarness,
) -> None:
    """What a database that reuses ids would do: the old button's id now names an erasure
    question. The tag (kind and nonce) does not match, so the press changes nothing."""
    await two_coordinators(bot)
    await bot.send("coord", "/closecohort")
    close_button = await last_button(bot, "coord")
    async with bot.db.transaction() as session:
        question = await session.get(PendingQuestion, close_button.id)
        assert question is not None
        person_id = question.person_id
        await session.execute(delete(PendingQuestion))
        session.add(
            PendingQuestion(
                id=close_button.id,
                person_id=person_id,
                kind="privacy.forget",
                nonce=new_nonce(),
                choices=[["yes", "Yes"], ["no", "No"]],
                created_at=bot.clock.now(),
            )
        )
    before = await dump(bot)
    assert await press(bot, "coord", close_button, "yes") == EXPIRED
    assert await dump(bot) == before
    assert await is_known(bot, "coord")


async def test_the_same_question_with_a_forged_or_old_style_tag_is_expired(
    bot: BotHarness,
) -> None:
    await two_coordinators(bot)
    await bot.send("coord", "/forgetme")
    button = await last_button(bot, "coord")
    before = await dump(bot)
    for tag in ("", "x" * 8, button.tag[:2] + "AAAAAA", button.tag[2:]):
        assert await press(bot, "coord", QuestionRef(button.id, tag), "yes") == EXPIRED
    assert await dump(bot) == before
    assert "Everything I stored about you has been erased" in await press(
        bot, "coord", button, "yes"
    )


async def test_someone_elses_button_is_expired(bot: BotHarness) -> None:
    await two_coordinators(bot)
    await bot.send("coord", "/forgetme")
    button = await last_button(bot, "coord")
    before = await dump(bot)
    assert await press(bot, "co", button, "yes") == EXPIRED
    assert await dump(bot) == before
    assert await is_known(bot, "coord") and await is_known(bot, "co")


async def test_a_button_past_its_questions_expiry_is_expired(bot: BotHarness) -> None:
    await two_coordinators(bot)
    await bot.send("coord", "/forgetme")  # the confirmation is open for 15 minutes
    button = await last_button(bot, "coord")
    await bot.advance(timedelta(minutes=16))
    assert await press(bot, "coord", button, "yes") == EXPIRED
    assert await is_known(bot, "coord")


async def test_question_ids_keep_growing_after_deletions(bot: BotHarness) -> None:
    seen: list[int] = []
    for _round in range(3):
        await bot.send("ana", "/start")  # asks the language: a new question
        async with bot.db.transaction() as session:
            seen.append(int(await session.scalar(select(PendingQuestion.id)) or 0))
            await session.execute(delete(PendingQuestion))
    assert seen == sorted(set(seen)) and len(seen) == 3
