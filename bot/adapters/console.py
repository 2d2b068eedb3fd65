"""The console platform: people are names typed in a terminal or a scenario file."""

from __future__ import annotations

import itertools
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bot.clock import Clock
from bot.messages import Address, Inbound, Outbound, RateLimits, SendResult
from bot.platform import Capabilities, InboundHandler

NAME = "console"


@dataclass(frozen=True)
class ConsoleMessage:
    """What the bot sent, as the console shows it."""

    at: datetime
    chat: str
    to: str | None
    text: str
    choices: tuple[str, ...]
    file: str | None

    def as_json(self) -> dict[str, object]:
        data: dict[str, object] = {
            "at": self.at.isoformat().replace("+00:00", "Z"),
            "chat": self.chat,
            "to": self.to,
            "text": self.text,
            "choices": list(self.choices),
        }
        if self.file is not None:
            data["file"] = self.file
        return data


class ConsolePlatform:
    name = NAME

    def __init__(
        self, clock: Clock, files_dir: Path, sink: Callable[[ConsoleMessage], None]
    ) -> None:
        self.clock = clock
        self.files_dir = files_dir
        self.sink = sink
        self._on_inbound: InboundHandler | None = None
        self._message_ids = itertools.count(1)
        self._update_ids = itertools.count(1)
        self._run = uuid.uuid4().hex[:12]  # update ids stay unique across runs on one database

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities(
            buttons=False, html=False, files=True, max_text=65536, limits=RateLimits()
        )

    async def start(self, on_inbound: InboundHandler) -> None:
        self._on_inbound = on_inbound

    async def stop(self) -> None:
        self._on_inbound = None

    def inbound(self, name: str, text: str, chat: str | None = None) -> Inbound:
        return Inbound(
            platform=NAME,
            update_id=f"{self._run}-{next(self._update_ids)}",
            user_id=name,
            chat=Address(NAME, chat or name, is_group=chat is not None),
            text=text,
            received_at=self.clock.now(),
            display_name=name,
        )

    async def send(self, message: Outbound) -> SendResult:
        file_path = None
        if message.attachment is not None:
            self.files_dir.mkdir(parents=True, exist_ok=True)
            safe = re.sub(r"[^A-Za-z0-9._-]", "_", message.attachment.filename)
            path = self.files_dir / f"{next(self._message_ids)}-{safe}"
            path.write_bytes(message.attachment.content)
            file_path = str(path)
        # A person known only from a group has no private chat yet: on the console their private
        # chat is simply their name.
        chat = message.to.chat_id.removeprefix("user:")
        to = None if message.to.is_group else chat
        self.sink(
            ConsoleMessage(
                at=self.clock.now(),
                chat=chat,
                to=to,
                text=message.text,
                choices=tuple(c.label for c in message.choices),
                file=file_path,
            )
        )
        return SendResult.sent(str(next(self._message_ids)))


def render(message: ConsoleMessage) -> str:
    """A readable transcript line (or lines) for a person reading the terminal."""
    who = message.to if message.to is not None else f"@{message.chat}"
    lines = [f"[{message.at:%Y-%m-%d %H:%M}Z] bot → {who}:"]
    lines += [f"  {line}" for line in message.text.splitlines() or [""]]
    lines += [f"    {i}. {label}" for i, label in enumerate(message.choices, start=1)]
    if message.file:
        lines.append(f"  📎 {message.file}")
    return "\n".join(lines)
