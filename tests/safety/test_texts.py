"""The safety catalog in every language: translated (not English copies), commands kept as they
are typed, and in Arabic every command in a left-to-right isolate."""

from __future__ import annotations

import re

import pytest

from tests.core.test_i18n import LRI, texts

LANGUAGES = ("es", "fr", "pt_BR", "ar")
# Texts that are the same in every language by nature: placeholders only.
SAME_EVERYWHERE = {"safety.status_help_text"}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_translated_with_commands_kept(lang: str) -> None:
    english = texts("en", "safety")
    translated = texts(lang, "safety")
    assert set(translated) == set(english)
    copied = [m for m, text in english.items() if translated[m] == text]
    assert set(copied) <= SAME_EVERYWHERE
    for msgid, text in english.items():
        for command in re.findall(r"/[a-z]+", text):
            assert command in translated[msgid], (msgid, command)


def test_arabic_commands_read_left_to_right() -> None:
    for msgid, text in texts("ar", "safety").items():
        for match in re.finditer(r"/[a-z]", text):
            assert text[: match.start()].endswith(LRI), (msgid, text)
