"""What the cohorts capability's questions carry (bot/payloads.py)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.payloads import Payload


@dataclass(frozen=True)
class BindPick(Payload):
    """Which cohort should this group chat belong to? `plain`: bound without encryption."""

    platform: str
    chat_id: str
    plain: bool = False


@dataclass(frozen=True)
class CloseConfirm(Payload):
    """Close this cohort?"""

    cohort_id: int
