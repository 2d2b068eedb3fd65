"""Every model, imported so that Base.metadata knows all tables (Alembic autogenerate, tests).

Each capability adds its own module here with one import line."""

from __future__ import annotations

from storage.models.alumni import (
    AlumniContact,
    Commitment,
    CommitmentNote,
    DirectoryEntry,
    MentorOffer,
    MentorPairing,
)
from storage.models.broadcast import Announcement, AnnouncementVariant
from storage.models.cohorts import ROLES, BoundChat, Cohort, FailedJoin, Membership
from storage.models.consent import ConsentRecord
from storage.models.core import (
    Identity,
    Job,
    KeyValue,
    OutboxMessage,
    PendingQuestion,
    Person,
    ProcessedUpdate,
)
from storage.models.debrief import (
    AnonymousDebriefAnswer,
    DebriefAnswer,
    DebriefPrompt,
    DebriefRound,
)
from storage.models.link import LinkAttempt, LinkCode
from storage.models.scheduling import ScheduledSession, SessionOccurrence, SessionRsvp

__all__ = [
    "AlumniContact",
    "Commitment",
    "CommitmentNote",
    "DirectoryEntry",
    "MentorOffer",
    "MentorPairing",
    "Announcement",
    "AnnouncementVariant",
    "AnonymousDebriefAnswer",
    "ROLES",
    "BoundChat",
    "Cohort",
    "ConsentRecord",
    "DebriefAnswer",
    "DebriefPrompt",
    "DebriefRound",
    "FailedJoin",
    "Identity",
    "Job",
    "KeyValue",
    "LinkAttempt",
    "LinkCode",
    "Membership",
    "OutboxMessage",
    "PendingQuestion",
    "Person",
    "ProcessedUpdate",
    "ScheduledSession",
    "SessionOccurrence",
    "SessionRsvp",
]
