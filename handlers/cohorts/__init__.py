"""Cohorts, membership and roles. Others use `join_by_code`, `require_open` (a closed cohort
takes no new sessions) and `name_of` (how a member is named)."""

from __future__ import annotations

from handlers.cohorts.commands import join_by_code, name_of, require_open, router

__all__ = ["join_by_code", "name_of", "require_open", "router"]
