"""This directory's tests send many commands in a row: their `bot` has no command rate limit."""

from __future__ import annotations

import pytest

from tests.harness import BotHarness


@pytest.fixture
def bot(unhurried_bot: BotHarness) -> BotHarness:
    return unhurried_bot
