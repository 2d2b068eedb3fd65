"""Console scenario files: one event per line, run against the virtual clock.

NAME> TEXT            NAME sends TEXT privately
NAME@CHAT> TEXT       NAME sends TEXT in group chat CHAT
:clock ISO-INSTANT    set the virtual clock (needs an offset or Z)
:advance DURATION     run everything that falls due, in time order (90m, 1h30m, 2d, 6w)
:expect NAME REGEX    the last message to NAME matches (re.search, case-insensitive);
                      named groups become ${name} variables. `:expect @CHAT REGEX` for a group.
:expect-not NAME REGEX  no message to NAME since the last event line matches
# comment
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.adapters.console import ConsoleMessage, ConsolePlatform
from bot.clock import VirtualClock

_EVENT = re.compile(r"^(?P<name>[^\s@>:#][^\s@>]*)(?:@(?P<chat>[^\s>]+))?>\s?(?P<text>.*)$")
_VAR = re.compile(r"\$\{(\w+)\}")
_DURATION = re.compile(r"^(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")


class ScenarioError(Exception):
    def __init__(self, line_no: int, problem: str) -> None:
        super().__init__(f"line {line_no}: {problem}")
        self.line_no = line_no


def parse_span(text: str) -> timedelta | None:
    match = _DURATION.match(text.strip().lower())
    if not text.strip() or match is None or not any(match.groups()):
        return None
    w, d, h, m, s = (int(g) if g else 0 for g in match.groups())
    return timedelta(weeks=w, days=d, hours=h, minutes=m, seconds=s)


@dataclass
class Transcript:
    messages: list[ConsoleMessage] = field(default_factory=list)
    mark: int = 0  # index of the first message after the last event line

    def add(self, message: ConsoleMessage) -> None:
        self.messages.append(message)

    def last_to(self, who: str) -> ConsoleMessage | None:
        for message in reversed(self.messages):
            if self._is_for(message, who):
                return message
        return None

    def since_mark(self, who: str) -> list[ConsoleMessage]:
        return [m for m in self.messages[self.mark :] if self._is_for(m, who)]

    @staticmethod
    def _is_for(message: ConsoleMessage, who: str) -> bool:
        if who.startswith("@"):
            return message.to is None and message.chat == who[1:]
        return message.to == who


Handle = Callable[[str, str, str | None], Awaitable[None]]
Advance = Callable[[datetime], Awaitable[None]]


class ScenarioRunner:
    def __init__(
        self,
        platform: ConsolePlatform,
        clock: VirtualClock,
        transcript: Transcript,
        send: Handle,
        advance_to: Advance,
    ) -> None:
        self.platform = platform
        self.clock = clock
        self.transcript = transcript
        self.send = send
        self.advance_to = advance_to
        self.variables: dict[str, str] = {}

    def _substitute(self, line_no: int, text: str) -> str:
        def value(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in self.variables:
                raise ScenarioError(line_no, f"unknown variable ${{{name}}}")
            return self.variables[name]

        return _VAR.sub(value, text)

    async def run(self, lines: list[str]) -> None:
        for line_no, raw in enumerate(lines, start=1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            line = self._substitute(line_no, line)
            if line.startswith(":"):
                await self._directive(line_no, line)
                continue
            match = _EVENT.match(line)
            if match is None:
                raise ScenarioError(line_no, f"not an event or a directive: {raw.strip()[:80]!r}")
            self.transcript.mark = len(self.transcript.messages)
            await self.send(match.group("name"), match.group("text"), match.group("chat"))

    async def _directive(self, line_no: int, line: str) -> None:
        word, _sep, rest = line.partition(" ")
        rest = rest.strip()
        if word == ":clock":
            try:
                instant = datetime.fromisoformat(rest)
            except ValueError:
                raise ScenarioError(line_no, f"not an ISO instant: {rest!r}") from None
            if instant.tzinfo is None:
                raise ScenarioError(line_no, "the instant needs an offset, e.g. 2026-12-01T09:00Z")
            self.transcript.mark = len(self.transcript.messages)
            if instant > self.clock.now():
                await self.advance_to(instant)
            else:
                self.clock.set(instant)
        elif word == ":advance":
            span = parse_span(rest)
            if span is None:
                raise ScenarioError(line_no, f"not a duration: {rest!r} (e.g. 90m, 1h30m, 2d)")
            self.transcript.mark = len(self.transcript.messages)
            await self.advance_to(self.clock.now() + span)
        elif word in (":expect", ":expect-not"):
            who, _sep, pattern = rest.partition(" ")
            if not who or not pattern:
                raise ScenarioError(line_no, f"usage: {word} NAME REGEX")
            try:
                regex = re.compile(pattern.strip(), re.IGNORECASE | re.DOTALL)
            except re.error as exc:
                raise ScenarioError(line_no, f"bad regular expression: {exc}") from None
            if word == ":expect":
                self._expect(line_no, who, regex)
            else:
                self._expect_not(line_no, who, regex)
        else:
            raise ScenarioError(line_no, f"unknown directive {word}")

    def _expect(self, line_no: int, who: str, regex: re.Pattern[str]) -> None:
        last = self.transcript.last_to(who)
        if last is None:
            raise ScenarioError(line_no, f"expected a message to {who}, none was sent")
        match = regex.search(last.text)
        if match is None:
            raise ScenarioError(
                line_no, f"last message to {who} does not match /{regex.pattern}/: {last.text!r}"
            )
        self.variables.update({k: v for k, v in match.groupdict().items() if v is not None})

    def _expect_not(self, line_no: int, who: str, regex: re.Pattern[str]) -> None:
        for message in self.transcript.since_mark(who):
            if regex.search(message.text):
                raise ScenarioError(
                    line_no,
                    f"unexpected message to {who} matches /{regex.pattern}/: {message.text!r}",
                )
