"""Discreet mode on Matrix, through a real Synapse: a discreet cohort's announcement never goes
into an unencrypted room. A member whose DM with the bot is unencrypted sees there only the
invitation to an encrypted chat, is invited to one and reads the announcement in it,
decrypted; an unencrypted group chat bound to the cohort gets only a neutral line. Before
discreet mode is on, the same rooms get the cohort's messages as they are."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from .matrix_bot import BotProcess
from .matrix_peer import Peer, make_peer
from .synapse import SynapseServer

pytestmark = pytest.mark.timeout(240)

INVITATION = "I've invited you to an encrypted chat; please accept the invitation."
SPANISH_INVITATION = "Te he invitado a un chat cifrado; por favor, acepta la invitación."
GROUP_LINE = "Messages for this group go to its members privately, in encrypted chats."


@pytest.fixture
async def bob(synapse: SynapseServer, tmp_path: Path) -> AsyncIterator[Peer]:
    peer = await make_peer(synapse, tmp_path, "bob")
    try:
        yield peer
    finally:
        await peer.close()


async def announce(coordinator: Peer, dm: str, bot: BotProcess, text: str) -> None:
    await coordinator.ask(dm, f'!announce "{text}"', bot.user_id, expect=r"Send it\?")
    await coordinator.ask(dm, "Send", bot.user_id, expect=re.escape(text))


async def test_discreet_announcement_reaches_an_unencrypted_member_only_encrypted(
    bot: BotProcess, alice: Peer, bob: Peer
) -> None:
    # Alice coordinates from an encrypted DM; Bob talks to the bot in an unencrypted one.
    alice_dm = await alice.open_room([bot.user_id], encrypted=True, direct=True)
    replies = await alice.ask(alice_dm, '!newcohort "Lisbon Exchange" UTC', bot.user_id, "code")
    [code] = re.findall(r"code\W+([A-Z0-9]{6,})", "\n".join(replies))
    plain = await bob.open_room([bot.user_id], encrypted=False, direct=True)
    await bob.ask(plain, f"!join {code}", bot.user_id, expect="Welcome to Lisbon Exchange")
    await bob.ask(plain, "!quiet off", bot.user_id, expect="Quiet hours are off")

    # An unencrypted group chat, bound to the cohort.
    group = await alice.open_room(
        [bot.user_id, bob.user_id],
        encrypted=False,
        direct=False,
        name="Lisbon cohort",
        wait=[bot.user_id],
    )
    await bob.accept(group)
    await alice.ask(group, "!bindchat", bot.user_id, expect="Lisbon Exchange")

    # Not discreet: the announcement arrives as it is, in the unencrypted rooms too.
    await announce(alice, alice_dm, bot, "Bring your notebooks")
    await bob.wait_for(
        lambda: any("Bring your notebooks" in b for b in bob.bodies(plain, bot.user_id)),
        "the announcement in the unencrypted DM",
    )
    await bob.wait_for(
        lambda: any("Bring your notebooks" in b for b in bob.bodies(group, bot.user_id)),
        "the announcement in the unencrypted group",
    )
    in_plain = len(bob.bodies(plain, bot.user_id))
    in_group = len(bob.bodies(group, bot.user_id))

    # Discreet: the unencrypted DM gets only the invitation, the group only a neutral line.
    await alice.ask(alice_dm, "!discreet on", bot.user_id, expect="Discreet mode is on")
    secret = "Meet at the usual place"
    await announce(alice, alice_dm, bot, secret)
    await bob.wait_for(lambda: len(set(bob.invites) - {group}) == 1, "an invite to a DM")
    [secure] = set(bob.invites) - {group}
    await bob.accept(secure)
    await bob.wait_for(
        lambda: any(secret in b for b in bob.bodies(secure, bot.user_id)),
        "the announcement in the encrypted DM",
    )
    assert bob.client.rooms[secure].encrypted
    assert all(e.decrypted for e in bob.notices(secure, bot.user_id))
    await bob.wait_for(
        lambda: len(bob.bodies(group, bot.user_id)) > in_group, "the line in the group"
    )
    assert bob.bodies(plain, bot.user_id)[in_plain:] == [INVITATION]
    assert bob.bodies(group, bot.user_id)[in_group:] == [GROUP_LINE]

    # Later protected messages go straight to the encrypted DM: no second invitation.
    await announce(alice, alice_dm, bot, "Bring water")
    await bob.wait_for(
        lambda: any("Bring water" in b for b in bob.bodies(secure, bot.user_id)),
        "the second announcement in the encrypted DM",
    )
    await bob.wait_for(
        lambda: len(bob.bodies(group, bot.user_id)) > in_group + 1, "the line in the group"
    )
    assert bob.bodies(plain, bot.user_id)[in_plain:] == [INVITATION]
    assert bob.bodies(group, bot.user_id)[in_group:] == [GROUP_LINE, GROUP_LINE]
    assert set(bob.invites) == {group, secure}
    everything = "\n".join(bob.bodies(plain, bot.user_id) + bob.bodies(group, bot.user_id))
    assert secret not in everything and "Bring water" not in everything


async def test_the_invitation_to_an_encrypted_chat_speaks_the_readers_language(
    bot: BotProcess, alice: Peer, bob: Peer
) -> None:
    alice_dm = await alice.open_room([bot.user_id], encrypted=True, direct=True)
    replies = await alice.ask(alice_dm, '!newcohort "Rio Exchange" UTC', bot.user_id, "code")
    [code] = re.findall(r"code\W+([A-Z0-9]{6,})", "\n".join(replies))
    plain = await bob.open_room([bot.user_id], encrypted=False, direct=True)
    await bob.ask(plain, f"!join {code}", bot.user_id, expect="Welcome to Rio Exchange")
    await bob.ask(plain, "!language es", bot.user_id, expect="te escribiré en")
    await bob.ask(plain, "!quiet off", bot.user_id, expect=".")
    await alice.ask(alice_dm, "!discreet on", bot.user_id, expect="Discreet mode is on")
    before = len(bob.bodies(plain, bot.user_id))
    await announce(alice, alice_dm, bot, "Nos vemos pronto")
    await bob.wait_for(lambda: len(bob.invites) == 1, "an invite to an encrypted DM")
    await bob.wait_for(lambda: len(bob.bodies(plain, bot.user_id)) > before, "the invitation")
    assert bob.bodies(plain, bot.user_id)[before:] == [SPANISH_INVITATION]


async def test_discreet_cohort_binds_only_an_encrypted_group_chat(
    bot: BotProcess, alice: Peer
) -> None:
    dm = await alice.open_room([bot.user_id], encrypted=True, direct=True)
    await alice.ask(dm, '!newcohort "Porto Exchange" UTC', bot.user_id, expect="code")
    await alice.ask(dm, "!discreet on", bot.user_id, expect="Discreet mode is on")

    plain = await alice.open_room([bot.user_id], encrypted=False, direct=False, name="Porto")
    await alice.say(plain, "!bindchat")
    refusal = "Porto Exchange is in discreet mode, so I link it only to a chat that is end-to-end"
    await alice.wait_for(
        lambda: any(b.startswith(refusal) for b in alice.bodies(dm, bot.user_id)),
        "the refusal, privately",
    )
    assert alice.bodies(plain, bot.user_id) == []

    secure = await alice.open_room([bot.user_id], encrypted=True, direct=False, name="Porto 2")
    await alice.ask(secure, "!bindchat", bot.user_id, expect="Porto Exchange")
    assert all(e.decrypted for e in alice.notices(secure, bot.user_id))
