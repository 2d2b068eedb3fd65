"""What onboarding tells the others (see bot/events.py)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.events import Event


@dataclass(frozen=True)
class StartedWithCode(Event):
    """`start CODE` (a cohort's invite link opens the bot with it): the cohorts capability joins
    the person to that cohort before onboarding goes on. A refusal (a closed cohort, a group
    chat) ends `start` there."""

    code: str


@dataclass(frozen=True)
class PrivacyNoticeRead(Event):
    """The person answered the privacy notice, the last step onboarding asks itself. A
    capability with a step of its own to add (consent asks each core scope) takes over by moving
    `person.onboarding_step` on and calls `handlers.onboarding.finish` when done; if none did,
    onboarding finishes at once."""
