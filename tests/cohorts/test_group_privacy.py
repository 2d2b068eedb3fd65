"""A group chat is public. Every registered command, sent in a group (unbound and bound), by a
coordinator and by a participant: only the group-safe ones (`help`, `bindchat`) answer in the
group, and what they say there holds nothing personal; everything else is answered privately.
Someone on Telegram who never opened a private chat gets only a neutral hint in the group."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.router import Router
from tests.cohorts.helpers import TELEGRAM_BOT, Telegram, outbox, quick_bot
from tests.harness import BotHarness

SECRETS = ("safehouse", "Kathmandu", "Nepal", "Secret plan", "Call the lawyer", "Zanzibar")
GROUP_SAFE = {"help", "bindchat"}
# What a cohort's own group chat is told by design once it is bound (its members' news): the
# answer to the command still goes privately.
COHORT_NEWS = {"addsession", "movesession", "cancelsession", "announce", "closecohort"}
NEWS_TEXT = ("safehouse", "Secret plan")

# Arguments that make each command do its real work (the session is #1 of the cohort).
ARGS = {
    "addsession": '"Meeting at safehouse" 2026-12-10 18:00',
    "movesession": "1 2026-12-11 18:00",
    "cancelsession": "1",
    "rsvp": "1 yes",
    "sessions": "",
    "findtime": "1h",
    "role": "ana facilitator",
    "announce": '"Secret plan"',
    "translate": '1 es "Plan secreto"',
    "cancelannouncement": "1",
    "timezone": "Asia/Kathmandu",
    "country": "NP",
    "quiet": "23:00-07:00",
    "language": "en",
    "commit": '"Call the lawyer" by 2027-01-10',
    "done": "1",
    "drop": "1",
    "update": '1 "Called"',
    "consent": "recording yes",
    "consentexpiry": "6 months",
    "debriefsettings": "anonymous on",
    "mentor": 'on "Zanzibar"',
    "directory": 'on "Zanzibar"',
    "conduct": "",
    "use": "1",
    "link": "",
    "newcohort": '"Zanzibar Circle"',
}
# Last, because they change what the group is and who is in what.
LAST = ("bindchat", "newcohort", "leave")


def command_lines(router: Router) -> list[tuple[str, str]]:
    names = sorted(router.commands, key=lambda n: (n in LAST, LAST.index(n) if n in LAST else 0))
    return [(name, f"/{name} {ARGS.get(name, '')}".strip()) for name in names]


@pytest.fixture
async def cohort_bot(db_url: str, tmp_path: Path) -> AsyncIterator[BotHarness]:
    bot = await quick_bot(db_url, tmp_path)
    code = await bot.new_cohort("coord", "Quiet Harbour", "Europe/Lisbon")
    await bot.send("ana", f"/join {code}")
    await bot.send("coord", '/addsession "Meeting at safehouse" 2026-12-10 18:00')
    try:
        yield bot
    finally:
        await bot.close()


@pytest.mark.parametrize("bound", [False, True], ids=["unbound", "bound"])
@pytest.mark.parametrize("who", ["coord", "ana"])
async def test_only_group_safe_commands_answer_in_a_group_and_say_nothing_personal(
    cohort_bot: BotHarness, bound: bool, who: str
) -> None:
    bot = cohort_bot
    if bound:
        await bot.send("coord", "/bindchat", chat="street")
    router = bot.app.runtime.pipeline.router
    assert {name for name, spec in router.commands.items() if spec.group_safe} == GROUP_SAFE
    problems: list[str] = []
    for name, line in command_lines(router):
        sent = await bot.send(who, line, chat="street")
        in_group = [m for m in sent if m.to is None]
        news = bound and name in COHORT_NEWS
        if name not in GROUP_SAFE and in_group and not news:
            problems.append(f"{line} by {who}: {[m.text for m in in_group]}")
        secrets = [s for s in SECRETS if not (news and s in NEWS_TEXT)]
        for message in in_group:
            leaked = [s for s in secrets if s.casefold() in message.text.casefold()]
            if leaked:
                problems.append(f"{line} by {who} posted {leaked} in the group")
        if name not in GROUP_SAFE and not [m for m in sent if m.to == who]:
            problems.append(f"{line} by {who}: no answer at all")
    assert problems == []


async def test_unknown_commands_in_a_group_get_no_answer(cohort_bot: BotHarness) -> None:
    bot = cohort_bot
    for line in ("/frobnicate", "/help2", "/addsesion x", "/ROSTER2"):
        assert await bot.send("ana", line, chat="street") == []
    assert "don't know the command" in await bot.ask("ana", "/frobnicate")  # privately: said


async def test_on_telegram_without_a_private_chat_only_a_neutral_hint(
    db_url: str, tmp_path: Path
) -> None:
    bot = await quick_bot(db_url, tmp_path)
    try:
        tg = Telegram(bot)
        await tg.send("1", '/newcohort "Quiet Harbour" Europe/Lisbon')
        await tg.send("1", '/addsession "Meeting at safehouse" 2026-12-10 18:00')
        await tg.send("1", "/bindchat", group="-100")
        hint = bot.app.services.catalogs.translator("en").t(
            "core.start_private_first", bot=f"@{TELEGRAM_BOT}"
        )
        router = bot.app.runtime.pipeline.router
        problems: list[str] = []
        for name, line in command_lines(router):
            if name in GROUP_SAFE:
                continue
            # person 2 has only ever written in the group: the bot cannot reach them privately
            sent = await tg.send("2", line, group="-100")
            texts = [(m.chat_id, m.text) for m in sent]
            if texts != [("-100", hint)]:
                problems.append(f"{line}: {texts}")
        assert problems == []
        group = [m.text for m in await outbox(bot) if m.chat_id == "-100"]
        assert not any(s in text for text in group for s in SECRETS)
    finally:
        await bot.close()
