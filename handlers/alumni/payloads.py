"""What the alumni capability's questions and jobs carry (bot/payloads.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.payloads import Payload


@dataclass(frozen=True)
class OfCohort(Payload):
    """The welcome after a cohort closes, and the annual check-in's question."""

    cohort_id: int = 0


@dataclass(frozen=True)
class AnnualCheckin(Payload):
    """The check-in `year` years after the cohort closed."""

    cohort_id: int = 0
    year: int = 1


@dataclass(frozen=True)
class MentorSuggestion(Payload):
    """Shall I ask this mentor? Those already passed over are skipped next time."""

    mentor_id: int = 0
    skip: tuple[int, ...] = ()
    interests: str | None = None


@dataclass(frozen=True)
class MentorAsk(Payload):
    """Ask the mentor of a pairing, saying what the seeker is interested in."""

    pairing_id: int = 0
    interests: str | None = None


@dataclass(frozen=True)
class OfPairing(Payload):
    """A mentoring pairing's request, its lapse, and the check-in a month in."""

    pairing_id: int = 0


@dataclass(frozen=True)
class NudgeJob(Payload):
    """A commitment's nudge fell due (`reason`: before, due, close30...)."""

    commitment_id: int = 0
    reason: str = ""


@dataclass(frozen=True)
class NudgeStatus(Payload):
    """How is this commitment going? The others still to ask about follow (`rest`)."""

    id: int | None = None
    rest: tuple[int, ...] = ()


@dataclass(frozen=True)
class NudgePick(Payload):
    """Which commitment? Its number (the choice key) -> its id."""

    ids: dict[str, int] = field(default_factory=dict)
