"""BotHarness: the real bot (pipeline, jobs, outbox, delivery) on the console platform with a
virtual clock. Tests talk to it like people do and read what it sent."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

from bot.adapters.console import ConsoleMessage, ConsolePlatform
from bot.app import App, build_app
from bot.clock import VirtualClock
from bot.config import Config, load_config
from storage.engine import Database


class BotHarness:
    def __init__(self, app: App, console: ConsolePlatform, clock: VirtualClock) -> None:
        self.app = app
        self.console = console
        self.clock = clock
        self.sent: list[ConsoleMessage] = []

    @classmethod
    async def create(
        cls, db_url: str, tmp_path: Path, start: datetime, config: Config | None = None
    ) -> BotHarness:
        base = config or load_config(None, env={})
        config = replace(
            base,
            storage=replace(base.storage, url=db_url, files_dir=str(tmp_path / "files")),
        )
        clock = VirtualClock(start)
        sent: list[ConsoleMessage] = []
        console = ConsolePlatform(clock, tmp_path / "files", sent.append)
        app = await build_app(config, clock, {"console": console})
        await console.start(app.runtime.handle)
        harness = cls(app, console, clock)
        harness.sent = sent
        return harness

    async def close(self) -> None:
        await self.app.close()

    @property
    def db(self) -> Database:
        return self.app.db

    async def send(self, name: str, text: str, chat: str | None = None) -> list[ConsoleMessage]:
        """`name` sends `text` (privately, or in group `chat`); returns what the bot sent."""
        before = len(self.sent)
        await self.app.runtime.handle(self.console.inbound(name, text, chat))
        await self.app.runtime.settle()
        return self.sent[before:]

    async def advance(self, delta: timedelta) -> list[ConsoleMessage]:
        before = len(self.sent)
        await self.app.runtime.advance_to(self.clock.now() + delta, self.clock.set)
        return self.sent[before:]

    def to(self, name: str) -> list[ConsoleMessage]:
        return [m for m in self.sent if m.to == name]

    def in_chat(self, chat: str) -> list[ConsoleMessage]:
        return [m for m in self.sent if m.to is None and m.chat == chat]

    def last(self, name: str) -> ConsoleMessage:
        mine = self.to(name)
        assert mine, f"nothing was sent to {name}"
        return mine[-1]

    def last_text(self, name: str) -> str:
        return self.last(name).text

    async def ask(self, name: str, text: str, chat: str | None = None) -> str:
        """Send and return the text of the last reply to `name` (joined if several)."""
        replies = [m for m in await self.send(name, text, chat) if m.to == name or chat]
        return "\n".join(m.text for m in replies)

    async def new_cohort(self, coordinator: str, name: str = "Exchange", zone: str = "UTC") -> str:
        reply = await self.ask(coordinator, f'/newcohort "{name}" {zone}')
        match = re.search(r"code\W+([A-Z0-9]{6,})", reply, re.IGNORECASE)
        assert match, reply
        return match.group(1)
