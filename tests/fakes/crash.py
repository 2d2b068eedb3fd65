"""Helpers for crash tests: a worker that SIGKILLs itself at a chosen point, and a platform that
appends every send to a file (fsync'd) -- what the outside world received."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

from bot.messages import Outbound, RateLimits, SendResult
from bot.platform import Capabilities, InboundHandler


class Crash:
    def __init__(self, point: str) -> None:
        kind, _sep, count = point.partition(":")
        self.kind = kind
        self.at = int(count) if count else 0
        self.seen = 0

    def hit(self, kind: str) -> None:
        if kind != self.kind:
            return
        self.seen += 1
        if self.seen == self.at:
            os.kill(os.getpid(), signal.SIGKILL)


class SinkPlatform:
    """Appends every send to a file (fsync'd): what the outside world received."""

    name = "sink"

    def __init__(self, path: Path, crash: Crash) -> None:
        self.path = path
        self.crash = crash

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities(limits=RateLimits())

    async def start(self, on_inbound: InboundHandler) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def send(self, message: Outbound) -> SendResult:
        with self.path.open("a", encoding="utf-8") as fh:
            record = {"key": message.key, "text": message.text, "chat": message.to.chat_id}
            fh.write(json.dumps(record) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        self.crash.hit("send")
        return SendResult.sent()
