"""The alumni network: what happens when a cohort closes (welcome, nudges, annual check-ins),
commitments, the opt-in directory and mentoring."""

from __future__ import annotations

from handlers.alumni.checkins import cohort_closed, router

__all__ = ["cohort_closed", "router"]
