"""Scheduling across time zones: sessions, RSVP, reminders, find-a-time, calendar.

The capability is split into small modules (handlers/scheduling/*.py); this one joins their
routers and is where other capabilities import the public API from:

    from handlers.scheduling import Occurrence, upcoming_occurrences, rsvp_of, ...

Other capabilities react to occurrences through the events in handlers/scheduling/events.py
(debriefs, consent check-ins)."""

from __future__ import annotations

from bot.router import Router
from handlers.scheduling import calendar, changes, findtime, jobs, listing, rsvp, sessions
from handlers.scheduling.api import (
    Answers,
    answers_for,
    cancel_occurrence_jobs,
    next_occurrence_answers,
    occurrence_by_id,
    occurrence_job_key,
    occurrences_between,
    people_by_rsvp,
    rsvp_of,
    session_members,
    upcoming_occurrences,
)
from handlers.scheduling.calendar import build_calendar
from handlers.scheduling.core import HORIZON, LOOK_AHEAD, Occurrence
from handlers.scheduling.events import OccurrenceCancelled, OccurrenceEnded, OccurrenceScheduled
from handlers.scheduling.payloads import OccurrenceJob
from handlers.scheduling.text import duration_text, when_short

router = Router()
for _module in (sessions, listing, changes, rsvp, jobs, findtime, calendar):
    router.include(_module.router)

__all__ = [
    "HORIZON",
    "LOOK_AHEAD",
    "Answers",
    "Occurrence",
    "OccurrenceCancelled",
    "OccurrenceEnded",
    "OccurrenceJob",
    "OccurrenceScheduled",
    "answers_for",
    "build_calendar",
    "cancel_occurrence_jobs",
    "duration_text",
    "next_occurrence_answers",
    "occurrence_by_id",
    "occurrence_job_key",
    "occurrences_between",
    "people_by_rsvp",
    "router",
    "rsvp_of",
    "session_members",
    "upcoming_occurrences",
    "when_short",
]
