"""The whole authorization table, walked: every command in handlers.permissions.PERMISSIONS that
has a handler, by every role and by a non-member, privately and in a bound group chat.

A command a role may not run gets a clear refusal in the person's own language, and the
database is exactly as before (machinery aside: dedupe rows, the outbox, last-seen stamps).
A command a role may run is not refused. Commands without a handler yet are skipped, so the
walk covers each capability as soon as it lands."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.authz import Access
from bot.i18n import Translator
from handlers.permissions import PERMISSIONS
from storage.models import ROLES
from tests.cohorts.helpers import dump, quick_bot, set_language
from tests.harness import BotHarness

LANGUAGE_OF = {
    "coordinator": "en",
    "facilitator": "es",
    "mentor": "fr",
    "participant": "pt_BR",
    "alumni": "ar",
    None: "es",
}
GROUP = "walk-group"


def person_for(role: str | None) -> str:
    return f"as-{role or 'nobody'}"


def refusal(
    tr: Translator,
    command: str,
    role: str | None,
    cohort: str,
    in_group: bool,
    group_safe: bool = False,
) -> str:
    """What a refused person reads. In a group, a group-safe command is refused in the group
    without naming the person's role; every other command is refused privately."""
    if role is None:
        if in_group:
            return tr.t("cohorts.not_member_of", cohort=cohort)
        return tr.t("core.not_member")
    if in_group and group_safe:
        return tr.t("core.not_allowed_here", command=command)
    return tr.t("core.not_allowed", command=command, role=tr.t(f"role.{role}"))


@pytest.fixture
async def walk_bot(db_url: str, tmp_path: Path) -> AsyncIterator[BotHarness]:
    """One cohort with a person in every role (each reading a different language), a person in
    no cohort, and a group chat bound to the cohort."""
    bot = await quick_bot(db_url, tmp_path)
    code = await bot.new_cohort(person_for("coordinator"), "Walk Cohort", "Europe/Berlin")
    for role in ROLES:
        name = person_for(role)
        if role != "coordinator":
            await bot.send(name, f"/join {code}")
            await bot.send(person_for("coordinator"), f"/role {name} {role}")
        await set_language(bot, name, LANGUAGE_OF[role])
    await bot.send(person_for(None), "/help")
    await set_language(bot, person_for(None), LANGUAGE_OF[None])
    await bot.send(person_for("coordinator"), "/bindchat", chat=GROUP)
    try:
        yield bot
    finally:
        await bot.close()


def implemented(bot: BotHarness) -> list[str]:
    registered = bot.app.runtime.pipeline.router.commands
    return sorted(name for name in PERMISSIONS if name in registered)


def refused_pairs(commands: list[str]) -> list[tuple[str, str | None]]:
    pairs: list[tuple[str, str | None]] = []
    for command in commands:
        access: Access = PERMISSIONS[command]
        for role in (*ROLES, None):
            if not access.allows(role):
                pairs.append((command, role))
    return pairs


@pytest.mark.parametrize("in_group", [False, True], ids=["private", "group"])
async def test_every_refusal_is_clear_localized_and_changes_nothing(
    walk_bot: BotHarness, in_group: bool
) -> None:
    bot = walk_bot
    catalogs = bot.app.services.catalogs
    commands = implemented(bot)
    assert {"role", "roster", "bindchat", "closecohort", "leave"} <= set(commands)
    pairs = refused_pairs(commands)
    assert len(pairs) >= 20
    problems: list[str] = []
    for command, role in pairs:
        name = person_for(role)
        lang = LANGUAGE_OF[role]
        assert catalogs.has(lang, "core.not_allowed"), lang
        group_safe = bot.app.runtime.pipeline.router.commands[command].group_safe
        tr = catalogs.translator(lang)
        expected = refusal(tr, command, role, "Walk Cohort", in_group, group_safe)
        before = await dump(bot)
        sent = await bot.send(name, f"/{command}", chat=GROUP if in_group else None)
        texts = [m.text for m in sent]
        if texts != [expected]:
            problems.append(f"/{command} as {role}: expected {expected!r}, got {texts!r}")
        if sent and in_group and not group_safe and sent[0].to != name:
            problems.append(f"/{command} as {role}: a refusal answered in the group")
        if await dump(bot) != before:
            problems.append(f"/{command} as {role}: the database changed")
    assert problems == []


async def test_every_role_may_run_what_the_table_allows(walk_bot: BotHarness) -> None:
    """Each (command, allowed role) runs as a fresh member with that role, so one command's
    effect (e.g. `leave`) cannot disturb the next check."""
    bot = walk_bot
    catalogs = bot.app.services.catalogs
    code = (await bot.ask(person_for("coordinator"), "/roster")).split("Invite code: ")[1][:8]
    problems: list[str] = []
    count = 0
    for command in implemented(bot):
        access = PERMISSIONS[command]
        if not access.cohort:
            continue
        for role in ROLES:
            if not access.allows(role):
                continue
            count += 1
            name = f"ok-{command}-{role}"
            await bot.send(name, f"/join {code}")
            await bot.send(person_for("coordinator"), f"/role {name} {role}")
            sent = await bot.send(name, f"/{command}")
            tr = catalogs.translator("en")
            refused = refusal(tr, command, role, "Walk Cohort", in_group=False)
            bug = tr.t("core.bug", ref="")
            for message in sent:
                if message.text == refused:
                    problems.append(f"/{command} refused to {role}")
                if message.text.startswith(bug.split("(")[0]):
                    problems.append(f"/{command} as {role} without arguments hit a bug")
    assert count >= 10
    assert problems == []


def test_the_table_names_only_commands_that_exist() -> None:
    """Every entry of the authorization table is a command someone can run (an entry for a
    command that does not exist would be a permission nobody can check)."""
    from bot.app import build_router

    registered = set(build_router().commands)
    assert sorted(set(PERMISSIONS) - registered) == []
    assert sorted(registered - set(PERMISSIONS)) == []
