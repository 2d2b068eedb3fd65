"""Prompts after a session: who gets them, when, in which language, and how answers are read."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.question_tags import ref_of
from tests.debrief.helpers import (
    ENDS,
    INTRO,
    NEEDS_CONSENT,
    Q_CHANGE,
    Q_NOT_WORKED,
    Q_RATING,
    Q_WELLBEING,
    Q_WORKED,
    THANKS,
    anonymous_answers,
    answer_all,
    cohort,
    got,
    named_answers,
    pending_question,
    person_id,
    rounds,
    session,
    texts_by_round,
    until_ended,
)
from tests.harness import BotHarness


async def test_the_questions_go_out_when_the_session_ends_except_to_a_no(
    bot: BotHarness,
) -> None:
    await cohort(bot, "ana", "ben", "cy")
    await session(bot)
    assert "no" in await bot.ask("cy", "/rsvp 1 no")
    await bot.advance(ENDS - bot.clock.now() - timedelta(minutes=1))
    assert not got(bot, "ana", INTRO)
    await until_ended(bot)
    for name in ("ana", "ben"):
        [prompt] = got(bot, name, INTRO)
        assert prompt.at == ENDS
        assert "Story circle" in prompt.text
        assert Q_WORKED in prompt.text
        assert "with your name" in prompt.text
        assert prompt.choices == ("Skip",)
    assert not got(bot, "cy", INTRO)
    # the coordinator never said whether their answers may be kept: one note, no questions
    assert len(got(bot, "coord", NEEDS_CONSENT)) == 1
    assert not got(bot, "coord", Q_WORKED)
    [debrief] = await rounds(bot)
    assert (debrief.invited, debrief.responded, debrief.anonymous) == (2, 0, False)


async def test_answers_by_text_number_and_label_are_kept_with_the_name(
    bot: BotHarness,
) -> None:
    await cohort(bot, "ana")
    await session(bot)
    await until_ended(bot)
    assert Q_NOT_WORKED in await bot.ask("ana", "The role plays")
    assert Q_CHANGE in await bot.ask("ana", "skip")
    reply = await bot.ask("ana", "More breaks")
    assert Q_RATING in reply
    assert bot.last("ana").choices == ("1", "2", "3", "4", "5", "Skip")
    assert "Please answer with one of the choices" in await bot.ask("ana", "pretty good")
    wellbeing = await bot.ask("ana", "4")
    assert Q_WELLBEING in wellbeing
    assert "only ever counted, never shown with your name" in wellbeing
    assert bot.last("ana").choices == ("Doing well", "Okay", "A bit low", "Struggling", "Skip")
    assert THANKS in await bot.ask("ana", "doing well")
    ana = await person_id(bot, "ana")
    assert await named_answers(bot) == [
        (ana, "worked", None, "The role plays"),
        (ana, "change", None, "More breaks"),
        (ana, "rating", "4", None),
    ]
    # wellbeing is only ever counted: it is kept without a name even in a named round
    assert await anonymous_answers(bot) == [("wellbeing", "good", None)]
    [debrief] = await rounds(bot)
    assert debrief.responded == 1
    # the questionnaire is over: more text is not an answer
    assert "didn't understand" in await bot.ask("ana", "one more thing")
    assert len(await named_answers(bot)) == 3


async def test_a_button_press_answers_too(bot: BotHarness) -> None:
    await cohort(bot, "ana")
    await session(bot)
    await until_ended(bot)
    for _step in range(3):
        await bot.send("ana", "skip")
    question = await pending_question(bot, "ana")
    assert question.kind == "debrief.step"
    ref = ref_of(question.id, question.kind, question.nonce)
    press = replace(bot.console.inbound("ana", ""), question=ref, choice_key="5")
    await bot.app.runtime.handle(press)
    await bot.app.runtime.settle()
    assert Q_WELLBEING in bot.last_text("ana")
    ana = await person_id(bot, "ana")
    assert await named_answers(bot) == [(ana, "rating", "5", None)]


async def test_skipping_everything_keeps_nothing_and_counts_nobody(bot: BotHarness) -> None:
    await cohort(bot, "ana")
    await session(bot)
    await until_ended(bot)
    reply = await answer_all(bot, "ana")
    assert "You skipped every question, so nothing was saved" in reply
    assert await named_answers(bot) == []
    [debrief] = await rounds(bot)
    assert (debrief.invited, debrief.responded) == (1, 0)


async def test_other_commands_do_not_lose_the_questions_and_debrief_resumes(
    bot: BotHarness,
) -> None:
    await cohort(bot, "ana")
    await session(bot)
    await until_ended(bot)
    await bot.send("ana", "The story round")
    await bot.send("ana", "/sessions")
    await bot.send("ana", "/me")
    # a plain answer still goes to the question that was waiting
    assert Q_CHANGE in await bot.ask("ana", "Too long")
    resumed = await bot.ask("ana", "/debrief")
    assert "Debrief for “Story circle”" in resumed
    assert Q_CHANGE in resumed
    assert Q_RATING in await bot.ask("ana", "Shorter intro")
    ana = await person_id(bot, "ana")
    assert [(q, t) for _p, q, _c, t in await named_answers(bot)] == [
        ("worked", "The story round"),
        ("not_worked", "Too long"),
        ("change", "Shorter intro"),
    ]
    assert all(p == ana for p, *_rest in await named_answers(bot))


async def test_debrief_with_nothing_waiting_says_so(bot: BotHarness) -> None:
    await cohort(bot, "ana")
    assert "no debrief waiting" in await bot.ask("ana", "/debrief")


async def test_questions_wait_for_the_morning_in_quiet_hours(bot: BotHarness) -> None:
    await cohort(bot, "ana", "ben")
    assert "Asia/Tokyo" in await bot.ask("ben", "/timezone Asia/Tokyo")
    await session(bot)
    await until_ended(bot)  # 15:30 UTC = 00:30 in Tokyo: ben's night
    assert got(bot, "ana", INTRO)
    assert not got(bot, "ben", INTRO)
    await bot.advance(timedelta(hours=8))
    [prompt] = got(bot, "ben", INTRO)
    assert prompt.at == datetime(2026, 12, 1, 23, 0, tzinfo=UTC)  # 08:00 in Tokyo


async def test_the_questions_come_in_the_persons_language(bot: BotHarness) -> None:
    await cohort(bot, "ana")
    await bot.send("ana", "/language es")
    await session(bot)
    await until_ended(bot)
    [prompt] = [m for m in bot.to("ana") if "Story circle" in m.text and m.at == ENDS]
    assert "1/5" in prompt.text
    assert "What worked" not in prompt.text
    assert prompt.choices == ("Omitir",)


async def test_a_session_cancelled_before_it_ends_gets_no_debrief(bot: BotHarness) -> None:
    await cohort(bot, "ana")
    await session(bot)
    reply = await bot.ask("coord", "/cancelsession 1")
    if bot.last("coord").choices:
        reply = await bot.ask("coord", "1")
    assert "ancel" in reply, reply
    await until_ended(bot)
    await bot.advance(timedelta(days=4))
    assert not got(bot, "ana", INTRO)
    assert await rounds(bot) == []


async def test_two_debriefs_at_once_each_keep_their_answers(bot: BotHarness) -> None:
    await cohort(bot, "ana")
    await session(bot)  # 15:00-16:30 in Berlin
    await bot.send("coord", '/addsession "Evening talk" 2026-12-01 17:00 for 1h')
    await until_ended(bot)
    assert Q_NOT_WORKED in await bot.ask("ana", "First answer")
    await bot.advance(timedelta(hours=2))  # the second session has ended too
    assert "“Evening talk”" in bot.last_text("ana")
    reply = ""
    for text in ("Second answer", "skip", "skip", "skip", "skip"):
        reply = await bot.ask("ana", text)
    assert "Another debrief is waiting for you" in reply
    resumed = await bot.ask("ana", "/debrief")
    assert "Debrief for “Story circle”" in resumed
    assert Q_NOT_WORKED in resumed
    await bot.send("ana", "Still the first")
    first, second = await rounds(bot)
    answers = {(round_id, text) for round_id, text in await texts_by_round(bot)}
    assert answers == {
        (first.id, "First answer"),
        (first.id, "Still the first"),
        (second.id, "Second answer"),
    }
