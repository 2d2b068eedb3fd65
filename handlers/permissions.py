"""The single authorization table: every command and the roles allowed to run it.

The router refuses to start if a registered command has no entry here, and checks the entry
before any handler runs. `MEMBER` = any role in the current cohort (alumni included)."""

from __future__ import annotations

from bot.authz import ANYONE, CREATOR, MEMBER, Access, roles
from storage.models import STAFF_ROLES
from storage.models.cohorts import Role

STAFF = roles(*STAFF_ROLES)
COORDINATOR = roles(Role.COORDINATOR)

PERMISSIONS: dict[str, Access] = {
    # anyone
    "start": ANYONE,
    "help": ANYONE,
    "join": ANYONE,
    "language": ANYONE,
    "timezone": ANYONE,
    "country": ANYONE,
    "quiet": ANYONE,
    "me": ANYONE,
    "use": ANYONE,
    "mydata": ANYONE,
    "forgetme": ANYONE,
    "link": ANYONE,
    "newcohort": CREATOR,
    # members of the current cohort
    "leave": MEMBER,
    "sessions": MEMBER,
    "rsvp": MEMBER,
    "calendar": MEMBER,
    "debrief": MEMBER,
    "consent": MEMBER,
    "commit": MEMBER,
    "commitments": MEMBER,
    "done": MEMBER,
    "drop": MEMBER,
    "update": MEMBER,
    "directory": MEMBER,
    "alumni": MEMBER,
    "mentor": MEMBER,
    "findmentor": MEMBER,
    "report": MEMBER,  # a confidential safety report (always private)
    "reportreply": MEMBER,  # the handler lets only the report's safety contacts answer it
    "conduct": MEMBER,  # reading it; `conduct set` / `translate` check for a coordinator
    # staff
    "addsession": STAFF,
    "findtime": STAFF,
    "roster": STAFF,
    "debriefs": STAFF,
    "debriefsettings": COORDINATOR,
    "consentreport": STAFF,
    "cancelsession": STAFF,
    "movesession": STAFF,
    "attendance": STAFF,
    "safetycheck": STAFF,
    "safetystatus": STAFF,
    # the web dashboard covers every cohort where the person is staff, whichever is current
    "dashboard": roles(Role.COORDINATOR, Role.FACILITATOR, picks_cohort=True),
    # coordinators
    "announce": COORDINATOR,
    "announcements": COORDINATOR,
    "cancelannouncement": COORDINATOR,
    "translate": COORDINATOR,
    "role": COORDINATOR,
    "closecohort": COORDINATOR,
    "bindchat": roles(Role.COORDINATOR, picks_cohort=True),  # chooses its cohort in a new group
    "consentexpiry": COORDINATOR,
    "safetycontacts": COORDINATOR,
    "discreet": COORDINATOR,
}
