"""The whole bot (pipeline, jobs, outbox, delivery) with two recording platforms named
"telegram" and "matrix", a virtual clock, on each database backend: one person can talk to it
from both, as with the real adapters."""

from __future__ import annotations

import itertools
import re
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest

from bot.app import App, build_app
from bot.clock import VirtualClock
from bot.config import load_config
from bot.messages import Address, Inbound
from storage.engine import Database
from tests.conftest import START
from tests.fakes.platform import FakePlatform

PLATFORMS = ("telegram", "matrix")


class TwoPlatforms:
    def __init__(self, app: App, clock: VirtualClock, platforms: dict[str, FakePlatform]) -> None:
        self.app = app
        self.clock = clock
        self.platforms = platforms
        self._ids = itertools.count(1)

    @property
    def db(self) -> Database:
        return self.app.db

    def dm(self, platform: str, user: str) -> str:
        return f"dm-{user}"

    async def send(self, platform: str, user: str, text: str, chat: str | None = None) -> None:
        inbound = Inbound(
            platform=platform,
            update_id=f"u{next(self._ids)}",
            user_id=user,
            chat=Address(platform, chat or self.dm(platform, user), is_group=chat is not None),
            text=text,
            received_at=self.clock.now(),
            display_name=user.capitalize(),
        )
        await self.app.runtime.handle(inbound)
        await self.app.runtime.settle()

    def texts(self, platform: str, user: str) -> list[str]:
        chat = self.dm(platform, user)
        return [
            s.message.text for s in self.platforms[platform].sent if s.message.to.chat_id == chat
        ]

    async def ask(self, platform: str, user: str, text: str, chat: str | None = None) -> str:
        """Send and return what came back to this person privately on this platform."""
        before = len(self.texts(platform, user))
        await self.send(platform, user, text, chat)
        return "\n".join(self.texts(platform, user)[before:])

    async def code(self, platform: str, user: str) -> str:
        reply = await self.ask(platform, user, "/link")
        match = re.search(r"\b([A-Z0-9]{4}-[A-Z0-9]{4})\b", reply)
        assert match, reply
        return match.group(1)


@pytest.fixture
async def two(db_url: str, tmp_path: Path) -> AsyncIterator[TwoPlatforms]:
    base = load_config(None, env={})
    config = replace(
        base, storage=replace(base.storage, url=db_url, files_dir=str(tmp_path / "files"))
    )
    clock = VirtualClock(START)
    platforms = {name: FakePlatform(clock, name=name) for name in PLATFORMS}
    app = await build_app(config, clock, dict(platforms))
    for platform in platforms.values():
        await platform.start(app.runtime.handle)
    try:
        yield TwoPlatforms(app, clock, platforms)
    finally:
        await app.close()
