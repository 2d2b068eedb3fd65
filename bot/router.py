"""Command, question, job and event tables. Handler modules each create a Router and register
on it; bot/app.py includes them all into one. No if/elif dispatch anywhere."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Generic, overload

from bot.commands import Args
from bot.context import Context
from bot.events import Event, Events
from bot.payloads import NoPayload, Payload, check_declaration

# A question's or job's payload class (bot/payloads.py), declared where the kind is registered;
# a bare `JobInfo` or `Answer` carries none (the default, PEP 696, is for the type checker only).
if TYPE_CHECKING:
    from typing_extensions import TypeVar

    P = TypeVar("P", bound=Payload, default=NoPayload)
else:
    from typing import TypeVar

    P = TypeVar("P", bound=Payload)


@dataclass(frozen=True)
class Answer(Generic[P]):
    question_id: int
    kind: str
    key: str | None  # the chosen choice's key, or None for a free-text answer
    text: str | None  # the free text, or the chosen label
    data: P  # the question's payload, decoded


@dataclass(frozen=True)
class JobInfo(Generic[P]):
    id: int
    kind: str
    due_at: datetime
    payload: dict[str, Any]  # as stored (its texts are kept out of the logs)
    person_id: int | None
    cohort_id: int | None
    zone: str | None
    data: P  # the payload, decoded

    def at(self, now: datetime) -> datetime:
        """The instant this job is judged and its messages go out: its due instant when it
        runs ahead of it, else now."""
        return max(now, self.due_at)


def by_payload(
    jobs: Sequence[JobInfo[P]], key: Callable[[P], int | None]
) -> dict[int, list[JobInfo[P]]]:
    """A batch's jobs for a person, grouped by one id in their payloads (an occurrence, a
    round), in the batch's order; jobs without that id or without a person are left out."""
    groups: dict[int, list[JobInfo[P]]] = {}
    for job in jobs:
        found = key(job.data)
        if found is not None and job.person_id is not None:
            groups.setdefault(found, []).append(job)
    return groups


CommandHandler = Callable[[Context, Args], Awaitable[None]]
QuestionHandler = Callable[[Context, Answer[P]], Awaitable[None]]
JobHandler = Callable[[Context, JobInfo[P]], Awaitable[None]]
# Runs many due jobs of one kind together (all or nothing); a single one is a batch of one.
JobBatchHandler = Callable[[Context, Sequence[JobInfo[P]]], Awaitable[None]]
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
        self.questions: dict[str, QuestionHandler[Any]] = {}
        self.dropped: dict[str, str] = {}  # question kind -> "your pending ... was cancelled"
        self.jobs: dict[str, JobHandler[Any]] = {}
        self.job_batches: dict[str, JobBatchHandler[Any]] = {}
        # kind -> the payload class its rows carry (NoPayload when none was declared)
        self.question_payloads: dict[str, type[Payload]] = {}
        self.job_payloads: dict[str, type[Payload]] = {}
        # Kinds that may run a little before they are due (real time; see bot/scheduler.py):
        # everything they do is send messages, each held until its own job's instant.
        self.ahead: set[str] = set()
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

    @overload
    def question(
        self, kind: str, *, dropped: str | None = None
    ) -> Callable[[QuestionHandler[NoPayload]], QuestionHandler[NoPayload]]: ...
    @overload
    def question(
        self, kind: str, *, payload: type[P], dropped: str | None = None
    ) -> Callable[[QuestionHandler[P]], QuestionHandler[P]]: ...
    def question(
        self, kind: str, *, payload: type[Payload] = NoPayload, dropped: str | None = None
    ) -> Callable[[QuestionHandler[Any]], QuestionHandler[Any]]:
        """`payload`: the class of what the question carries (the handler gets it decoded as
        `answer.data`). `dropped`: the message id that tells the person their pending question
        (a confirmation) was cancelled by a new command of theirs; None: dropped silently."""
        check_declaration(payload)

        def register(handler: QuestionHandler[Any]) -> QuestionHandler[Any]:
            if kind in self.questions:
                raise ValueError(f"question kind {kind!r} registered twice")
            self.questions[kind] = handler
            self.question_payloads[kind] = payload
            if dropped is not None:
                self.dropped[kind] = dropped
            return handler

        return register

    @overload
    def job(self, kind: str) -> Callable[[JobHandler[NoPayload]], JobHandler[NoPayload]]: ...
    @overload
    def job(self, kind: str, *, payload: type[P]) -> Callable[[JobHandler[P]], JobHandler[P]]: ...
    def job(
        self, kind: str, *, payload: type[Payload] = NoPayload
    ) -> Callable[[JobHandler[Any]], JobHandler[Any]]:
        """`payload`: the class of what the job carries (the handler gets it as `job.data`)."""
        check_declaration(payload)

        def register(handler: JobHandler[Any]) -> JobHandler[Any]:
            self._new_job_kind(kind, payload)
            self.jobs[kind] = handler
            return handler

        return register

    @overload
    def job_batch(
        self, kind: str, *, ahead: bool = False
    ) -> Callable[[JobBatchHandler[NoPayload]], JobBatchHandler[NoPayload]]: ...
    @overload
    def job_batch(
        self, kind: str, *, payload: type[P], ahead: bool = False
    ) -> Callable[[JobBatchHandler[P]], JobBatchHandler[P]]: ...
    def job_batch(
        self, kind: str, *, payload: type[Payload] = NoPayload, ahead: bool = False
    ) -> Callable[[JobBatchHandler[Any]], JobBatchHandler[Any]]:
        """For a job kind that comes in bursts (e.g. a session's reminders to everyone): the
        handler gets every due job of the kind the runner holds at once.

        `ahead`: in real time the runner may take these jobs up to `scheduler.AHEAD` before
        they are due, with others due about then, in one transaction. The handler must then
        judge each job at its own instant (`JobInfo.at`) and only send messages, each held
        until that instant (`Ask.at`), so what the person gets, and when, is the same."""
        check_declaration(payload)

        def register(handler: JobBatchHandler[Any]) -> JobBatchHandler[Any]:
            self._new_job_kind(kind, payload)
            self.job_batches[kind] = handler
            if ahead:
                self.ahead.add(kind)
            return handler

        return register

    def _new_job_kind(self, kind: str, payload: type[Payload]) -> None:
        if kind in self.jobs or kind in self.job_batches:
            raise ValueError(f"job kind {kind!r} registered twice")
        self.job_payloads[kind] = payload

    def answer(
        self, kind: str, question_id: int, key: str | None, text: str | None, raw: dict[str, Any]
    ) -> Answer[Any]:
        """An answer to a question of `kind`, its stored payload decoded (`PayloadError` when
        it does not fit the kind's class)."""
        data = self.question_payloads.get(kind, NoPayload).decode(raw, kind)
        return Answer(question_id, kind, key, text, data)

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
            payload = other.question_payloads[kind]
            self.question(kind, payload=payload, dropped=other.dropped.get(kind))(q)
        for kind, j in other.jobs.items():
            self.job(kind, payload=other.job_payloads[kind])(j)
        for kind, b in other.job_batches.items():
            self.job_batch(kind, payload=other.job_payloads[kind], ahead=kind in other.ahead)(b)
        self.events.include(other.events)

    def resolve(self, name: str) -> CommandSpec | None:
        return self.commands.get(self.aliases.get(name, name))
