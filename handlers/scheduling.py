"""Scheduling across time zones: sessions, RSVP, reminders, find-a-time, calendar.

The capability is split into small modules (handlers/scheduling_*.py); this one joins their
routers and is where other capabilities import the public API from:

    from handlers.scheduling import Occurrence, upcoming_occurrences, rsvp_of, ...

See handlers/scheduling_api.py for occurrence hooks (debriefs, consent check-ins)."""

from __future__ import annotations

from bot.router import Router
from handlers import (
    scheduling_calendar,
    scheduling_changes,
    scheduling_findtime,
    scheduling_jobs,
    scheduling_list,
    scheduling_rsvp,
    scheduling_sessions,
)
from handlers.scheduling_api import (
    Answers,
    OccurrenceHooks,
    answers_for,
    cancel_occurrence_jobs,
    next_occurrence_answers,
    occurrence_by_id,
    occurrence_hooks,
    occurrence_job_key,
    occurrences_between,
    people_by_rsvp,
    rsvp_of,
    session_members,
    upcoming_occurrences,
)
from handlers.scheduling_core import HORIZON, Occurrence

router = Router()
for _module in (
    scheduling_sessions,
    scheduling_list,
    scheduling_changes,
    scheduling_rsvp,
    scheduling_jobs,
    scheduling_findtime,
    scheduling_calendar,
):
    router.include(_module.router)

__all__ = [
    "HORIZON",
    "Answers",
    "Occurrence",
    "OccurrenceHooks",
    "answers_for",
    "cancel_occurrence_jobs",
    "next_occurrence_answers",
    "occurrence_by_id",
    "occurrence_hooks",
    "occurrence_job_key",
    "occurrences_between",
    "people_by_rsvp",
    "router",
    "rsvp_of",
    "session_members",
    "upcoming_occurrences",
]
