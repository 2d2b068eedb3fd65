"""Consent: explicit, per scope and per cohort, revocable at any time; silence is never consent.
Others use `has_consent` (`consents_of` for many people at once) and `give`, and may subscribe to `ConsentGiven`."""

from __future__ import annotations

from handlers.consent.commands import router
from handlers.consent.events import ConsentGiven
from handlers.consent.flow import consents_of, give, has_consent

__all__ = ["ConsentGiven", "consents_of", "give", "has_consent", "router"]
