"""Shared steps for the privacy tests: people with distinctive names, raw database reads."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from storage.models import Identity, Person
from storage.privacy import _owned_condition, identity_values, table_rules
from tests.harness import BotHarness


async def say(
    bot: BotHarness,
    user: str,
    text: str,
    *,
    name: str | None = None,
    chat: str | None = None,
    username: str | None = None,
) -> str:
    """`user` sends `text` with display name `name` (default: the user id) and the platform
    username `username` (default: none). Returns the replies."""
    inbound = bot.console.inbound(user, text, chat)
    if name is not None:
        inbound = dataclasses.replace(inbound, display_name=name)
    if username is not None:
        inbound = dataclasses.replace(inbound, username=username)
    before = len(bot.sent)
    await bot.app.runtime.handle(inbound)
    await bot.app.runtime.settle()
    return "\n".join(m.text for m in bot.sent[before:] if m.to == user)


async def person_id(bot: BotHarness, user: str) -> int | None:
    async with bot.db.transaction() as session:
        found = await session.scalar(
            select(Identity.person_id).where(
                Identity.platform == "console", Identity.external_id == user
            )
        )
        return int(found) if found is not None else None


async def owned_rows(bot: BotHarness, pid: int, values: list[str]) -> dict[str, int]:
    """How many rows of each table belong to person `pid` (or to the platform ids `values`)."""
    rules = table_rules()
    counts: dict[str, int] = {}
    async with bot.db.transaction() as session:
        for name, rule in rules.items():
            condition = _owned_condition(rules, name, pid, values)
            if condition is None:
                continue
            n = await session.scalar(select(func.count()).select_from(rule.table).where(condition))
            if n:
                counts[name] = int(n)
        for name, rule in rules.items():
            for col in rule.mention_columns:
                n = await session.scalar(
                    select(func.count()).select_from(rule.table).where(col == pid)
                )
                if n:
                    counts[f"{name}.{col.name}"] = int(n)
    return counts


async def platform_ids(bot: BotHarness, pid: int) -> list[str]:
    async with bot.db.transaction() as session:
        return await identity_values(session, pid)


async def person_exists(bot: BotHarness, pid: int) -> bool:
    async with bot.db.transaction() as session:
        return await session.get(Person, pid) is not None


def export_of(bot: BotHarness, user: str) -> tuple[dict[str, Any], str]:
    message = bot.last(user)
    assert message.file is not None, f"no file in: {message.text}"
    assert message.file.endswith("cohortbot-mydata.json")
    raw = Path(message.file).read_text(encoding="utf-8")
    return json.loads(raw), raw
