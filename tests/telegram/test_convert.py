"""The pure parts of the adapter: splitting texts, packing choices into callback data, and
reading updates (usernames, group upgrades)."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st
from telegram import Chat, Message, Update, User

from bot.adapters.telegram.convert import (
    MAX_CALLBACK_BYTES,
    ButtonPress,
    answered_text,
    callback_data,
    chat_migration,
    json_message_inbound,
    keyboard,
    label_text,
    message_inbound,
    needs_key_table,
    parse_callback_data,
    plain_text_message,
    split_text,
)
from bot.messages import Choice, QuestionRef

texts = st.text(
    alphabet=st.sampled_from(["a", "é", "語", "🙂", " ", "\n", "x", "."]), min_size=0, max_size=600
)


@given(texts, st.integers(min_value=8, max_value=200))
def test_split_parts_fit_and_keep_every_word(text: str, limit: int) -> None:
    parts = split_text(text, limit)
    assert all(0 < len(p) <= limit and p == p.strip() for p in parts)
    assert "".join(text.split()) == "".join("".join(parts).split())


def test_split_prefers_paragraphs_then_lines_then_words() -> None:
    text = "first paragraph here\n\nsecond one\nwith two lines"
    assert split_text(text, 30) == ["first paragraph here", "second one\nwith two lines"]
    assert split_text("one two three four", 10) == ["one two", "three four"]
    assert split_text("x" * 25, 10) == ["x" * 10, "x" * 10, "x" * 5]
    assert split_text("   ") == []


questions = st.one_of(
    st.none(),
    st.builds(
        QuestionRef,
        st.integers(min_value=1, max_value=10**15),
        st.text(alphabet="abcXYZ0129", min_size=8, max_size=8),
    ),
)


@given(questions, st.integers(min_value=0, max_value=99), st.text(min_size=1, max_size=80))
def test_callback_data_fits_and_comes_back(
    question: QuestionRef | None, index: int, key: str
) -> None:
    data = callback_data(question, index, key)
    assert len(data.encode("utf-8")) <= MAX_CALLBACK_BYTES
    press = parse_callback_data(data)
    assert press is not None
    assert press.question == question
    if press.key is not None:
        assert press.key == key
    else:
        assert press.index == index
        assert needs_key_table(question, (Choice(key, "label"),)) == (question is not None)


def test_callback_data_forms() -> None:
    ref = QuestionRef(42, "Ab3xYz9Q")
    assert callback_data(ref, 0, "yes") == "q42.Ab3xYz9Q:yes"
    assert callback_data(ref, 3, "k" * 70) == "q42.Ab3xYz9Q#3"
    assert callback_data(None, 1, "ok") == "k:ok"
    assert callback_data(None, 1, "k" * 70) == "n1"
    assert parse_callback_data("q42.Ab3xYz9Q:a:b") == ButtonPress(ref, key="a:b")
    assert parse_callback_data("q42.Ab3xYz9Q#2") == ButtonPress(ref, index=2)
    # A button from before buttons carried a tag names its question with an empty tag (which
    # matches no question: the press is answered as expired).
    assert parse_callback_data("q42:yes") == ButtonPress(QuestionRef(42, ""), key="yes")
    assert parse_callback_data("q42.bad-tag:yes") is None
    assert parse_callback_data("something else") is None
    assert parse_callback_data(None) is None


def test_the_longest_question_reference_leaves_room_for_keys() -> None:
    """A 19-digit id and a full tag still leave 34 bytes for the choice key."""
    ref = QuestionRef(2**63 - 1, "x" * 8)
    assert callback_data(ref, 0, "k" * 34) == f"q{2**63 - 1}.xxxxxxxx:{'k' * 34}"
    assert callback_data(ref, 0, "k" * 35) == f"q{2**63 - 1}.xxxxxxxx#0"


def test_keyboard_has_one_button_per_row_with_short_labels() -> None:
    markup = keyboard(QuestionRef(5, "t"), (Choice("a", "Alpha"), Choice("b", "B" * 100)))
    assert markup is not None
    rows = markup.inline_keyboard
    assert [len(r) for r in rows] == [1, 1]
    assert rows[1][0].text == label_text("B" * 100)
    assert len(rows[1][0].text) == 64
    assert keyboard(QuestionRef(5, "t"), ()) is None


def test_answered_text_leaves_room_or_gives_up() -> None:
    assert answered_text("Which language?", "español") == "Which language?\n\n✓ español"
    assert answered_text("x" * 4090, "español") is None


NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _message(chat: Chat, user: User, text: str | None = "/help", **extra: int) -> Message:
    return Message(1, NOW, chat, from_user=user, text=text, **extra)  # type: ignore[arg-type]


def test_the_username_travels_without_the_at_and_none_when_there_is_none() -> None:
    private = Chat(7, "private")
    ana = User(7, "Ana", False, last_name="K", username="Ana_K")
    inbound = message_inbound(1, _message(private, ana), "cohort_test_bot", NOW)
    assert inbound is not None
    assert (inbound.display_name, inbound.username) == ("Ana K", "Ana_K")
    plain = message_inbound(2, _message(private, User(7, "Ana", False)), None, NOW)
    assert plain is not None and plain.username is None


def test_group_upgrade_service_messages_name_the_old_and_the_new_chat() -> None:
    ana = User(7, "Ana", False)
    group, supergroup = Chat(-4001, "group"), Chat(-1000000004001, "supergroup")
    moved_to = _message(group, ana, None, migrate_to_chat_id=supergroup.id)
    moved_from = _message(supergroup, ana, None, migrate_from_chat_id=group.id)
    assert chat_migration(moved_to) == ("-4001", "-1000000004001")
    assert chat_migration(moved_from) == ("-4001", "-1000000004001")
    assert chat_migration(_message(group, ana)) is None
    assert message_inbound(1, moved_to, "cohort_test_bot", NOW) is None  # not for the pipeline


users = st.fixed_dictionaries(
    {"id": st.integers(1, 2**40), "is_bot": st.booleans(), "first_name": st.text(max_size=8)},
    optional={
        "last_name": st.text(max_size=8),
        "username": st.from_regex(r"[A-Za-z][A-Za-z0-9_]{3,10}", fullmatch=True),
        "language_code": st.sampled_from(["en", "es", "pt-br", "ar", ""]),
    },
)
chats = st.fixed_dictionaries(
    {
        "id": st.integers(-(2**45), 2**40),
        "type": st.sampled_from(["private", "group", "supergroup", "channel"]),
    }
)
message_texts = st.one_of(
    texts.filter(bool),
    st.sampled_from(["/help", "/help@cohort_test_bot now", "/help@other_bot", "/me", " /x"]),
)


@given(st.integers(1, 2**31), users, chats, message_texts)
def test_plain_messages_read_from_json_are_what_ptb_objects_give(
    update_id: int, user: dict[str, object], chat: dict[str, object], text: str
) -> None:
    """Plain text messages skip PTB's objects (`_sift`): the same Inbound either way."""
    update = {
        "update_id": update_id,
        "message": {
            "message_id": 5,
            "date": 1_790_000_000,
            "chat": chat,
            "from": user,
            "text": text,
        },
    }
    message = plain_text_message(update)
    assert message is not None
    from_json = json_message_inbound(update_id, message, "cohort_test_bot", NOW)
    parsed = Update.de_json(update, None)
    assert parsed is not None and parsed.message is not None
    assert from_json == message_inbound(update_id, parsed.message, "cohort_test_bot", NOW)


def test_anything_but_a_plain_text_message_goes_through_ptb_objects() -> None:
    ana = {"id": 7, "is_bot": False, "first_name": "Ana"}
    chat = {"id": 7, "type": "private"}
    base = {"message_id": 5, "date": 1_790_000_000, "chat": chat, "from": ana}
    assert plain_text_message({"update_id": 1, "message": {**base, "text": "hi"}}) is not None
    not_plain = [
        {"update_id": 1, "message": {**base, "caption": "a photo", "photo": []}},
        {"update_id": 1, "message": {**base, "text": ""}},
        {"update_id": 1, "message": {**base, "text": "hi", "migrate_to_chat_id": -100}},
        {"update_id": 1, "edited_message": {**base, "text": "hi"}},
        {"update_id": 1, "callback_query": {"id": "q", "from": ana, "chat_instance": "c"}},
        {"update_id": 1, "message": {"message_id": 5, "date": 1, "chat": chat, "text": "hi"}},
    ]
    assert [plain_text_message(update) for update in not_plain] == [None] * len(not_plain)
