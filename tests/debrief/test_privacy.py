"""Anonymous and named debriefs: what is stored, what export and erasure do with it, and the
private line offered after a low wellbeing answer."""

from __future__ import annotations

from datetime import timedelta

from storage.models import AnonymousDebriefAnswer, DebriefAnswer, DebriefPrompt, DebriefRound
from storage.privacy import export_person, purge_expired, schema_problems, table_rules
from tests.debrief.helpers import (
    INTRO,
    SUMMARY,
    TALK_OFFER,
    THANKS,
    anonymous_answers,
    cohort,
    got,
    named_answers,
    person_id,
    rounds,
    session,
    until_ended,
)
from tests.harness import BotHarness

ANSWERS = {
    "ana": ("The breakout rooms", "Too long", "skip", "5", "Doing well"),
    "ben": ("breakout groups", "skip", "More breaks", "3", "A bit low"),
    "cy": ("The music", "skip", "More breaks please", "4", "Okay"),
}


async def answer(bot: BotHarness, *names: str) -> None:
    for name in names:
        for text in ANSWERS[name]:
            await bot.send(name, text)


def test_the_schema_says_what_happens_to_each_debrief_table() -> None:
    assert schema_problems() == []
    rules = table_rules()
    anonymous = rules[AnonymousDebriefAnswer.__tablename__]
    assert anonymous.policy.kind == "keep_aggregate"
    assert not anonymous.personal
    assert not anonymous.owner_columns and not anonymous.mention_columns
    # nothing in an anonymous answer could point at a person: no key, no time of its own
    columns = set(AnonymousDebriefAnswer.__table__.columns.keys())
    assert columns == {"id", "round_id", "question", "choice", "text"}
    assert rules[DebriefAnswer.__tablename__].personal
    assert rules[DebriefPrompt.__tablename__].personal
    assert not rules[DebriefRound.__tablename__].personal


async def test_an_anonymous_cohort_keeps_answers_without_any_link(bot: BotHarness) -> None:
    await cohort(bot, "ana", "ben", "cy", facilitator="fay")
    assert "anonymous" in await bot.ask("coord", "/debriefsettings anonymous on")
    await session(bot)
    await until_ended(bot)
    [intro] = got(bot, "ana", INTRO)
    assert "Your answers are anonymous" in intro.text
    await answer(bot, "ana", "ben", "cy")
    assert await named_answers(bot) == []
    stored = await anonymous_answers(bot)
    assert ("worked", None, "The breakout rooms") in stored
    assert ("rating", "3", None) in stored
    assert len(stored) == 12
    await bot.advance(timedelta(hours=73))
    [summary] = got(bot, "fay", SUMMARY)
    assert "Mode: anonymous" in summary.text
    assert "“breakout” (2 answers):" in summary.text
    assert "“The breakout rooms”" in summary.text
    for name in ("ana", "ben", "cy"):
        assert name not in summary.text
    [moods] = [line for line in summary.text.splitlines() if "How people are doing" in line]
    for count in ("Doing well 1", "Okay 1", "A bit low 1", "Struggling 0"):
        assert count in moods


async def test_erasure_takes_named_answers_and_leaves_anonymous_ones(bot: BotHarness) -> None:
    await cohort(bot, "ana", "ben", "cy")
    await session(bot)
    await until_ended(bot)
    await answer(bot, "ana")
    ana = await person_id(bot, "ana")
    async with bot.db.transaction() as db:
        export = await export_person(db, ana, bot.clock.now())
    exported = export["tables"]["debrief_answer"]
    assert {row["text"] for row in exported} >= {"The breakout rooms", "Too long"}
    assert "debrief_anonymous_answer" not in export["tables"]
    # the next session is anonymous: ben's answers there survive his erasure
    await bot.send("coord", "/debriefsettings anonymous on")
    await bot.send("coord", '/addsession "Second" 2026-12-08 15:00')
    await bot.advance(timedelta(days=7))
    await answer(bot, "ben")
    assert len(await anonymous_answers(bot)) == 5  # ana's wellbeing + ben's four
    for name in ("ana", "ben"):
        await bot.send(name, "/forgetme")
        await bot.send(name, "1")
    assert await named_answers(bot) == []
    assert len(await anonymous_answers(bot)) == 5
    first, second = await rounds(bot)
    assert (first.anonymous, second.anonymous) == (False, True)
    assert second.responded == 1


async def test_the_mode_people_were_told_holds_for_their_round(bot: BotHarness) -> None:
    await cohort(bot, "ana")
    await session(bot)
    await until_ended(bot)
    await bot.send("coord", "/debriefsettings anonymous on")
    await bot.send("ana", "Good pace")
    assert len(await named_answers(bot)) == 1
    assert await anonymous_answers(bot) == []


async def test_a_low_wellbeing_answer_offers_a_line_to_someone_they_pick(bot: BotHarness) -> None:
    await cohort(bot, "ana", "mo", facilitator="fay")
    await bot.send("coord", "/role mo mentor")
    await session(bot)
    await until_ended(bot)
    for text in ("skip", "skip", "skip", "3"):
        await bot.send("ana", text)
    reply = await bot.ask("ana", "Struggling")
    assert THANKS in reply
    assert TALK_OFFER in reply
    assert bot.last("ana").choices == ("mo", "fay", "No, thanks")  # in roster order
    before_fay = len(bot.to("fay"))
    reply = await bot.ask("ana", "mo")
    assert "I let mo know" in reply
    intro = bot.last("mo")
    assert "ana from “Bridges” would welcome a private conversation" in intro.text
    assert "Story circle" in intro.text
    assert "Struggling" not in intro.text and "3" not in intro.text
    assert len(bot.to("fay")) == before_fay


