"""What consent's questions and jobs carry (bot/payloads.py)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.payloads import Payload
from handlers.scheduling import OccurrenceJob


@dataclass(frozen=True)
class CheckinQuestion(OccurrenceJob):
    """May this session be recorded? Asked by a check-in job about an occurrence."""

    cohort_id: int | None = None


@dataclass(frozen=True)
class RenewJob(Payload):
    """Ask whether an expired yes (the consent record) still holds."""

    record_id: int | None = None


@dataclass(frozen=True)
class RenewQuestion(Payload):
    """Does the yes to `scope` in the cohort still hold?"""

    record_id: int | None = None
    cohort_id: int | None = None
    scope: str | None = None


@dataclass(frozen=True)
class OnboardingQuestion(Payload):
    """The consent step of joining: the scopes asked one after another, this one at `index`."""

    cohort_id: int | None = None
    scopes: tuple[str, ...] = ()
    index: int | None = None
