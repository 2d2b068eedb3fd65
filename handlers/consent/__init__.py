"""Consent: explicit, per scope and per cohort, revocable at any time; silence is never consent.
Others use `has_consent` and `give`; onboarding hands over to `ask_onboarding_scopes`."""

from __future__ import annotations

from handlers.consent.commands import ask_onboarding_scopes, router
from handlers.consent.flow import give, has_consent
from handlers.consent.report import roster_consent_note

__all__ = ["ask_onboarding_scopes", "give", "has_consent", "roster_consent_note", "router"]