async def test_no_thanks_tells_nobody(bot: BotHarness) -> None:
    await cohort(bot, "ana", facilitator="fay")
    await session(bot)
    await until_ended(bot)
    for text in ("skip", "skip", "skip", "skip", "A bit low"):
        await bot.send("ana", text)
    before = len(bot.to("fay"))
    assert "If you change your mind" in await bot.ask("ana", "No, thanks")
    assert len(bot.to("fay")) == before
    # a low answer is counted, and kept without a name even in a named round
    assert await named_answers(bot) == []
    assert await anonymous_answers(bot) == [("wellbeing", "low", None)]


async def test_a_good_wellbeing_answer_offers_nothing(bot: BotHarness) -> None:
    await cohort(bot, "ana", facilitator="fay")
    await session(bot)
    await until_ended(bot)
    for text in ("skip", "skip", "skip", "skip"):
        await bot.send("ana", text)
    reply = await bot.ask("ana", "Okay")
    assert TALK_OFFER not in reply


async def test_retention_purges_debriefs_some_time_after_the_cohort_closed(
    bot: BotHarness,
) -> None:
    await cohort(bot, "ana", "ben", "cy")
    await session(bot)
    await until_ended(bot)
    await answer(bot, "ana", "ben", "cy")
    await bot.advance(timedelta(hours=73))
    await bot.send("coord", "/closecohort")
    assert "closed" in (await bot.ask("coord", "yes, close it")).lower()
    privacy = bot.app.services.config.privacy
    keep = timedelta(days=privacy.debrief_retention_days)

    async def purge(after: timedelta) -> dict[str, int]:
        async with bot.db.transaction() as db:
            return await purge_expired(db, bot.clock.now() + after, privacy)

    early = await purge(keep - timedelta(days=1))
    assert not {k for k in early if k.startswith("debrief")}
    assert len(await named_answers(bot)) == 9
    late = await purge(keep + timedelta(days=1))
    assert late["debrief_answer"] == 9
    assert late["debrief_anonymous_answer"] == 3  # the wellbeing answers
    assert late["debrief_round"] == 1
    assert await named_answers(bot) == []
    assert await anonymous_answers(bot) == []
    assert await rounds(bot) == []


async def test_withdrawing_consent_unnames_the_answers_already_given(bot: BotHarness) -> None:
    """A no to keeping debrief answers reaches back: the named answers lose their name (text
    kept as anonymous rows), leave the person's export and the summary's quotes name nobody."""
    await cohort(bot, "ana", "ben", "cy", facilitator="fay")
    await session(bot)
    await until_ended(bot)
    await answer(bot, "ana", "ben", "cy")
    assert "“The breakout rooms” — ana" in await bot.ask("coord", "/debriefs 1")
    reply = await bot.ask("ana", "/consent debrief no")
    assert "no" in reply
    ana = await person_id(bot, "ana")
    assert {pid for pid, *_rest in await named_answers(bot)} == {
        await person_id(bot, "ben"),
        await person_id(bot, "cy"),
    }
    assert ("worked", None, "The breakout rooms") in await anonymous_answers(bot)
    async with bot.db.transaction() as db:
        export = await export_person(db, ana, bot.clock.now())
    assert "debrief_answer" not in export["tables"]
    text = await bot.ask("coord", "/debriefs 1")
    assert "Answered: 3 of 3" in text  # the answers are all still there
    assert "“The breakout rooms”" in text
    assert "— ana" not in text
    assert "“breakout groups” — ben" in text
    await bot.advance(timedelta(hours=73))
    [summary] = got(bot, "fay", SUMMARY)
    assert "— ana" not in summary.text and "— ben" in summary.text


async def test_a_no_for_another_scope_changes_no_answer(bot: BotHarness) -> None:
    await cohort(bot, "ana", "ben", "cy")
    await session(bot)
    await until_ended(bot)
    await answer(bot, "ana")
    before = await named_answers(bot)
    await bot.send("ana", "/consent photos no")
    assert await named_answers(bot) == before


async def test_counts_stay_true_after_an_erasure(bot: BotHarness) -> None:
    await cohort(bot, "ana", "ben", "cy", "dan")
    await session(bot)
    await until_ended(bot)
    await answer(bot, "ana", "ben", "cy")
    assert "Answered: 3 of 4" in await bot.ask("coord", "/debriefs 1")
    await bot.send("ben", "/forgetme")
    await bot.send("ben", "1")
    text = await bot.ask("coord", "/debriefs 1")
    assert "Answered: 2 of 4" in text
    assert "Answered: 3" not in text
    # two answers left: fewer than three, so no answer is shown at all
    assert "“The breakout rooms”" not in text
    # an erasure after a withdrawal: the unnamed answers stay, and so does the count
    await bot.send("ana", "/consent debrief no")
    await bot.send("ana", "/forgetme")
    await bot.send("ana", "1")
    assert "Answered: 2 of 4" in await bot.ask("coord", "/debriefs 1")
