"""Arguments split at keywords, as `/addsession`, `/findtime` and `/announce` read them."""

from __future__ import annotations

import pytest

from bot.commands import ClauseError, split_clauses, split_words

SESSION = frozenset({"for", "every", "until"})
FLAGS = frozenset({"recorded", "weekly"})


def test_words_before_the_first_keyword_then_each_keyword_with_its_words() -> None:
    words = split_words("Europe/Berlin FOR 90m every 2 weeks recorded until 2027-02-02")
    clauses = split_clauses(words, SESSION, FLAGS)
    assert clauses.lead == ("Europe/Berlin",)
    assert clauses.values == {
        "for": ("90m",),
        "every": ("2", "weeks"),
        "recorded": (),
        "until": ("2027-02-02",),
    }
    assert list(clauses.values) == ["for", "every", "recorded", "until"]  # as written


def test_a_keyword_with_nothing_after_it_is_kept_empty_for_the_command_to_judge() -> None:
    assert split_clauses(("from", "to", "friday"), frozenset({"from", "to"})).values == {
        "from": (),
        "to": ("friday",),
    }


@pytest.mark.parametrize(
    ("text", "problem", "word"),
    [
        ("for 1h for 2h", "repeated", "for"),
        ("recorded Recorded", "repeated", "recorded"),
        ("recorded loudly", "stray", "loudly"),
    ],
)
def test_a_keyword_twice_or_a_word_after_a_flag_is_refused(
    text: str, problem: str, word: str
) -> None:
    with pytest.raises(ClauseError) as refused:
        split_clauses(split_words(text), SESSION, FLAGS)
    assert (refused.value.problem, refused.value.word) == (problem, word)


def test_options_come_in_either_order() -> None:
    clauses = split_clauses(
        split_words('to "lang:es" at 2026-12-08 18:00'), frozenset({"at", "to"})
    )
    assert clauses.values == {"to": ("lang:es",), "at": ("2026-12-08", "18:00")}
