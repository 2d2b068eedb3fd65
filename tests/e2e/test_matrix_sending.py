"""The Matrix adapter's send() against a real Synapse: files in the media repository, the
outbox key as transaction id (a resend is one event), a real 429 as RETRY_AFTER, a DM made for
a person the bot has no room with, and an undecryptable message reported to its sender once."""

from __future__ import annotations

import secrets

import pytest
from nio import (
    MemoryDownloadResponse,
    RoomEncryptedFile,
    RoomMessageFile,
    RoomMessageNotice,
)
from nio.crypto import decrypt_attachment

from bot.adapters.matrix import MatrixPlatform
from bot.messages import Address, Attachment, Choice, Outbound, SendResult, SendStatus

from .matrix_bot import BotProcess
from .matrix_peer import Peer
from .synapse import SynapseServer

pytestmark = pytest.mark.timeout(180)

CALENDAR = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//cohortbot//test//EN\r\nEND:VCALENDAR\r\n"


def platform_of(bot: BotProcess) -> MatrixPlatform:
    assert bot.platform is not None
    return bot.platform


async def open_dm(alice: Peer, bot: BotProcess, *, encrypted: bool) -> str:
    """Alice opens a DM with the bot and waits until the bot has synced it."""
    room = await alice.open_room([bot.user_id], encrypted=encrypted, direct=True)
    await alice.wait_for(lambda: platform_of(bot).knows_room(room), "the bot syncing the room")
    return room


def outbound(room_id: str, text: str, **kwargs: object) -> Outbound:
    key = str(kwargs.pop("key", f"test:{secrets.token_hex(6)}"))
    return Outbound(to=Address("matrix", room_id), text=text, key=key, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "encrypted"])
async def test_attachment_goes_to_the_media_repository(
    bot: BotProcess, alice: Peer, encrypted: bool
) -> None:
    room = await open_dm(alice, bot, encrypted=encrypted)
    result = await platform_of(bot).send(
        outbound(
            room,
            "Your sessions",
            attachment=Attachment("sessions.ics", CALENDAR),  # mime type from the name
        )
    )

    assert result.status is SendStatus.SENT, result
    await alice.wait_for(lambda: bool(alice.files(room, bot.user_id)), "the file")
    [received] = alice.files(room, bot.user_id)
    assert alice.bodies(room, bot.user_id) == ["Your sessions"]
    assert received.body == "sessions.ics"
    downloaded = await alice.client.download(mxc=received.url)
    assert isinstance(downloaded, MemoryDownloadResponse), downloaded
    if encrypted:
        assert isinstance(received, RoomEncryptedFile)
        assert downloaded.body != CALENDAR  # the homeserver only holds ciphertext
        content = decrypt_attachment(
            downloaded.body, received.key["k"], received.hashes["sha256"], received.iv
        )
    else:
        assert isinstance(received, RoomMessageFile)
        content = downloaded.body
    assert content == CALENDAR
    assert received.source["content"]["info"]["mimetype"] == "text/calendar"


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "encrypted"])
async def test_resend_with_the_same_key_is_one_event(
    bot: BotProcess, alice: Peer, encrypted: bool
) -> None:
    room = await open_dm(alice, bot, encrypted=encrypted)
    message = outbound(room, "Reminder: session at 15:00", key="job:reminder:42:7:24h")

    first = await platform_of(bot).send(message)
    again = await platform_of(bot).send(message)  # the delivery layer retrying after a crash
    other = await platform_of(bot).send(outbound(room, "Reminder: session at 15:00"))

    assert first.status is again.status is other.status is SendStatus.SENT
    assert again.platform_message_id == first.platform_message_id
    assert other.platform_message_id != first.platform_message_id
    await alice.wait_for(lambda: len(alice.bodies(room, bot.user_id)) >= 2, "two notices")
    await alice.quiet_for(3)
    ids = [e.event_id for e in alice.notices(room, bot.user_id)]
    assert sorted(ids) == sorted([str(first.platform_message_id), str(other.platform_message_id)])


