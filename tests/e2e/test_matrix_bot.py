"""The real bot on Matrix, through a real Synapse: a person talks to it in a plain DM and in
encrypted rooms, answers a question by number, gets files, and the bot survives restarts."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from .matrix_bot import BotProcess
from .matrix_peer import Peer, make_peer
from .synapse import SynapseServer

pytestmark = pytest.mark.timeout(180)


@pytest.fixture
async def stopped_bot(synapse: SynapseServer, tmp_path: Path) -> AsyncIterator[BotProcess]:
    """A registered bot account with its own database and key store, not started yet."""
    process = BotProcess.register(synapse, tmp_path / "bot")
    try:
        yield process
    finally:
        await process.stop()


@pytest.fixture
async def bot(stopped_bot: BotProcess) -> BotProcess:
    await stopped_bot.start()
    return stopped_bot


@pytest.fixture
async def peers(synapse: SynapseServer, tmp_path: Path) -> AsyncIterator[list[Peer]]:
    made: list[Peer] = []
    try:
        yield made
    finally:
        for peer in made:
            await peer.close()


async def person(synapse: SynapseServer, tmp_path: Path, peers: list[Peer], name: str) -> Peer:
    peer = await make_peer(synapse, tmp_path, name)
    peers.append(peer)
    return peer


async def test_plain_dm_start_answer_by_number_and_help(
    synapse: SynapseServer,
    tmp_path: Path,
    stopped_bot: BotProcess,
    peers: list[Peer],
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Everything at DEBUG, nio included: the adapter pins nio (which logs whole responses at
    # DEBUG) back to WARNING when it starts.
    for name in ("bot", "nio", "storage", "handlers", "peewee"):
        caplog.set_level(logging.DEBUG, logger=name)
    bot = stopped_bot
    await bot.start()
    alice = await person(synapse, tmp_path, peers, "alice")
    room = await alice.open_room([bot.user_id], encrypted=False, direct=True)

    replies = await alice.ask(room, "!start", bot.user_id, expect=r"English")
    [question] = [e for e in alice.notices(room, bot.user_id) if "English" in e.body]
    content = question.source["content"]
    assert content["msgtype"] == "m.notice"
    assert content["format"] == "org.matrix.custom.html"
    assert "<ol><li>English</li>" in content["formatted_body"]
    assert "\n1. English\n2. " in content["body"]

    replies = await alice.ask(room, "2", bot.user_id, expect="español")  # 2nd choice: Spanish
    assert not any("English" in r for r in replies)  # no "pick one of these" again

    replies = await alice.ask(room, "!help", bot.user_id, expect="!start")
    assert "!help" in replies[-1]
    assert "/help" not in replies[-1]

    secret_words = "papaya-velvet-7731"
    await alice.ask(room, f"just chatting about {secret_words}", bot.user_id, expect=".")
    logged = "\n".join(f"{r.name} {r.getMessage()} {r.__dict__!r}" for r in caplog.records)
    assert "matrix joined a room" in logged  # the capture works: the adapter's own lines
    assert secret_words not in logged
    assert bot.password not in logged
    assert bot.pickle_key not in logged
