"""Command, question, job and event tables. Handler modules each create a Router and register
on it; bot/app.py includes them all into one. No if/elif dispatch anywhere."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from bot.commands import Args
from bot.context import Context
from bot.events import Event, Events


@dataclass(frozen=True)
class Answer:
    question_id: int
    kind: str
    key: str | None  # the chosen choice's key, or None for a free-text answer
    text: str | None  # the free text, or the chosen label
    payload: dict[str, Any]


@dataclass(frozen=True)
class JobInfo:
    id: int
    kind: str
    due_at: datetime
    payload: dict[str, Any]
    person_id: int | None
    cohort_id: int | None
    zone: str | None


CommandHandler = Callable[[Context, Args], Awaitable[None]]
QuestionHandler = Callable[[Context, Answer], Awaitable[None]]
JobHandler = Callable[[Context, JobInfo], Awaitable[None]]
# Runs many due jobs of one kind together (all or nothing); a single one is a batch of one.
JobBatchHandler = Callable[[Context, Sequence[JobInfo]], Awaitable[None]]
E = TypeVar("E", bound=Event)


@dataclass(frozen=True)
class CommandSpec:
    name: str
    handler: CommandHandler
    # In a group chat: answered in the group (True) or privately (False, the default). Only
    # commands whose every answer may be read by anyone in the group are group-safe; the
    # README's Telegram section has the table.
    group_safe: bool
    help_id: str | None  # message id of the one-line description in `help`
    usage: str = ""  # argument syntax shown after the name, e.g. 'CODE'


class Router:
    def __init__(self) -> None:
        self.commands: dict[str, CommandSpec] = {}
        self.aliases: dict[str, str] = {}
        self.questions: dict[str, QuestionHandler] = {}
        self.dropped: dict[str, str] = {}  # question kind -> "your pending ... was cancelled"
        self.jobs: dict[str, JobHandler] = {}
        self.job_batches: dict[str, JobBatchHandler] = {}
        self.events = Events()

    def command(
        self,
        name: str,
        *,
        group_safe: bool = False,
        help_id: str | None = None,
        usage: str = "",
        aliases: tuple[str, ...] = (),
    ) -> Callable[[CommandHandler], CommandHandler]:
        def register(handler: CommandHandler) -> CommandHandler:
            self._add_command(CommandSpec(name, handler, group_safe, help_id, usage))
            for alias in aliases:
                self.aliases[alias] = name
            return handler

        return register

    def question(
        self, kind: str, *, dropped: str | None = None
    ) -> Callable[[QuestionHandler], QuestionHandler]:
        """`dropped`: the message id that tells the person their pending question (a
        confirmation) was cancelled by a new command of theirs; None: dropped silently."""

        def register(handler: QuestionHandler) -> QuestionHandler:
            if kind in self.questions:
                raise ValueError(f"question kind {kind!r} registered twice")
            self.questions[kind] = handler
            if dropped is not None:
                self.dropped[kind] = dropped
            return handler

        return register

    def job(self, kind: str) -> Callable[[JobHandler], JobHandler]:
        def register(handler: JobHandler) -> JobHandler:
            if kind in self.jobs or kind in self.job_batches:
                raise ValueError(f"job kind {kind!r} registered twice")
            self.jobs[kind] = handler
            return handler

        return register

    def job_batch(self, kind: str) -> Callable[[JobBatchHandler], JobBatchHandler]:
        """For a job kind that comes in bursts (e.g. a session's reminders to everyone): the
        handler gets every due job of the kind the runner holds at once."""

        def register(handler: JobBatchHandler) -> JobBatchHandler:
            if kind in self.jobs or kind in self.job_batches:
                raise ValueError(f"job kind {kind!r} registered twice")
            self.job_batches[kind] = handler
            return handler

        return register

    def on(
        self, kind: type[E], *, order: int = 0
    ) -> Callable[
        [Callable[[Context, E], Awaitable[None]]], Callable[[Context, E], Awaitable[None]]
    ]:
        """Subscribe to an event another capability publishes (see bot/events.py). Lower `order`
        runs first; equal ones in the order the routers were included."""

        def register(
            handler: Callable[[Context, E], Awaitable[None]],
        ) -> Callable[[Context, E], Awaitable[None]]:
            self.events.subscribe(kind, handler, order)
            return handler

        return register

    def _add_command(self, spec: CommandSpec) -> None:
        if spec.name in self.commands:
            raise ValueError(f"command {spec.name!r} registered twice")
        self.commands[spec.name] = spec

    def include(self, other: Router) -> None:
        for spec in other.commands.values():
            self._add_command(spec)
        for alias, target in other.aliases.items():
            self.aliases[alias] = target
        for kind, q in other.questions.items():
            self.question(kind, dropped=other.dropped.get(kind))(q)
        for kind, j in other.jobs.items():
            self.job(kind)(j)
        for kind, b in other.job_batches.items():
            self.job_batch(kind)(b)
        self.events.include(other.events)

    def resolve(self, name: str) -> CommandSpec | None:
        return self.commands.get(self.aliases.get(name, name))
