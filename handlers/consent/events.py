"""What the consent capability tells the others (see bot/events.py)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.events import Event
from handlers.scheduling import Occurrence
from storage.models import Cohort, ConsentRecord, Person


@dataclass(frozen=True)
class ConsentGiven(Event):
    """An answer was appended to the ledger, by any path (command, check-in, onboarding,
    renewal, alumni check-in); `occurrence` is set for a per-session answer."""

    person: Person
    cohort: Cohort
    record: ConsentRecord
    occurrence: Occurrence | None = None

    @property
    def scope(self) -> str:
        return self.record.scope

    @property
    def answer(self) -> str:
        return self.record.answer
