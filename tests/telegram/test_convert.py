"""The pure parts of the adapter: splitting texts and packing choices into callback data."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.adapters.telegram_convert import (
    MAX_CALLBACK_BYTES,
    ButtonPress,
    answered_text,
    callback_data,
    keyboard,
    label_text,
    needs_key_table,
    parse_callback_data,
    split_text,
)
from bot.messages import Choice

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


@given(
    st.one_of(st.none(), st.integers(min_value=1, max_value=10**15)),
    st.integers(min_value=0, max_value=99),
    st.text(min_size=1, max_size=80),
)
def test_callback_data_fits_and_comes_back(question: int | None, index: int, key: str) -> None:
    data = callback_data(question, index, key)
    assert len(data.encode("utf-8")) <= MAX_CALLBACK_BYTES
    press = parse_callback_data(data)
    assert press is not None
    assert press.question_id == question
    if press.key is not None:
        assert press.key == key
    else:
        assert press.index == index
        assert needs_key_table(question, (Choice(key, "label"),)) == (question is not None)


def test_callback_data_forms() -> None:
    assert callback_data(42, 0, "yes") == "q42:yes"
    assert callback_data(42, 3, "k" * 70) == "q42#3"
    assert callback_data(None, 1, "ok") == "k:ok"
    assert callback_data(None, 1, "k" * 70) == "n1"
    assert parse_callback_data("q42:a:b") == ButtonPress(42, key="a:b")
    assert parse_callback_data("something else") is None
    assert parse_callback_data(None) is None


def test_keyboard_has_one_button_per_row_with_short_labels() -> None:
    markup = keyboard(5, (Choice("a", "Alpha"), Choice("b", "B" * 100)))
    assert markup is not None
    rows = markup.inline_keyboard
    assert [len(r) for r in rows] == [1, 1]
    assert rows[1][0].text == label_text("B" * 100)
    assert len(rows[1][0].text) == 64
    assert keyboard(5, ()) is None


def test_answered_text_leaves_room_or_gives_up() -> None:
    assert answered_text("Which language?", "español") == "Which language?\n\n✓ español"
    assert answered_text("x" * 4090, "español") is None
