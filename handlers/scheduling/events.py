"""What scheduling tells the others about occurrences (see bot/events.py). Debriefs (after an
occurrence ends) and consent check-ins (before occurrences of recorded sessions) build on these.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.events import Event
from handlers.scheduling.core import Occurrence


@dataclass(frozen=True)
class OccurrenceScheduled(Event):
    """The occurrence entered the scheduling horizon (8 days ahead, by a daily roll), was
    created inside it, or moved: at least once, possibly several times, so subscribers must be
    idempotent (schedule jobs keyed with `occurrence_job_key(...)`: insert-if-absent)."""

    occurrence: Occurrence


@dataclass(frozen=True)
class OccurrenceCancelled(Event):
    """The occurrence was cancelled or moved away; its pending jobs keyed with
    `occurrence_job_key` are already cancelled."""

    occurrence: Occurrence


@dataclass(frozen=True)
class OccurrenceEnded(Event):
    """Published once, at the end of an occurrence that took place."""

    occurrence: Occurrence