async def test_rate_limit_is_retry_after_from_the_homeserver(
    synapse: SynapseServer, bot: BotProcess, alice: Peer
) -> None:
    room = await open_dm(alice, bot, encrypted=False)
    synapse.override_ratelimit(bot.user_id, messages_per_second=1, burst_count=1)
    platform = platform_of(bot)

    results: list[tuple[Outbound, SendResult]] = []
    for n in range(10):
        message = outbound(room, f"notice {n}")
        results.append((message, await platform.send(message)))
        if results[-1][1].status is not SendStatus.SENT:
            break

    limited_message, limited = results[-1]
    assert limited.status is SendStatus.RETRY_AFTER, [r.status for _m, r in results]
    assert limited.retry_after is not None
    assert 0 < limited.retry_after <= 10  # from retry_after_ms, not nio sleeping on it

    # Until that wait ran out, a send is answered at once, without asking Synapse again.
    early = await platform.send(limited_message)
    assert early.status is SendStatus.RETRY_AFTER and early.reason == "matrix pacing"
    assert early.retry_after is not None and 0 < early.retry_after <= limited.retry_after

    synapse.override_ratelimit(bot.user_id, messages_per_second=0, burst_count=0)
    for _ in range(20):  # bounded: the wait is at most a few seconds of syncs
        retried = await platform.send(limited_message)
        if retried.status is not SendStatus.RETRY_AFTER:
            break
        await alice.sync()
    assert retried.status is SendStatus.SENT
    expected = [f"notice {n}" for n in range(len(results))]
    await alice.wait_for(lambda: len(alice.bodies(room, bot.user_id)) >= len(expected), "all")
    assert alice.bodies(room, bot.user_id) == expected


async def test_private_message_to_a_person_without_a_room_opens_one_dm(
    bot: BotProcess, alice: Peer
) -> None:
    platform = platform_of(bot)
    to_alice = Address("matrix", f"user:{alice.user_id}")
    choices = (Choice("yes", "Yes <b>really</b>"), Choice("no", "No"))

    first = await platform.send(Outbound(to_alice, "Will you come?", "k1", choices=choices))
    second = await platform.send(Outbound(to_alice, "Second <i>note</i> & more", "k2"))

    assert first.status is second.status is SendStatus.SENT
    await alice.wait_for(lambda: bool(alice.invites), "an invite")
    [dm] = alice.invites
    await alice.accept(dm)
    assert alice.client.rooms[dm].encrypted
    await alice.wait_for(lambda: len(alice.notices(dm, bot.user_id)) >= 2, "both messages")
    question, note = alice.notices(dm, bot.user_id)
    assert isinstance(question, RoomMessageNotice)
    assert question.body == "Will you come?\n\n1. Yes <b>really</b>\n2. No"
    assert question.formatted_body == (
        "Will you come?<ol><li>Yes &lt;b&gt;really&lt;/b&gt;</li><li>No</li></ol>"
    )
    assert note.formatted_body == "Second &lt;i&gt;note&lt;/i&gt; &amp; more"
    assert alice.invites == [dm]  # the second message reused the DM


async def test_undecryptable_message_is_reported_to_the_sender_once(
    bot: BotProcess, alice: Peer
) -> None:
    room = await open_dm(alice, bot, encrypted=True)
    # Alice's app refuses to give the bot's device the room key: the bot cannot read her.
    bot_devices = list(alice.client.device_store.active_user_devices(bot.user_id))
    assert bot_devices
    for device in bot_devices:
        alice.client.blacklist_device(device)

    await alice.say(room, "!help")
    await alice.wait_for(lambda: bool(alice.bodies(room, bot.user_id)), "a report")
    [report] = alice.bodies(room, bot.user_id)
    assert "could not read" in report
    assert "!start" not in report  # it did not answer the command it could not read

    await alice.say(room, "!help again")  # same Megolm session: no second report
    await alice.quiet_for(10)
    assert alice.bodies(room, bot.user_id) == [report]
