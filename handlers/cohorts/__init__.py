"""Cohorts, membership and roles. Others use `require_open` (a closed cohort takes no new
sessions) and `name_of` (how a member is named), and subscribe to its events: `CohortClosed`,
`RosterShown` (handlers/cohorts/events.py)."""

from __future__ import annotations

from handlers.cohorts.commands import name_of, require_open, router
from handlers.cohorts.events import CohortClosed, RosterShown

__all__ = ["CohortClosed", "RosterShown", "name_of", "require_open", "router"]
