"""Matching what a person types to the choices of a question, in every language.

One matcher for every question (the pipeline's plain-text answers) and for the yes/no words
commands take. Typing a choice's label, its number or its key picks it, whatever the case,
accents, Arabic diacritics (tashkeel), tatweel, alef/hamza forms or digit script; and the
localized words for yes, no, skip and cancel ("sí", "oui", "sim", "نعم", "non", "não", "تخطي")
pick the choice whose key means that. Anything that fits two choices picks none.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from bot.i18n import Catalogs, _

# The words people type for these choice keys; each message is a comma-separated list.
WORD_IDS: Mapping[str, str] = MappingProxyType(
    {
        "yes": _("core.words_yes"),
        "no": _("core.words_no"),
        "skip": _("core.words_skip"),
        "cancel": _("core.words_cancel"),
    }
)
# A word class may answer choices with these keys (an "Understood" choice takes a yes).
KEYS_OF_WORDS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {"yes": ("yes", "ok"), "no": ("no",), "skip": ("skip",), "cancel": ("cancel",)}
)

TATWEEL = "\u0640"
# Letters typed interchangeably on Arabic (and Persian) keyboards. The hamza-carrying forms
# (أ إ آ ؤ ئ) decompose under NFKD into a base letter and a combining hamza, dropped below.
_LETTERS = str.maketrans(
    {
        "\u0671": "\u0627",  # alef wasla -> alef
        "\u0649": "\u064a",  # alef maksura -> yeh
        "\u06cc": "\u064a",  # Farsi yeh -> yeh
        "\u06a9": "\u0643",  # keheh -> kaf
        "\u0629": "\u0647",  # teh marbuta -> heh
        "\u0621": "",  # a lone hamza
        TATWEEL: "",
    }
)
_SPACES = re.compile(r"\s+")
# Punctuation around an answer ("Yes!", "«Oui»", "¿sí?", "نعم،") says nothing about the choice.
_EDGES = ".,;:!?¡¿…'\"«»“”„‘’()[]<>*_~-–—،؛؟#"


def digits_to_ascii(text: str) -> str:
    """Arabic-Indic (٠١٢), Eastern Arabic-Indic (۰۱۲) and every other decimal digit -> 0-9."""
    out = []
    for ch in text:
        value = unicodedata.decimal(ch, None) if not ch.isascii() else None
        out.append(str(value) if value is not None else ch)
    return "".join(out)


def fold(text: str) -> str:
    """The form two spellings of one answer share: no case, accents, tashkeel or tatweel, one
    alef, ASCII digits, single spaces, no punctuation around it."""
    decomposed = unicodedata.normalize("NFKD", digits_to_ascii(text))
    # Combining marks (accents, tashkeel, the hamza of أ إ ؤ ئ) and format characters (the
    # isolates around a label's placeholders, RLM, ZWJ) carry no choice of their own.
    bare = "".join(
        ch
        for ch in decomposed
        if not unicodedata.combining(ch) and unicodedata.category(ch) != "Cf"
    )
    bare = unicodedata.normalize("NFC", bare).translate(_LETTERS).casefold()
    return _SPACES.sub(" ", bare).strip(_EDGES + " ")


def split_words(text: str) -> frozenset[str]:
    """A translator's comma-separated word list, folded."""
    return frozenset(f for word in re.split(r"[,،]", text) if (f := fold(word)))


@dataclass(frozen=True)
class AnswerWords:
    """Folded word -> the word class ("yes", "no", "skip", "cancel") it means, from every
    catalog: someone whose profile says English may still answer "oui". A word that means two
    classes in two languages means neither."""

    classes: Mapping[str, str]

    @classmethod
    def from_catalogs(cls, catalogs: Catalogs) -> AnswerWords:
        seen: dict[str, set[str]] = {}
        for lang in (*catalogs.languages, "en"):
            tr = catalogs.translator(lang)
            for word_class, msgid in WORD_IDS.items():
                for word in {word_class, *split_words(tr.t(msgid))}:
                    seen.setdefault(word, set()).add(word_class)
        return cls(MappingProxyType({w: next(iter(c)) for w, c in seen.items() if len(c) == 1}))

    def word_class(self, text: str) -> str | None:
        return self.classes.get(fold(text))


@dataclass(frozen=True)
class Match:
    """What a typed answer picked: a choice (`key`, `label`), or free text (`key` None)."""

    key: str | None
    text: str


def pick_index(text: str, count: int) -> int | None:
    """The 1-based position typed in any digit script ("2", "#2", "٢", "۲"), within count."""
    folded = fold(text)
    if not folded.isascii() or not folded.isdigit() or len(folded) > 6:
        return None
    index = int(folded)
    return index if 1 <= index <= count else None


def match_choice(
    choices: Sequence[tuple[str, str]], text: str, words: AnswerWords
) -> tuple[str, str] | None:
    """The one choice (key, label) the text picks, or None (it fits none, or several).

    In order, the first rule that fits decides: the key (commitment numbers are their keys, and
    a number is never smaller than its position); the position; the label; the localized word
    for the key ("sí" for "yes")."""
    folded = fold(text)
    if not folded:
        return None
    rules: Iterable[list[tuple[str, str]]] = (
        [c for c in choices if fold(c[0]) == folded],
        [choices[i - 1]] if (i := pick_index(text, len(choices))) else [],
        [c for c in choices if fold(c[1]) == folded],
        [c for c in choices if c[0] in KEYS_OF_WORDS.get(words.classes.get(folded, ""), ())],
    )
    for found in rules:
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            return None
    return None


def match_answer(
    choices: Sequence[tuple[str, str]], free_text: bool, text: str, words: AnswerWords
) -> Match | None:
    """A choice, else (for a question that takes any text) the text itself, else None."""
    picked = match_choice(choices, text, words)
    if picked is not None:
        return Match(picked[0], picked[1])
    if free_text and text.strip():
        return Match(None, text.strip())
    return None
