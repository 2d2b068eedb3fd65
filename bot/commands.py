"""Parsing what a person typed: command prefix, name, @bot suffix and quoted arguments."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

PREFIXES = ("/", "!")
_NAME = re.compile(r"^[/!]([A-Za-z][A-Za-z0-9_]{0,31})(?:@([A-Za-z0-9_]+))?(?=\s|$)")
_QUOTES = {'"': '"', "'": "'", "“": "”", "«": "»", "„": "“", "‘": "’", "”": "”"}


@dataclass(frozen=True)
class Args:
    """The words after a command name; a quoted argument keeps its spaces."""

    words: tuple[str, ...]
    raw: str

    def __len__(self) -> int:
        return len(self.words)

    def get(self, index: int, default: str | None = None) -> str | None:
        return self.words[index] if index < len(self.words) else default

    def rest(self, index: int) -> str:
        return " ".join(self.words[index:])


_PICK_NUMBER = re.compile(r"#?([0-9]{1,6})")


def pick_number(text: str | None) -> int | None:
    """A number a person typed to pick something (a session, commitment, announcement, page,
    member): ASCII digits with an optional "#", at most six of them; None for anything else.
    Longer numbers name nothing and would overflow the database's integers; `str.isdigit`
    accepts "²", which `int` refuses."""
    match = _PICK_NUMBER.fullmatch((text or "").strip())
    return int(match.group(1)) if match else None


@dataclass(frozen=True)
class Clauses:
    """Arguments split at keywords (`for 90m every week until 2027-02-02`, `at DATE to
    facilitators`): the words before the first keyword, then each keyword given with the words
    that follow it, in the order written (a flag, such as `recorded`, takes none)."""

    lead: tuple[str, ...]
    values: dict[str, tuple[str, ...]]


class ClauseError(ValueError):
    """`word` cannot be read: a keyword given twice ("repeated"), or a word right after a flag,
    which takes no value ("stray"). Each command says it in its own words."""

    def __init__(self, problem: str, word: str) -> None:
        super().__init__(problem, word)
        self.problem = problem
        self.word = word


def split_clauses(
    words: Sequence[str], keywords: frozenset[str], flags: frozenset[str] = frozenset()
) -> Clauses:
    """Split `words` at `keywords` and `flags` (matched in any case). Raises ClauseError."""
    lead: list[str] = []
    values: dict[str, list[str]] = {}
    current: str | None = None
    for word in words:
        key = word.lower()
        if key in keywords or key in flags:
            if key in values:
                raise ClauseError("repeated", key)
            values[key] = []
            current = None if key in flags else key
        elif current is not None:
            values[current].append(word)
        elif values:
            raise ClauseError("stray", word)
        else:
            lead.append(word)
    return Clauses(tuple(lead), {key: tuple(value) for key, value in values.items()})


@dataclass(frozen=True)
class ParsedCommand:
    name: str
    bot: str | None
    args: Args


def split_words(text: str) -> tuple[str, ...]:
    words: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        closing = _QUOTES.get(ch)
        if closing is not None:
            end = text.find(closing, i + 1)
            if end == -1:  # an unclosed quote takes the rest of the line
                words.append(text[i + 1 :].strip())
                break
            words.append(text[i + 1 : end])
            i = end + 1
            continue
        start = i
        while i < n and not text[i].isspace():
            i += 1
        words.append(text[start:i])
    return tuple(words)


def parse_command(text: str) -> ParsedCommand | None:
    stripped = text.strip()
    match = _NAME.match(stripped)
    if match is None:
        return None
    raw = stripped[match.end() :].strip()
    return ParsedCommand(
        name=match.group(1).lower(), bot=match.group(2), args=Args(split_words(raw), raw)
    )
