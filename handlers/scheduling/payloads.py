"""What scheduling's questions and jobs carry (bot/payloads.py): one declaration per kind,
shared by the code that asks or schedules and the handler that answers or runs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot.payloads import OMIT_NONE, Payload, stored_with
from handlers.scheduling.drafts import Draft


@dataclass(frozen=True)
class OccurrenceJob(Payload):
    """A job about one occurrence (its end, a consent check-in): the occurrence, and the stamp
    of the start it had when the job was planned (moved since: the job is stale)."""

    occurrence_id: int | None = None
    start: str | None = None


@dataclass(frozen=True)
class ReminderJob(OccurrenceJob):
    """A reminder of an occurrence to one person, `lead` minutes before its start."""

    lead: int = 0


@dataclass(frozen=True)
class NoticeJob(Payload):
    """A notice to one member that a session was added, moved or cancelled (`event`); a notice
    about one occurrence names it and its start, a move or cancellation the old start."""

    event: str = ""
    session_id: int | None = None
    occurrence_id: int | None = field(default=None, metadata=stored_with("start"))
    start: str | None = field(default=None, metadata=OMIT_NONE)
    old_start: datetime | None = field(default=None, metadata=OMIT_NONE)


@dataclass(frozen=True)
class RsvpQuestion(Payload):
    """Will you come? About a session's next occurrence (`occurrence_id`) or, without one,
    the whole series."""

    session_id: int | None = None
    occurrence_id: int | None = None


@dataclass(frozen=True)
class CancelScope(Payload):
    """Cancel only the next occurrence (`original`: its unmoved start) or the series?"""

    session_id: int | None = None
    original: datetime | None = None


@dataclass(frozen=True)
class MoveScope(Payload):
    """Move only the next occurrence or the series from it on, to `new_start` (a series in
    `zone`)?"""

    session_id: int | None = None
    original: datetime | None = None
    new_start: datetime | None = None
    zone: str | None = None


@dataclass(frozen=True)
class Confirm(Payload):
    """Schedule or move despite the warnings? `action`: add (a `draft` in `cohort_id`),
    move_one (from `original`) or move_series (in `zone`), to `new_start`."""

    action: str = ""
    draft: Draft | None = field(default=None, metadata=OMIT_NONE)
    cohort_id: int | None = field(default=None, metadata=OMIT_NONE)
    session_id: int | None = field(default=None, metadata=OMIT_NONE)
    original: datetime | None = field(default=None, metadata=OMIT_NONE)
    new_start: datetime | None = field(default=None, metadata=OMIT_NONE)
    zone: str | None = field(default=None, metadata=OMIT_NONE)
