"""Every model, imported so that Base.metadata knows all tables (Alembic autogenerate, tests).

Each capability adds its own module here with one import line."""

from __future__ import annotations

from sqlalchemy.orm import configure_mappers

from storage.models.alumni import (
    AlumniContact,
    Commitment,
    CommitmentNote,
    DirectoryEntry,
    MentorOffer,
    MentorPairing,
)
from storage.models.attendance import Attendance
from storage.models.broadcast import Announcement, AnnouncementVariant
from storage.models.cohorts import (
    ROLES,
    STAFF_ROLES,
    BoundChat,
    Cohort,
    FailedJoin,
    Membership,
    Role,
)
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
from storage.models.lease import Lease
from storage.models.link import LinkAttempt, LinkCode
from storage.models.safety import (
    ConductAck,
    ConductText,
    SafetyCheck,
    SafetyCheckAnswer,
    SafetyContact,
    SafetyReport,
    SafetyReportNote,
)
from storage.models.scheduling import ScheduledSession, SessionOccurrence, SessionRsvp
from storage.models.web import CalendarFeed, WebAudit, WebLoginToken, WebSession

__all__ = [
    "ROLES",
    "STAFF_ROLES",
    "AlumniContact",
    "Announcement",
    "AnnouncementVariant",
    "AnonymousDebriefAnswer",
    "Attendance",
    "BoundChat",
    "CalendarFeed",
    "Cohort",
    "Commitment",
    "CommitmentNote",
    "ConductAck",
    "ConductText",
    "ConsentRecord",
    "DebriefAnswer",
    "DebriefPrompt",
    "DebriefRound",
    "DirectoryEntry",
    "FailedJoin",
    "Identity",
    "Job",
    "KeyValue",
    "Lease",
    "LinkAttempt",
    "LinkCode",
    "Membership",
    "MentorOffer",
    "MentorPairing",
    "OutboxMessage",
    "PendingQuestion",
    "Person",
    "ProcessedUpdate",
    "Role",
    "SafetyCheck",
    "SafetyCheckAnswer",
    "SafetyContact",
    "SafetyReport",
    "SafetyReportNote",
    "ScheduledSession",
    "SessionOccurrence",
    "SessionRsvp",
    "WebAudit",
    "WebLoginToken",
    "WebSession",
]

# Every model is imported above: set up the mappers' relationships and attribute instruments now,
# at start, and not at whatever the first ORM query happens to be. Objects built from rows without
# a query (storage.lean.attach) rely on it.
configure_mappers()
