"""Debriefs after sessions: a short private questionnaire when an occurrence ends, summaries
for facilitators, and the cohort's debrief settings."""

from __future__ import annotations

from handlers.debrief.rounds import router

__all__ = ["router"]
