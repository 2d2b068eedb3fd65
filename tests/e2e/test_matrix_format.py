"""The Matrix adapter's pure parts (no homeserver needed): transaction ids, notice bodies,
what a person typed, DM-or-group, and the waiting room for undecryptable events."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from bot.adapters.matrix.rooms import DirectRooms, RoomFacts, is_group
from bot.adapters.matrix.text import (
    inbound_text,
    notice_content,
    split_text,
    strip_mention,
    txn_id,
)
from bot.adapters.matrix.undecryptable import Waiting, WaitingRoom
from bot.messages import Choice

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@given(st.text(min_size=1), st.text(min_size=1))
def test_txn_ids_are_url_safe_and_never_collide(a: str, b: str) -> None:
    assert re.fullmatch(r"[A-Za-z0-9_~-]+", txn_id(a))
    assert (txn_id(a) == txn_id(b)) is (a == b)
    assert txn_id(a, "file") != txn_id(b)  # a part never looks like another key


def test_txn_id_keeps_simple_keys_readable() -> None:
    assert txn_id("in:matrix:$abc:1") == "in~3Amatrix~3A~24abc~3A1"
    assert txn_id("job-7_x") == "job-7_x"
    assert txn_id("job-7_x", "p2") == "job-7_x.p2"


def test_notice_escapes_everything_and_numbers_choices() -> None:
    content = notice_content(
        "Pick <b>one</b> & go\nsecond line", (Choice("a", "<script>x</script>"), Choice("b", "B"))
    )
    assert content["msgtype"] == "m.notice"
    assert content["body"] == "Pick <b>one</b> & go\nsecond line\n\n1. <script>x</script>\n2. B"
    assert content["formatted_body"] == (
        "Pick &lt;b&gt;one&lt;/b&gt; &amp; go<br>\nsecond line"
        "<ol><li>&lt;script&gt;x&lt;/script&gt;</li><li>B</li></ol>"
    )


def test_long_text_is_split_at_line_breaks() -> None:
    text = "\n".join(f"line {n:05d}" for n in range(5000))
    pieces = split_text(text, limit=1000)
    assert all(len(p) <= 1000 for p in pieces)
    assert "\n".join(pieces) == text


def test_replies_edits_and_mentions() -> None:
    reply = {"m.relates_to": {"m.in_reply_to": {"event_id": "$q"}}}
    body = "> <@bot:x> Which language?\n> 1. English\n\n2"
    assert inbound_text(reply, body, ()) == "2"
    edit = {"m.relates_to": {"rel_type": "m.replace", "event_id": "$e"}}
    assert inbound_text(edit, "* !help", ()) is None
    names = ("@bot:example.org", "Cohort Bot")
    assert strip_mention("Cohort Bot: !help", names) == "!help"
    assert strip_mention("@bot:example.org !me", names) == "!me"
    assert strip_mention("Cohort Bot is nice", names) == "Cohort Bot is nice"


def test_dm_or_group() -> None:
    small_unnamed = RoomFacts(member_count=2, named=False, direct_invite=False)
    small_named = RoomFacts(member_count=2, named=True, direct_invite=False)
    direct_named = RoomFacts(member_count=2, named=True, direct_invite=True)
    crowded = RoomFacts(member_count=3, named=False, direct_invite=True)
    assert not is_group(small_unnamed, "@a:x", None)
    assert is_group(small_named, "@a:x", None)
    assert not is_group(direct_named, "@a:x", None)
    assert is_group(crowded, "@a:x", "@a:x")  # a DM that grew is a group now
    assert is_group(small_unnamed, "@b:x", "@a:x")  # someone else's DM


class MemoryState:
    def __init__(self) -> None:
        self.values: dict[tuple[str, str], str] = {}

    async def get(self, namespace: str, key: str) -> str | None:
        return self.values.get((namespace, key))

    async def put(self, namespace: str, key: str, value: str) -> None:
        self.values[(namespace, key)] = value


async def test_direct_rooms_survive_a_new_registry_and_forget() -> None:
    state = MemoryState()
    rooms = DirectRooms(state)
    await rooms.remember("@a:x", "!dm1:x")
    again = DirectRooms(state)  # after a restart
    assert await again.room_for("@a:x") == "!dm1:x"
    assert await again.partner("!dm1:x") == "@a:x"
    await again.forget("!dm1:x")
    assert await DirectRooms(state).room_for("@a:x") is None
    assert await DirectRooms(state).partner("!dm1:x") is None


def waiting(event_id: str, session: str, at: datetime) -> Waiting:
    facts = RoomFacts(member_count=2, named=False, direct_invite=True)
    return Waiting("!r:x", event_id, "@a:x", session, object(), facts, None, at)


def test_waiting_room_reports_after_grace_and_forgets_after_keep() -> None:
    room = WaitingRoom(grace=timedelta(seconds=8), keep=timedelta(minutes=30), limit=2)
    assert room.add(waiting("$1", "s1", T0))
    assert not room.add(waiting("$1", "s1", T0))  # a replayed sync
    assert room.due_for_report(T0 + timedelta(seconds=7)) == []
    [due] = room.due_for_report(T0 + timedelta(seconds=8))
    assert due.event_id == "$1"
    assert due.report_key == waiting("$2", "s1", T0).report_key  # once per session
    assert due.report_key != waiting("$3", "s2", T0).report_key
    room.add(waiting("$2", "s1", T0 + timedelta(seconds=1)))
    room.add(waiting("$3", "s2", T0 + timedelta(seconds=2)))
    assert [w.event_id for w in room] == ["$2", "$3"]  # bounded: the oldest went
    room.expire(T0 + timedelta(minutes=30, seconds=1))
    assert [w.event_id for w in room] == ["$3"]
