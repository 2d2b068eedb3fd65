"""Sending at a homeserver's message rate limit without asking for a 429 each time.

A homeserver does not announce its limits (Synapse's default `rc_message`: 0.2 messages a
second after a burst of 10; none at all for an account exempted with `override_ratelimit`).
Its 429 answers say how long to wait (`retry_after_ms`). With a token bucket, a 429 means the
bucket is empty, so the time from the last message that went through to the end of that wait
is one message's share of the rate. The adapter keeps that gap between messages:
- a 429: nothing goes out before its `retry_after_ms` ran out, and the gap becomes at least
  the time since the last message sent plus that wait;
- a message sent: the next one waits the gap. After HOLD messages without a 429 the gap
  shrinks a little with each one, so a lifted limit is found again (the next 429 sets it back).
A send that would go out too early is answered RETRY_AFTER at once, without asking the
homeserver: the delivery then pauses the whole platform, exactly as for the homeserver's own
429, and the sends queued behind a 429 no longer each earn one."""

from __future__ import annotations

from datetime import datetime, timedelta

HOLD = 20  # messages sent at the learned gap before it starts to shrink
SHRINK = 0.9  # then, the gap after each message sent
FORGET_BELOW = timedelta(milliseconds=20)  # a smaller gap is no gap
RECENT = timedelta(seconds=60)  # a message sent longer ago says nothing about the bucket


class Pacing:
    def __init__(self) -> None:
        self.gap = timedelta(0)
        self._not_before: datetime | None = None
        self._last_sent: datetime | None = None
        self._calm = 0  # messages sent since the last 429

    def wait(self, now: datetime) -> float:
        """Seconds before the next message may go out (0: now)."""
        if self._not_before is None or now >= self._not_before:
            return 0.0
        return (self._not_before - now).total_seconds()

    def limited(self, now: datetime, retry_after_s: float) -> None:
        """The homeserver answered 429 with this wait."""
        wait = timedelta(seconds=retry_after_s)
        since = now - self._last_sent if self._last_sent is not None else RECENT
        share = wait + since if since < RECENT else wait
        self.gap = max(self.gap, share)
        self._not_before = max(self._not_before or now, now + wait)
        self._calm = 0

    def sent(self, now: datetime) -> None:
        self._last_sent = now
        if not self.gap:
            return
        self._not_before = now + self.gap
        self._calm += 1
        if self._calm > HOLD:
            self.gap *= SHRINK
            if self.gap < FORGET_BELOW:
                self.gap = timedelta(0)
