"""`start`: greet, join a cohort when a code is given, then walk a new person through language,
time zone and the privacy notice."""

from __future__ import annotations

from handlers.onboarding.flow import finish, router

__all__ = ["finish", "router"]
