"""A bot with a program's history, its dashboard served on a free port, on each backend."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer

from tests.harness import BotHarness
from tests.web.helpers import program, served, web_bot


@dataclass
class World:
    bot: BotHarness
    server: TestServer
    cohort: int  # "Bridges": coord coordinates, fac facilitates, ana..eli participate
    other: int  # "Elsewhere": other coordinates

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"


@pytest.fixture
async def world(db_url: str, tmp_path: Path) -> AsyncIterator[World]:
    bot = await web_bot(db_url, tmp_path)
    try:
        ids = await program(bot)
        async with served(bot) as server:
            yield World(bot, server, ids["Bridges"], ids["Elsewhere"])
    finally:
        await bot.close()
