"""`start`: greet, join a cohort when a code is given, then walk a new person through language,
time zone and the privacy notice. Others subscribe to its events (handlers/onboarding/events.py)
and call `finish` when a step they added is done."""

from __future__ import annotations

from handlers.onboarding.events import PrivacyNoticeRead, StartedWithCode
from handlers.onboarding.flow import finish, router

__all__ = ["PrivacyNoticeRead", "StartedWithCode", "finish", "router"]
