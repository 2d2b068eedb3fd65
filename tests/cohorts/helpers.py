"""Shared helpers for the cohort tests: a database dump to prove "nothing changed", Telegram
updates fed straight to the pipeline, and the outbox rows the bot queued."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from bot.config import load_config
from bot.messages import Address, Inbound, QuestionRef
from storage.base import Base
from storage.models import Cohort, Membership, OutboxMessage, Person
from storage.repositories.people import find_identity
from tests.conftest import START
from tests.harness import BotHarness

# Machinery every update touches (dedupe, replies, last-seen stamps) is not "data a command
# changed"; everything else must stay byte-for-byte the same after a refusal.
MACHINERY_TABLES = {"processed_update", "outbox"}
MACHINERY_COLUMNS = {("identity", "last_seen_at")}

TELEGRAM_BOT = "cohort_test_bot"


async def dump(bot: BotHarness) -> dict[str, list[tuple[Any, ...]]]:
    tables: dict[str, list[tuple[Any, ...]]] = {}
    async with bot.db.transaction() as session:
        for table in Base.metadata.sorted_tables:
            if table.name in MACHINERY_TABLES:
                continue
            columns = [c for c in table.columns if (table.name, c.name) not in MACHINERY_COLUMNS]
            keys = list(table.primary_key.columns) or columns
            rows = await session.execute(select(*columns).order_by(*keys))
            tables[table.name] = [tuple(row) for row in rows]
    return tables


async def quick_bot(db_url: str, tmp_path: Path, **bot_settings: Any) -> BotHarness:
    """A harness whose per-person command rate limit does not get in the way of long walks."""
    base = load_config(None, env={})
    settings = {"commands_per_minute": 100_000, **bot_settings}
    config = replace(base, bot=replace(base.bot, **settings))
    return await BotHarness.create(db_url, tmp_path, START, config)


class Telegram:
    """People on Telegram (or another platform), talking straight to the pipeline (no adapter:
    the outbox rows are what the adapter would send)."""

    def __init__(self, bot: BotHarness, platform: str = "telegram") -> None:
        self.bot = bot
        self.platform = platform
        self._ids = itertools.count(1)
        if platform == "telegram":
            bot.app.services.bot_names["telegram"] = TELEGRAM_BOT

    async def send(
        self,
        user: str,
        text: str,
        group: str | None = None,
        *,
        question: QuestionRef | None = None,
        choice_key: str | None = None,
        display_name: str | None = None,
        username: str | None = None,
    ) -> list[OutboxMessage]:
        before = await outbox(self.bot, self.platform)
        chat = Address(self.platform, group or user, is_group=group is not None)
        await self.bot.app.runtime.handle(
            Inbound(
                platform=self.platform,
                update_id=f"{self.platform}-{next(self._ids)}",
                user_id=user,
                chat=chat,
                text=text,
                received_at=self.bot.clock.now(),
                display_name=display_name or f"tg{user}",
                username=username,
                question=question,
                choice_key=choice_key,
            )
        )
        await self.bot.app.runtime.settle()
        return (await outbox(self.bot, self.platform))[len(before) :]


def button_of(row: OutboxMessage) -> QuestionRef:
    """The question a message's buttons answer, as its buttons carry it."""
    assert row.question_id is not None and row.question_tag, "a message with buttons"
    return QuestionRef(row.question_id, row.question_tag)


async def outbox(bot: BotHarness, platform: str = "telegram") -> list[OutboxMessage]:
    async with bot.db.transaction() as session:
        rows = await session.execute(
            select(OutboxMessage)
            .where(OutboxMessage.platform == platform)
            .order_by(OutboxMessage.id)
        )
        return list(rows.scalars())


async def role_of(
    bot: BotHarness, name: str, cohort_name: str, platform: str = "console"
) -> str | None:
    async with bot.db.transaction() as session:
        identity = await find_identity(session, platform, name)
        assert identity is not None
        found = await session.execute(
            select(Membership.role)
            .join(Cohort, Cohort.id == Membership.cohort_id)
            .where(Membership.person_id == identity.person_id, Cohort.name == cohort_name)
        )
        role: str | None = found.scalar_one_or_none()
        return role


async def set_language(bot: BotHarness, name: str, lang: str, platform: str = "console") -> None:
    async with bot.db.transaction() as session:
        identity = await find_identity(session, platform, name)
        assert identity is not None
        await session.execute(
            update(Person).where(Person.id == identity.person_id).values(language=lang)
        )


async def cohort_named(bot: BotHarness, name: str) -> Cohort:
    async with bot.db.transaction() as session:
        found = await session.execute(select(Cohort).where(Cohort.name == name))
        cohort: Cohort = found.scalar_one()
        return cohort


HOUR = timedelta(hours=1)
