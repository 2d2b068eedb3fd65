"""FakePlatform: records what the delivery layer sends and answers with scripted results."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime

from bot.clock import Clock
from bot.messages import Outbound, RateLimits, SendResult
from bot.platform import Capabilities, InboundHandler


@dataclass
class Sent:
    at: datetime
    message: Outbound


@dataclass
class FakePlatform:
    clock: Clock
    name: str = "fake"
    limits: RateLimits = field(default_factory=RateLimits)
    script: deque[SendResult] = field(default_factory=deque)
    sent: list[Sent] = field(default_factory=list)
    attempts: list[Sent] = field(default_factory=list)
    on_inbound: InboundHandler | None = None

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities(buttons=True, limits=self.limits)

    async def start(self, on_inbound: InboundHandler) -> None:
        self.on_inbound = on_inbound

    async def stop(self) -> None:
        self.on_inbound = None

    async def send(self, message: Outbound) -> SendResult:
        record = Sent(self.clock.now(), message)
        self.attempts.append(record)
        result = self.script.popleft() if self.script else SendResult.sent(str(len(self.sent)))
        if result.status.value == "sent":
            self.sent.append(record)
        return result
