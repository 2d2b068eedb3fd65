"""Cohorts, membership and roles: newcohort, join (and `start CODE`), leave, use (membership.py),
role (roles.py), roster (roster.py), bindchat (groups.py), closecohort (closing.py); invite codes
(codes.py) and how members are named and found (names.py).

Others use `require_open` (a closed cohort takes no new sessions) and `name_of` (how a member is
named), and subscribe to its events: `CohortClosed`, `MemberJoined`, `RosterShown` (events.py)."""

from __future__ import annotations

from bot.router import Router
from handlers.cohorts import closing, groups, membership, roles, roster
from handlers.cohorts.events import CohortClosed, MemberJoined, RosterShown
from handlers.cohorts.membership import require_open
from handlers.cohorts.names import contact_of, find_member, name_of

router = Router()
for _module in (membership, roles, roster, groups, closing):
    router.include(_module.router)

__all__ = [
    "CohortClosed",
    "MemberJoined",
    "RosterShown",
    "contact_of",
    "find_member",
    "name_of",
    "require_open",
    "router",
]
