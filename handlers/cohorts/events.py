"""What the cohorts capability tells the others (see bot/events.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from bot.events import Event
from storage.models import Cohort
from storage.repositories.cohorts import RosterRow


@dataclass(frozen=True)
class CohortClosed(Event):
    """A coordinator closed the cohort: roles have changed (everyone but the staff is alumni)
    and members were told. Published in the same unit of work, so a subscriber's error leaves
    the cohort open."""

    cohort: Cohort


@dataclass(frozen=True)
class RosterShown(Event):
    """`roster` is showing these rows: subscribers add per-member facts (consent, RSVP) as short
    texts in the reader's language, shown after each member's line in subscription order."""

    cohort: Cohort
    rows: Sequence[RosterRow]
    notes: dict[int, list[str]] = field(default_factory=dict)

    def add(self, found: Mapping[int, str]) -> None:
        """Person id -> one note for that member's line."""
        for person_id, text in found.items():
            self.notes.setdefault(person_id, []).append(text)


@dataclass(frozen=True)
class MemberJoined(Event):
    """The acting person has just joined the cohort (`join`, `start CODE`), in the same unit of
    work: a capability with something every new member must see (the code of conduct) shows it."""

    cohort: Cohort
