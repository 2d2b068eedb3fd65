"""What the debrief capability's questions and jobs carry (bot/payloads.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot.payloads import OMIT_NONE, Payload


@dataclass(frozen=True)
class RoundJob(Payload):
    """A round's prompt, reminder and closing jobs; a prompt's questions stay open until
    `expires` (its own window, within the round's)."""

    round_id: int | None = None
    expires: datetime | None = field(default=None, metadata=OMIT_NONE)


@dataclass(frozen=True)
class StepQuestion(Payload):
    """One step of a person's debrief (a later step makes this question stale)."""

    prompt_id: int | None = None
    step: str | None = None


@dataclass(frozen=True)
class TalkQuestion(Payload):
    """Would you like to talk to someone? Offered after a low rating."""

    round_id: int | None = None
    cohort_id: int | None = None
