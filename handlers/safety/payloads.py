"""What the safety capability's questions and jobs carry (bot/payloads.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.payloads import OMIT_NONE, Payload


@dataclass(frozen=True)
class OfCheck(Payload):
    """A safety check's fan-out and reminder jobs, its question and the "what do you need?"
    that follows a call for help."""

    check: int


@dataclass(frozen=True)
class OfCohort(Payload):
    """Do you agree to the cohort's code of conduct?"""

    cohort: int


@dataclass(frozen=True)
class ReportDraft(Payload):
    """A confidential report as far as it is written: carried from question to question until
    it is sent (each answer adds its part)."""

    cohort: int
    text: str | None = field(default=None, metadata=OMIT_NONE)
    concerned_text: str | None = field(default=None, metadata=OMIT_NONE)
    concerned_id: int | None = field(default=None, metadata=OMIT_NONE)
    urgency: str | None = field(default=None, metadata=OMIT_NONE)
