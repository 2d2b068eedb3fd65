"""The console platform: people are names typed in a terminal or a scenario file."""

from __future__ import annotations

import asyncio
import itertools
import re
import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bot.clock import Clock
from bot.messages import Address, Inbound, Outbound, RateLimits, SendResult
from bot.platform import Capabilities, InboundHandler
from storage.files import private_dir, write_private

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

    def _folder(self, chat: str) -> Path:
        return self.files_dir / _safe(chat)

    async def forget_chat(self, chat_id: str) -> None:
        """The person of this private chat was erased: their files (exports, calendars) go."""
        folder = self._folder(chat_id.removeprefix("user:"))
        await asyncio.to_thread(shutil.rmtree, folder, ignore_errors=True)

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
        # A person known only from a group has no private chat yet: on the console their private
        # chat is simply their name.
        chat = message.to.chat_id.removeprefix("user:")
        to = None if message.to.is_group else chat
        file_path = None
        if message.attachment is not None:
            # Each chat's files in a folder of its own, which only the bot's user may read and
            # which goes when the person is erased (`forget_chat`).
            folder = self._folder(chat)
            private_dir(self.files_dir)
            private_dir(folder)
            path = folder / f"{next(self._message_ids)}-{_safe(message.attachment.filename)}"
            write_private(path, message.attachment.content)
            file_path = str(path)
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


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", name)


def render(message: ConsoleMessage) -> str:
    """A readable transcript line (or lines) for a person reading the terminal."""
    who = message.to if message.to is not None else f"@{message.chat}"
    lines = [f"[{message.at:%Y-%m-%d %H:%M}Z] bot → {who}:"]
    lines += [f"  {line}" for line in message.text.splitlines() or [""]]
    lines += [f"    {i}. {label}" for i, label in enumerate(message.choices, start=1)]
    if message.file:
        lines.append(f"  📎 {message.file}")
    return "\n".join(lines)
