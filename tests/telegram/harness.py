"""The whole bot on the real python-telegram-bot Application, talking HTTP to FakeTelegram:
SQLite in a temporary folder, the system clock, bounded waits on what the fake records."""

from __future__ import annotations

import asyncio
import re
import socket
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path

from sqlalchemy import func, select

from bot.adapters.telegram import TelegramPlatform
from bot.app import App, build_app, open_database
from bot.clock import SystemClock
from bot.config import TelegramConfig, load_config
from storage.models import Identity, ProcessedUpdate
from storage.repositories.chats import DbChatMoves
from storage.repositories.kv import DbStateStore
from storage.repositories.reachability import DbReachability
from tests.fakes.telegram_api import FakeTelegram, SentMessage

WITHIN = 15.0  # seconds: the delivery layer paces a private chat at one message a second
WEBHOOK_SECRET = "hook-Secret_42"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class TelegramBot:
    def __init__(self, fake: FakeTelegram, app: App, platform: TelegramPlatform) -> None:
        self.fake = fake
        self.app = app
        self.platform = platform

    @classmethod
    async def start(
        cls,
        fake: FakeTelegram,
        tmp_path: Path,
        *,
        mode: str = "polling",
        reachability: bool = True,
        chat_moves: bool = True,
        secret_token: str = WEBHOOK_SECRET,
        db_url: str | None = None,
    ) -> TelegramBot:
        port = free_port()
        base = load_config(None, env={})
        telegram = TelegramConfig(
            token=fake.token,
            base_url=fake.url,
            mode=mode,
            listen="127.0.0.1",
            port=port,
            url=f"http://127.0.0.1:{port}/telegram-hook",
            secret_token=secret_token,
        )
        config = replace(
            base,
            # The system clock: without default quiet hours, what a test sends arrives whatever
            # the hour it runs at (people who set their own still get them).
            bot=replace(base.bot, quiet_hours="off"),
            storage=replace(
                base.storage,
                url=db_url or f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
                files_dir=str(tmp_path / "files"),
            ),
            telegram=telegram,
        )
        clock = SystemClock()
        db = await open_database(config)
        platform = TelegramPlatform(
            telegram,
            clock,
            DbStateStore(db, clock),
            reachability=DbReachability(db) if reachability else None,
            chat_moves=DbChatMoves(db) if chat_moves else None,
        )
        app = await build_app(config, clock, {"telegram": platform}, db=db)
        await app.runtime.serve()
        return cls(fake, app, platform)

    async def close(self) -> None:
        await self.app.close()

    # Waiting on what people see --------------------------------------------------------------
    async def message(self, chat_id: int, pattern: str, *, skip: int = 0) -> SentMessage:
        """The first message to `chat_id` after the first `skip` ones whose text matches."""
        regex = re.compile(pattern, re.IGNORECASE | re.DOTALL)

        def found() -> SentMessage | None:
            for sent in self.fake.messages_to(chat_id)[skip:]:
                if sent.text is not None and regex.search(sent.text):
                    return sent
            return None

        try:
            await self.fake.wait_until(lambda: found() is not None, WITHIN)
        except TimeoutError:
            texts = [m.text for m in self.fake.messages_to(chat_id)]
            raise AssertionError(f"no message matching {pattern!r} to {chat_id}: {texts}") from None
        result = found()
        assert result is not None
        return result

    async def count(self, chat_id: int, at_least: int) -> list[SentMessage]:
        await self.fake.wait_for_messages(chat_id, at_least, WITHIN)
        return self.fake.messages_to(chat_id)

    # The database ----------------------------------------------------------------------------
    async def processed_updates(self) -> int:
        async with self.app.db.transaction() as session:
            found = await session.execute(select(func.count()).select_from(ProcessedUpdate))
            return int(found.scalar_one())

    async def identity(self, user_id: int) -> Identity | None:
        async with self.app.db.transaction() as session:
            found = await session.execute(
                select(Identity).where(
                    Identity.platform == "telegram", Identity.external_id == str(user_id)
                )
            )
            return found.scalar_one_or_none()


async def eventually(check: Callable[[], Awaitable[bool]], within: float = WITHIN) -> None:
    """Wait (bounded) until an async condition on the database holds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not await check():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)  # a poll interval, not a timing assumption
