"""Debriefs after sessions: a short private questionnaire when an occurrence ends, summaries
for facilitators, and the cohort's debrief settings."""

from __future__ import annotations

from handlers.debrief.rounds import router
from handlers.debrief.themes import group

__all__ = ["group", "router"]
