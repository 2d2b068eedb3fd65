"""What the privacy capability's jobs carry (bot/payloads.py)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.payloads import Payload


@dataclass(frozen=True)
class CleanupJob(Payload):
    """Delete an erased person's goodbye from the outbox once it is out (`since`: when it was
    queued, ISO 8601; `attempt`: how many looks so far)."""

    outbox_key: str
    since: str
    attempt: int = 0
