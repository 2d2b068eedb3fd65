"""Group chats: `bindchat` links a group or room to a cohort; in a group, personal commands are
answered privately, never in the group."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import BoundChat, Cohort
from tests.cohorts.helpers import (
    TELEGRAM_BOT,
    Telegram,
    button_of,
    cohort_named,
    dump,
    outbox,
)
from tests.harness import BotHarness


async def bindings(bot: BotHarness) -> list[tuple[str, str]]:
    async with bot.db.transaction() as session:
        rows = await session.execute(
            select(BoundChat.chat_id, Cohort.name)
            .join(Cohort, Cohort.id == BoundChat.cohort_id)
            .order_by(BoundChat.id)
        )
        return [(chat_id, name) for chat_id, name in rows]


async def test_bind_a_group_then_unbind(bot: BotHarness) -> None:
    code = await bot.new_cohort("coord", "Spring Exchange")
    await bot.send("ana", f"/join {code}")
    sent = await bot.send("coord", "/bindchat", chat="team")
    assert [m.chat for m in sent] == ["team"] and sent[0].to is None
    assert "This chat is now linked to Spring Exchange" in sent[0].text
    assert await bindings(bot) == [("team", "Spring Exchange")]
    before = await dump(bot)
    assert "already linked to Spring Exchange" in await bot.ask("coord", "/bindchat", chat="team")
    # a participant may not unbind it; the refusal in the group does not name her role
    reply = await bot.ask("ana", "/bindchat off", chat="team")
    assert reply.startswith("/bindchat here is for a cohort's coordinators")
    assert "participant" not in reply
    assert await dump(bot) == before
    assert "no longer linked to Spring Exchange" in await bot.ask(
        "coord", "/bindchat off", chat="team"
    )
    assert await bindings(bot) == []
    assert "not linked to a cohort" in await bot.ask("coord", "/bindchat off", chat="team")


async def test_bindchat_outside_a_group_says_where_to_send_it(bot: BotHarness) -> None:
    await bot.new_cohort("coord", "Spring Exchange")
    before = await dump(bot)
    reply = await bot.ask("coord", "/bindchat")
    assert "Send /bindchat in the group chat or room" in reply
    assert await dump(bot) == before


async def test_only_coordinators_bind(bot: BotHarness) -> None:
    code = await bot.new_cohort("coord", "Spring Exchange")
    await bot.send("ana", f"/join {code}")
    await bot.send("ana", "/language en")
    before = await dump(bot)
    reply = await bot.ask("ana", "/bindchat", chat="team")
    assert reply.startswith("/bindchat here is for a cohort's coordinators")
    assert "not in a cohort" in await bot.ask("stranger", "/bindchat", chat="team2")
    after = await dump(bot)
    # the stranger became a known person, nothing else changed
    assert after["bound_chat"] == before["bound_chat"] == []
    assert after["membership"] == before["membership"]


async def test_asks_which_cohort_when_coordinating_several(bot: BotHarness) -> None:
    await bot.new_cohort("coord", "First")
    await bot.new_cohort("coord", "Second")
    other = await bot.new_cohort("someone", "Not Mine")
    await bot.send("coord", f"/join {other}")
    sent = await bot.send("coord", "/bindchat", chat="team")
    # the names of the cohorts someone coordinates are asked about privately, not in the group
    (asked,) = [m for m in sent if m.to == "coord"]
    assert "Which of your cohorts should the group where you sent /bindchat" in asked.text
    assert asked.choices == ("First", "Second")  # only the cohorts they coordinate
    (said,) = [m for m in sent if m.to is None]
    assert said.chat == "team" and said.text == (
        "I've asked you privately which cohort this chat belongs to."
    )
    assert await bindings(bot) == []
    await bot.send("coord", "/bindchat 2", chat="team")
    assert await bindings(bot) == [("team", "Second")]
    await bot.send("coord", "/bindchat first", chat="team2")
    assert await bindings(bot) == [("team", "Second"), ("team2", "First")]
    before = await dump(bot)
    sent = await bot.send("coord", '/bindchat "Not Mine"', chat="team3")
    assert [m.to for m in sent] == ["coord"]  # the list of their cohorts: privately
    assert 'don\'t coordinate a cohort called "Not Mine"' in sent[0].text
    assert "1. First, 2. Second" in sent[0].text
    assert "already linked to Second" in await bot.ask("coord", "/bindchat First", chat="team")
    assert await dump(bot) == before


async def test_the_choice_by_button_on_telegram(bot: BotHarness) -> None:
    tg = Telegram(bot)
    await tg.send("1", '/newcohort "First"')
    await tg.send("1", '/newcohort "Second"')
    sent = await tg.send("1", "/bindchat", group="-100")
    (question,) = [m for m in sent if m.choices]
    assert question.chat_id == "1" and not question.is_group  # asked privately
    keys = [key for key, _label in question.choices]
    second = await cohort_named(bot, "Second")
    assert str(second.id) in keys
    sent = await tg.send("1", "", question=button_of(question), choice_key=str(second.id))
    assert sorted((m.chat_id, "now linked to Second" in m.text) for m in sent) == [
        ("-100", True),
        ("1", True),
    ]
    assert await bindings(bot) == [("-100", "Second")]


async def test_personal_commands_in_a_bound_group_are_answered_privately(bot: BotHarness) -> None:
    code = await bot.new_cohort("coord", "Spring Exchange")
    await bot.send("ana", f"/join {code}")
    await bot.send("ana", "/timezone Africa/Nairobi")
    await bot.send("coord", "/bindchat", chat="team")
    for command in ("/me", "/roster", "/leave", "/use 1", "/join ABCD", "/closecohort"):
        sent = await bot.send("ana", command, chat="team")
        assert sent, command
        assert all(m.to == "ana" for m in sent), (command, sent)
    assert bot.in_chat("team")[-1].text.startswith("This chat is now linked")
    # even the coordinator's confirmation question goes privately
    sent = await bot.send("coord", "/closecohort", chat="team")
    assert [m.to for m in sent] == ["coord"]
    assert "Close Spring Exchange?" in sent[0].text


async def test_group_members_who_are_not_in_the_cohort_are_refused(bot: BotHarness) -> None:
    code = await bot.new_cohort("coord", "Spring Exchange")
    await bot.send("coord", "/bindchat", chat="team")
    other = await bot.new_cohort("zoe", "Other")
    await bot.send("zoe", "/language en")
    assert other
    before = await dump(bot)
    # zoe coordinates another cohort; in this group the bound cohort counts, not hers
    sent = await bot.send("zoe", "/role coord participant", chat="team")
    assert sent[-1].text.startswith("You're not a member of Spring Exchange, the cohort this chat")
    assert "/join" in sent[-1].text
    assert await dump(bot) == before
    assert code


async def test_telegram_person_without_a_private_chat(bot: BotHarness) -> None:
    tg = Telegram(bot)
    await tg.send("1", '/newcohort "Spring Exchange" Europe/Berlin')
    cohort = await cohort_named(bot, "Spring Exchange")
    await tg.send("1", "/bindchat", group="-100")
    # person 2 has only ever spoken in the group: the bot cannot write to them privately
    await tg.send("2", "/help", group="-100")
    sent = await tg.send("2", "/me", group="-100")
    assert len(sent) == 1 and sent[0].chat_id == "-100" and sent[0].is_group
    assert "privately" in sent[0].text and f"@{TELEGRAM_BOT}" in sent[0].text
    assert "Time zone" not in sent[0].text
    before = await dump(bot)
    sent = await tg.send("2", f"/join {cohort.code}", group="-100")
    assert len(sent) == 1 and f"@{TELEGRAM_BOT}" in sent[0].text
    assert "Welcome" not in sent[0].text
    after = await dump(bot)
    assert after["membership"] == before["membership"]
    # after starting the bot privately, the same command is answered there
    await tg.send("2", f"/start {cohort.code}")
    sent = await tg.send("2", "/me", group="-100")
    assert [m.chat_id for m in sent] == ["2"]
    assert "Spring Exchange — participant" in sent[0].text
    assert all(m.chat_id != "-100" for m in sent)
    group_texts = [m.text for m in await outbox(bot) if m.chat_id == "-100"]
    assert not any("Time zone" in t or "Spring Exchange — participant" in t for t in group_texts)
