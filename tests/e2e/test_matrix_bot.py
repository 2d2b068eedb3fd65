"""The real bot on Matrix, through a real Synapse: a person talks to it in a plain DM and in
encrypted rooms, answers a question by number, gets files, and the bot survives restarts."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from nio import MemoryDownloadResponse, RoomEncryptedFile
from nio.crypto import decrypt_attachment

from .matrix_bot import BotProcess
from .matrix_peer import Peer, make_peer
from .synapse import SynapseServer

pytestmark = pytest.mark.timeout(180)


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


async def test_encrypted_dm_start_and_export_file(
    synapse: SynapseServer, tmp_path: Path, bot: BotProcess, peers: list[Peer]
) -> None:
    alice = await person(synapse, tmp_path, peers, "alice")
    room = await alice.open_room([bot.user_id], encrypted=True, direct=True)

    await alice.ask(room, "!start", bot.user_id, expect=r"English")
    answers = alice.notices(room, bot.user_id)
    assert answers and all(e.decrypted for e in answers)  # the bot answers encrypted
    await alice.ask(room, "1", bot.user_id, expect="English")

    await alice.ask(room, "!mydata", bot.user_id, expect=".")
    await alice.wait_for(lambda: bool(alice.files(room, bot.user_id)), "the export file")
    [exported] = alice.files(room, bot.user_id)
    assert isinstance(exported, RoomEncryptedFile)
    assert exported.body == "cohortbot-mydata.json"
    downloaded = await alice.client.download(mxc=exported.url)
    assert isinstance(downloaded, MemoryDownloadResponse), downloaded
    plain = decrypt_attachment(
        downloaded.body, exported.key["k"], exported.hashes["sha256"], exported.iv
    )
    data = json.loads(plain)
    assert alice.user_id in json.dumps(data)  # her own identity is in her export


async def test_group_room_bindchat_and_private_answers(
    synapse: SynapseServer, tmp_path: Path, bot: BotProcess, peers: list[Peer]
) -> None:
    alice = await person(synapse, tmp_path, peers, "alice")
    bob = await person(synapse, tmp_path, peers, "bob")
    dm = await alice.open_room([bot.user_id], encrypted=True, direct=True)
    await alice.ask(dm, '!newcohort "Lisbon Exchange" UTC', bot.user_id, expect="Lisbon")

    group = await alice.open_room(
        [bot.user_id, bob.user_id],
        encrypted=True,
        direct=False,
        name="Lisbon cohort",
        wait=[bot.user_id],
    )
    await bob.accept(group)
    replies = await alice.ask(group, "!bindchat", bot.user_id, expect="Lisbon Exchange")
    await bob.wait_for(lambda: bool(bob.bodies(group, bot.user_id)), "the bot's notice")
    assert bob.bodies(group, bot.user_id) == replies  # said in the room, readable by all

    # A personal command in the group is answered in the DM, never in the room.
    in_group = len(alice.bodies(group, bot.user_id))
    before_dm = len(alice.bodies(dm, bot.user_id))
    await alice.say(group, "!me")
    await alice.wait_for(
        lambda: any("Lisbon Exchange" in b for b in alice.bodies(dm, bot.user_id)[before_dm:]),
        "the profile in the DM",
    )
    assert len(alice.bodies(group, bot.user_id)) == in_group

    # Bob has no DM with the bot yet: the bot opens one (encrypted) and answers there.
    await bob.say(group, "!me")
    await bob.wait_for(lambda: len(bob.invites) == 2, "an invite to a DM")
    bob_dm = bob.invites[-1]
    await bob.accept(bob_dm)
    await bob.wait_for(lambda: bool(bob.bodies(bob_dm, bot.user_id)), "his profile")
    assert bob.client.rooms[bob_dm].encrypted
    assert all(e.decrypted for e in bob.notices(bob_dm, bot.user_id))
    assert len(bob.bodies(group, bot.user_id)) == in_group
    # ... and the DM is reused: his next private answer arrives there too.
    await bob.ask(bob_dm, "!help", bot.user_id, expect="!start")
    assert bob.invites == [group, bob_dm]


async def test_small_named_room_is_a_group_and_unnamed_direct_room_is_private(
    synapse: SynapseServer, tmp_path: Path, bot: BotProcess, peers: list[Peer]
) -> None:
    carol = await person(synapse, tmp_path, peers, "carol")
    # Two members, but created as a room with a name (the others have not joined yet).
    room = await carol.open_room([bot.user_id], encrypted=False, direct=False, name="Planning")
    await carol.say(room, "!me")
    await carol.wait_for(lambda: bool(carol.invites), "an invite to a DM")
    [dm] = carol.invites
    await carol.accept(dm)
    await carol.wait_for(lambda: bool(carol.bodies(dm, bot.user_id)), "her profile in the DM")
    assert carol.bodies(room, bot.user_id) == []
    # In the DM the bot made, plain text is a private conversation.
    await carol.ask(dm, "hello", bot.user_id, expect=".")
