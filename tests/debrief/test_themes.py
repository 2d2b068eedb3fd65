"""Themes in free-text answers: shared keywords after stop words, explainable by hand."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from handlers.debrief.themes import group, keywords


def test_stop_words_of_every_language_are_dropped() -> None:
    assert set(keywords("The breakout rooms were really great")) == {"breakout", "room"}
    assert set(keywords("Las dinámicas de grupo")) == {"dinamica", "grupo"}
    assert set(keywords("Les exercices étaient trop courts")) == {"exercice", "court"}
    assert set(keywords("Não gostei do horário")) == {"horario"}
    assert set(keywords("التمارين كانت جيدة جدا")) == {"تمارين"}


def test_keywords_keep_the_first_written_form_for_showing() -> None:
    assert keywords("Énergie! and more ÉNERGIE") == {"energie": "énergie"}


def test_answers_sharing_a_keyword_form_a_theme_biggest_first() -> None:
    texts = [
        "The breakout rooms were great",  # 0
        "More music please",  # 1
        "breakout room too short",  # 2
        "Loved the music and the breakout",  # 3
        "Nothing",  # 4
    ]
    grouping = group(texts)
    assert [(t.keyword, t.members) for t in grouping.themes] == [
        ("breakout", (0, 2, 3)),
    ]
    # "music" was shared by 1 and 3, but 3 already went to the bigger theme
    assert grouping.other == (1, 4)


def test_ties_go_alphabetically_so_the_result_never_changes() -> None:
    texts = ["zebra apple", "apple zebra"]
    assert [t.keyword for t in group(texts).themes] == ["apple"]


def test_a_single_answer_is_never_a_theme() -> None:
    grouping = group(["Only one person said timing"])
    assert grouping.themes == ()
    assert grouping.other == (0,)


@given(st.lists(st.text(max_size=60), max_size=25))
def test_every_answer_lands_in_exactly_one_place(texts: list[str]) -> None:
    grouping = group(texts)
    placed = [i for theme in grouping.themes for i in theme.members] + list(grouping.other)
    assert sorted(placed) == list(range(len(texts)))
    for theme in grouping.themes:
        assert len(theme.members) >= 2
    assert group(texts) == grouping
