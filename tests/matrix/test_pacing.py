"""The pace the Matrix adapter keeps after a homeserver's 429 (bot/adapters/matrix/pacing.py),
against a token bucket like Synapse's rate limiter."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.adapters.matrix.pacing import HOLD, Pacing

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


class Bucket:
    """Synapse's limiter: `rate` actions a second after a burst; a refused action costs
    nothing and is told how long until the next one is allowed."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self.start, self.count = 0.0, 0.0

    def attempt(self, now: float) -> float:
        """0 when allowed, else the seconds to wait."""
        self.count = max(0.0, self.count - (now - self.start) * self.rate)
        self.start = now
        if self.count + 1 > self.burst + 1e-6:
            return (self.count + 1 - self.burst) / self.rate
        self.count += 1
        return 0.0


def drive(pacing: Pacing, bucket: Bucket, messages: int) -> tuple[int, float]:
    """Send `messages` as the delivery would (waiting whatever RETRY_AFTER says); returns the
    429s the homeserver answered and the time it took."""
    now, refused, sent = 0.0, 0, 0
    while sent < messages:
        wait = pacing.wait(at(now))
        if wait:
            now += max(wait, 0.001)  # whole microseconds in datetimes
            continue
        retry = bucket.attempt(now)
        if retry:
            refused += 1
            pacing.limited(at(now), retry)
            now += retry
        else:
            pacing.sent(at(now))
            sent += 1
            now += 0.05  # the request itself
    return refused, now


def test_no_429_no_pace() -> None:
    pacing = Pacing()
    for n in range(5):
        assert pacing.wait(at(n * 0.01)) == 0
        pacing.sent(at(n * 0.01))


def test_a_429_holds_everything_until_its_wait_ran_out() -> None:
    pacing = Pacing()
    pacing.limited(at(0), 5.0)
    assert pacing.wait(at(1)) == 4.0
    assert pacing.wait(at(5)) == 0


def test_the_gap_is_the_time_since_the_last_message_plus_the_wait() -> None:
    pacing = Pacing()
    pacing.sent(at(0))
    pacing.limited(at(1), 4.0)  # the bucket was emptied at 0 and refills one every 5 s
    assert pacing.gap == timedelta(seconds=5)
    pacing.sent(at(5))
    assert pacing.wait(at(5)) == 5.0


def test_at_synapses_default_limit_few_429s_and_the_full_rate() -> None:
    refused, seconds = drive(Pacing(), Bucket(rate=0.2, burst=10), 100)
    assert refused <= 100 // HOLD + 2  # without pacing: one (or more) for every message
    assert seconds < (100 - 10) / 0.2 * 1.1  # and the rate is used


def test_a_lifted_limit_is_found_again() -> None:
    pacing = Pacing()
    drive(pacing, Bucket(rate=0.2, burst=10), 30)
    refused, seconds = drive(pacing, Bucket(rate=1000, burst=1000), 200)
    assert refused == 0 and pacing.gap == timedelta(0)
    assert seconds < 200  # far less than 200 x 5 s
