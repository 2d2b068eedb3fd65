"""Small-cell suppression for everything shown to funders or exported as aggregates: a count of
fewer than MIN_CELL people is not shown, and a rate only when the people it counts and the
people it leaves out are each at least MIN_CELL (otherwise "everyone but one" would name that
one). Debrief details follow the chat's own rule: fewer than MIN_GROUP respondents, rate only."""

from __future__ import annotations

from dataclasses import dataclass

MIN_CELL = 3
MIN_GROUP = 3  # as handlers/debrief_summary.py: below it a debrief shows its response rate only


@dataclass(frozen=True)
class Cell:
    """A count as shown: `value` None when suppressed."""

    value: int | None

    @property
    def suppressed(self) -> bool:
        return self.value is None


@dataclass(frozen=True)
class Rate:
    """A share as shown: `percent` None when suppressed or when there is nothing to divide."""

    percent: float | None
    suppressed: bool


def cell(count: int) -> Cell:
    return Cell(count if count >= MIN_CELL else None)


def rate(part: int, whole: int) -> Rate:
    if whole <= 0:
        return Rate(None, False)
    if part < MIN_CELL or whole - part < MIN_CELL:
        return Rate(None, True)
    return Rate(100.0 * part / whole, False)
