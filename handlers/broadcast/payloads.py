"""What the broadcast capability's questions and jobs carry (bot/payloads.py)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.payloads import Payload


@dataclass(frozen=True)
class OfAnnouncement(Payload):
    """An announcement's confirmation question and its fan-out jobs."""

    announcement: int


@dataclass(frozen=True)
class ReportJob(Payload):
    """Report an announcement's outcome to its author (`check`: how many looks so far)."""

    announcement: int
    check: int = 0
