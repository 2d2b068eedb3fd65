"""The world strip's rows: the people who share a time zone and quiet hours make one row, so a
cohort of a thousand in a handful of zones is a handful of rows. People without a zone form one
row of their own, drawn last.

Each row is labelled with the zone's time now and who is in it ("ana, bo and 38 more"), short
enough for the strip's name column; its hover text lists everyone."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.i18n import Translator
from web.pages.common import zone_label
from web.svg import StripRow

# The 210 px name column at the strip's 10 px labels holds about 19.6 em of text (beside its margin).
LABEL_EM = 19.6
SHORTEST_NAME = 4  # names are cut no shorter than this (plus the ellipsis)
NAMED = 3  # up to this many people, a row names them all
ELLIPSIS = "…"


@dataclass(frozen=True)
class StripMember:
    name: str
    zone: str | None  # None: not set yet
    quiet: tuple[time, time] | None  # their quiet hours (local), None = off


@dataclass(frozen=True)
class _Group:
    zone: str | None
    quiet: tuple[time, time] | None
    offset: timedelta  # the zone's UTC offset at the viewer's now
    names: tuple[str, ...]


def strip_rows(tr: Translator, members: Sequence[StripMember], now: datetime) -> list[StripRow]:
    """One row per zone and quiet hours, ordered by UTC offset now (then zone name), the people
    without a zone last."""
    return [_row(tr, group, now) for group in _groups(members, now)]


def _groups(members: Sequence[StripMember], now: datetime) -> list[_Group]:
    names: dict[tuple[str | None, tuple[time, time] | None], list[str]] = {}
    for member in members:
        # Without a zone, quiet hours cannot be placed on the day: one row for all of them.
        key = (member.zone, member.quiet if member.zone else None)
        names.setdefault(key, []).append(member.name)
    groups = [
        _Group(
            zone,
            quiet,
            (now.astimezone(ZoneInfo(zone)).utcoffset() or timedelta(0)) if zone else timedelta(0),
            tuple(sorted(who, key=str.casefold)),
        )
        for (zone, quiet), who in names.items()
    ]
    return sorted(
        groups,
        key=lambda g: (
            g.zone is None,
            g.offset,
            g.zone or "",
            g.quiet is not None,
            g.quiet or (time(0), time(0)),
        ),
    )


def _row(tr: Translator, group: _Group, now: datetime) -> StripRow:
    clock = tr.time(now.astimezone(ZoneInfo(group.zone))) if group.zone else ""
    return StripRow(
        label=row_label(tr, clock, group.names),
        title=f"{zone_label(tr, group.zone)} · {tr.join(list(group.names))}",
        zone=group.zone,
        quiet=group.quiet,
    )


def row_label(tr: Translator, clock: str, names: Sequence[str]) -> str:
    """The zone's time and who ("14:05 · ana, bo and 38 more"), names cut (with an ellipsis) as
    far as needed for the whole to fit the name column; the count is never cut."""
    longest = max((len(name) for name in names), default=0)
    label = _label(tr, clock, names, longest)
    width = longest
    while text_em(label) > LABEL_EM and width > SHORTEST_NAME:
        width -= 1
        label = _label(tr, clock, names, width)
    return label


def _label(tr: Translator, clock: str, names: Sequence[str], width: int) -> str:
    cut = [_cut(name, width) for name in names]
    if len(cut) <= NAMED:
        who = tr.join(cut)
    else:
        first_two = str(tr.locale.list_patterns["standard"]["start"]).format(cut[0], cut[1])
        who = tr.tn("web.strip_more", len(cut) - 2, names=first_two)
    return f"{clock} · {who}" if clock else who


def _cut(name: str, width: int) -> str:
    return name if len(name) <= width else name[:width].rstrip() + ELLIPSIS


# Advance widths (in em) of a common sans-serif, by kind of character: an estimate that errs on the
# wide side, so a label measured to fit does fit.
_NARROW = frozenset("fijlrtI!|.,:;'()[] \u00a0\u202f·")
_WIDE = frozenset("mwMW@%…")


def text_em(text: str) -> float:
    """About how wide `text` is drawn, in em."""
    return sum(_char_em(char) for char in text)


def _char_em(char: str) -> float:
    if unicodedata.category(char) in ("Mn", "Me", "Cf"):
        return 0.0  # combining marks, bidi isolates
    if unicodedata.east_asian_width(char) in ("W", "F"):
        return 1.0
    if "\u0600" <= char <= "\u06ff":
        return 0.55  # Arabic letters
    if char in _NARROW:
        return 0.35
    if char in _WIDE:
        return 0.95
    if char.isupper():
        return 0.72
    return 0.62
