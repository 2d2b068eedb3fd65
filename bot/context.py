"""The Context a handler (or a job) works with: who, where, which cohort, in which language."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Table, insert
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.ext.asyncio import AsyncSession

from bot.authz import Access
from bot.clock import Clock
from bot.config import Config
from bot.events import Event, Events
from bot.examples import example_dates
from bot.i18n import Catalogs, Translator
from bot.messages import Address, Attachment, Choice, Inbound, QuestionRef
from bot.outbox import (
    PRIORITY_NOTICE,
    PRIORITY_REPLY,
    NewJob,
    NewMessage,
    enqueue_many,
    enqueue_message,
    schedule_job,
    schedule_jobs,
)
from bot.payloads import Payload
from bot.platform import Capabilities
from bot.question_tags import new_nonce, ref_of
from bot.unprompted import quiet_until
from storage.models import Cohort, Identity, PendingQuestion, Person
from storage.models.cohorts import is_discreet
from storage.repositories.people import (
    PrivateChat,
    people_by_ids,
    preferred_identities,
    preferred_identity,
)

if TYPE_CHECKING:
    from bot.router import JobInfo


@dataclass(frozen=True)
class Ask:
    """One question of `Context.ask_many`."""

    person_id: int
    text: str
    choices: tuple[Choice, ...]
    key: str  # the message's idempotency key
    payload: Payload | None = None
    expires_at: datetime | None = None
    free_text: bool = False  # any text answers it, not only a choice
    at: datetime | None = None  # held until then (a job run ahead of its instant); None: now


@dataclass(frozen=True)
class Tell:
    """One message of `Context.tell_many`."""

    person_id: int
    text: str
    key: str  # the message's idempotency key


async def _forget_nothing(_platform: str, _chat_id: str) -> None:
    return None


@dataclass
class Services:
    """Long-lived, read-mostly things every handler may use. Built once by bot/app.py."""

    config: Config
    catalogs: Catalogs
    clock: Clock
    zones: Any  # bot.zones.ZoneDirectory
    capabilities: dict[str, Capabilities] = field(default_factory=dict)
    bot_names: dict[str, str] = field(default_factory=dict)  # platform -> bot username
    files_dir: str = ""
    # command name -> (help message id, usage, access); filled by bot/app.py for `help`
    commands: dict[str, tuple[str | None, str, Access]] = field(default_factory=dict)
    # Removes what a platform keeps of a private chat outside the database (the console's
    # files) once its person is erased: (platform, chat id). Wired by bot/app.py.
    forget_chat: Callable[[str, str], Awaitable[None]] = _forget_nothing
    # Who reacts to which event: the router's subscribers, wired by bot/app.py.
    events: Events = field(default_factory=Events)


def private_address(identity: Identity | PrivateChat) -> Address:
    chat = identity.private_chat_id or f"user:{identity.external_id}"
    return Address(identity.platform, chat, is_group=False)


class Context:
    """One unit of work: an inbound update or a job, with its database session."""

    def __init__(
        self,
        *,
        session: AsyncSession,
        services: Services,
        person: Person | None,
        identity: Identity | None = None,
        inbound: Inbound | None = None,
        key_prefix: str,
        unprompted: str | None = None,
    ) -> None:
        self.session = session
        # What this unit of work sends unprompted, as bot/unprompted.py names it: a job's kind.
        self.unprompted = unprompted
        self.services = services
        self.person = person
        self.identity = identity
        self.inbound = inbound
        self.now: datetime = services.clock.now()
        self.cohort: Cohort | None = None
        self.role: str | None = None
        self.reply_to: Address | None = None
        # Whether the person may have questions a new command cancels (the pipeline knows).
        self.open_questions = True
        if identity is not None:
            self.reply_to = inbound.chat if inbound is not None else private_address(identity)
        self._key_prefix = key_prefix
        self._sent = 0
        lang = person.language if person is not None else None
        self.tr: Translator = services.catalogs.translator(
            lang or services.config.bot.default_language
        )

    def for_job(self, job_id: int, person: Person | None) -> Context:
        """A context for one job of a batch, in the batch's session: its own person, and message
        keys of its own (`job:<id>:<n>`, the same as when the job runs alone)."""
        return Context(
            session=self.session,
            services=self.services,
            person=person,
            key_prefix=f"job:{job_id}",
            unprompted=self.unprompted,
        )

    # Who and where ---------------------------------------------------------------------------
    @property
    def config(self) -> Config:
        return self.services.config

    @property
    def zone(self) -> ZoneInfo:
        return self.zone_of(self.person)

    def zone_of(self, person: Person | None) -> ZoneInfo:
        if person is not None and person.timezone:
            return ZoneInfo(person.timezone)
        if self.cohort is not None and self.cohort.zone:
            return ZoneInfo(self.cohort.zone)
        return ZoneInfo("UTC")

    @property
    def in_group(self) -> bool:
        return self.inbound is not None and self.inbound.chat.is_group

    @property
    def protect(self) -> bool:
        """Whether what this unit of work sends is protected from forwarding and saving: it acts
        in a cohort in discreet mode."""
        return is_discreet(self.cohort)

    def require_person(self) -> Person:
        if self.person is None:  # pragma: no cover - a handler bug
            raise RuntimeError("this handler needs a person")
        return self.person

    def require_cohort(self) -> Cohort:
        """The cohort this command works in; for commands the permission table gives one."""
        if self.cohort is None:  # pragma: no cover - a handler bug
            raise RuntimeError("this handler needs a cohort")
        return self.cohort

    def translator_for(self, person: Person | None) -> Translator:
        lang = person.language if person is not None else None
        return self.services.catalogs.translator(lang or self.config.bot.default_language)

    async def _language_of(self, person_id: int | None) -> str | None:
        """The reader's language, carried by a protected message (None otherwise)."""
        if not self.protect or person_id is None:
            return None
        reader = await self.session.get(Person, person_id)  # loaded already, as a rule
        return self.translator_for(reader).lang if reader is not None else None

    async def _languages_of(self, person_ids: Iterable[int]) -> dict[int, str]:
        """`_language_of` for many readers at once (empty when messages are not protected)."""
        if not self.protect:
            return {}
        readers = await self.people(person_ids)
        return {pid: self.translator_for(reader).lang for pid, reader in readers.items()}

    def t(self, msgid: str, **params: object) -> str:
        return self.tr.t(msgid, **self._examples(params))

    def tn(self, msgid: str, n: int, **params: object) -> str:
        return self.tr.tn(msgid, n, **self._examples(params))

    def _examples(self, params: dict[str, object]) -> dict[str, object]:
        """The example dates ({ex_when}...) relative to today in this person's zone, under the
        given parameters: help and error replies never show an example already in the past."""
        return {**example_dates(self.now, self.zone), **params}

    def next_key(self) -> str:
        self._sent += 1
        return f"{self._key_prefix}:{self._sent}"

    # Sending ---------------------------------------------------------------------------------
    async def reply(
        self,
        msgid: str,
        *,
        choices: Sequence[Choice] = (),
        attachment: Attachment | None = None,
        **params: object,
    ) -> None:
        await self.say(self.t(msgid, **params), choices=choices, attachment=attachment)

    async def say(
        self,
        text: str,
        *,
        choices: Sequence[Choice] = (),
        attachment: Attachment | None = None,
        question: QuestionRef | None = None,
    ) -> None:
        """Send already-rendered text to where this update should be answered."""
        if self.reply_to is None:
            if self.person is None:
                return
            await self.send_to_person(
                self.person.id,
                text,
                choices=choices,
                attachment=attachment,
                question=question,
            )
            return
        await enqueue_message(
            self.session,
            key=self.next_key(),
            to=self.reply_to,
            text=text,
            now=self.now,
            choices=choices,
            question=question,
            attachment=attachment,
            person_id=self.person.id if self.person and not self.reply_to.is_group else None,
            priority=PRIORITY_REPLY,
            protect=self.protect,
            language=await self._language_of(
                None if self.reply_to.is_group or self.person is None else self.person.id
            ),
        )

    async def send_to_person(
        self,
        person_id: int,
        text: str,
        *,
        choices: Sequence[Choice] = (),
        attachment: Attachment | None = None,
        question: QuestionRef | None = None,
        not_before: datetime | None = None,
        priority: int = PRIORITY_NOTICE,
        key: str | None = None,
        unprompted: str | None = None,
    ) -> bool:
        """Send rendered text privately to a person on their preferred platform. A message to
        someone other than the person acting is unprompted: its kind (`unprompted`, else this
        job's) decides in bot/unprompted.py whether it waits for their quiet hours to end."""
        identity = await preferred_identity(self.session, person_id)
        if identity is None:
            return False
        kind = unprompted or self.unprompted
        if kind is not None or self.person is None or person_id != self.person.id:
            later = self._quiet_end(kind, await self.session.get(Person, person_id))
            if later is not None and (not_before is None or later > not_before):
                not_before = later
        return await enqueue_message(
            self.session,
            key=key or self.next_key(),
            to=private_address(identity),
            text=text,
            now=self.now,
            choices=choices,
            question=question,
            attachment=attachment,
            person_id=person_id,
            not_before=not_before,
            priority=priority,
            protect=self.protect,
            language=await self._language_of(person_id),
        )

    async def notify(
        self, person: Person, msgid: str, *, unprompted: str | None = None, **params: object
    ) -> bool:
        """A message id rendered in `person`'s own language, sent to them privately."""
        text = self.translator_for(person).t(msgid, **params)
        return await self.send_to_person(person.id, text, unprompted=unprompted)

    async def send_to_chat(self, address: Address, text: str, *, key: str | None = None) -> None:
        await enqueue_message(
            self.session,
            key=key or self.next_key(),
            to=address,
            text=text,
            now=self.now,
            priority=PRIORITY_NOTICE,
            protect=self.protect,
        )

    async def people(self, ids: Iterable[int]) -> dict[int, Person]:
        """People by id: those this unit of work holds already (a job batch's people, loaded
        with the batch) without a query, any others in one."""
        found: dict[int, Person] = {}
        missing: list[int] = []
        identity = self.session.sync_session.identity_map
        for person_id in dict.fromkeys(ids):
            held = identity.get(_PERSON.identity_key_from_primary_key((person_id,)))
            if isinstance(held, Person):
                found[person_id] = held
            else:
                missing.append(person_id)
        if missing:
            found.update(
                (person.id, person) for person in await people_by_ids(self.session, missing)
            )
        return found

    # Events ----------------------------------------------------------------------------------
    async def publish(self, event: Event) -> None:
        """Tell the capabilities subscribed to this event's type, in this unit of work."""
        await self.services.events.publish(self, event)

    # Questions -------------------------------------------------------------------------------
    async def ask(
        self,
        kind: str,
        text: str,
        choices: Sequence[Choice] = (),
        *,
        payload: Payload | None = None,
        free_text: bool = False,
        person: Person | None = None,
        expires_in: timedelta | None = None,
        sticky: bool = False,
        privately: bool = False,
    ) -> int:
        """Ask `person` (default: the sender) a question, answered by button, number, label or,
        with free_text, any text. `sticky` questions survive the person's next command."""
        target = person or self.require_person()
        question = PendingQuestion(
            person_id=target.id,
            kind=kind,
            nonce=new_nonce(),
            payload=payload.encode() if payload is not None else {},
            sticky=sticky,
            choices=[[c.key, c.label] for c in choices],
            free_text=free_text,
            created_at=self.now,
            expires_at=self.now + expires_in if expires_in else None,
        )
        self.session.add(question)
        await self.session.flush()
        asking_sender = person is None or (self.person is not None and person.id == self.person.id)
        ref = ref_of(question.id, kind, question.nonce)
        if asking_sender and not privately and self.reply_to is not None:
            await self.say(text, choices=choices, question=ref)
        else:
            await self.send_to_person(target.id, text, choices=choices, question=ref)
        return question.id

    async def ask_many(self, kind: str, asks: Sequence[Ask], *, sticky: bool = False) -> list[int]:
        """Many questions at once, each to its person privately, as `ask(person=...)` would:
        the questions in one statement, one query for where to reach everyone, the messages in
        one statement. For jobs run in batches (see bot/scheduler.py). Returns the questions'
        ids, in the order of `asks`."""
        if not asks:
            return []
        nonces = _distinct_nonces(len(asks))
        # Each new row is known by its nonce (distinct within the statement): asking the
        # database for the ids in the order given would make SQLite insert row by row.
        found = await self.session.execute(
            _ASK_MANY,
            [
                {
                    "person_id": a.person_id,
                    "kind": kind,
                    "nonce": nonce,
                    "payload": a.payload.encode() if a.payload is not None else {},
                    "sticky": sticky,
                    "choices": [[c.key, c.label] for c in a.choices],
                    "free_text": a.free_text,
                    "created_at": self.now,
                    "expires_at": a.expires_at,
                }
                for a, nonce in zip(asks, nonces, strict=True)
            ],
        )
        by_nonce: dict[str, int] = {nonce: question_id for nonce, question_id in found}
        question_ids = [by_nonce[nonce] for nonce in nonces]
        reach = await preferred_identities(self.session, [a.person_id for a in asks])
        languages = await self._languages_of(a.person_id for a in asks)
        await enqueue_many(
            self.session,
            [
                NewMessage(
                    key=a.key,
                    to=private_address(reach[a.person_id]),
                    text=a.text,
                    choices=a.choices,
                    question=ref_of(question_id, kind, nonce),
                    person_id=a.person_id,
                    protect=self.protect,
                    language=languages.get(a.person_id),
                    not_before=a.at,
                )
                for a, question_id, nonce in zip(asks, question_ids, nonces, strict=True)
                if a.person_id in reach
            ],
            self.now,
        )
        return question_ids

    def _quiet_end(self, kind: str | None, reader: Person | None) -> datetime | None:
        """When a message of `kind` may reach `reader` (bot/unprompted.py): None for now."""
        if reader is None:
            return None
        fallback = self.cohort.zone if self.cohort is not None else None
        return quiet_until(kind, reader, self.config, self.now, fallback)

    async def tell_many(self, tells: Sequence[Tell]) -> None:
        """Many messages at once, each to its person privately, as `send_to_person` would (each
        waiting for the end of its reader's quiet hours as this job's kind says): one query for
        where to reach everyone, the messages in one statement. For jobs run in batches."""
        if not tells:
            return
        ids = [tell.person_id for tell in tells]
        reach = await preferred_identities(self.session, ids)
        readers = await self.people(ids)
        languages = await self._languages_of(ids)
        messages = []
        for tell in tells:
            identity = reach.get(tell.person_id)
            if identity is None:
                continue
            later = self._quiet_end(self.unprompted, readers.get(tell.person_id))
            messages.append(
                NewMessage(
                    key=tell.key,
                    to=private_address(identity),
                    text=tell.text,
                    person_id=tell.person_id,
                    not_before=later,
                    protect=self.protect,
                    language=languages.get(tell.person_id),
                )
            )
        await enqueue_many(self.session, messages, self.now)

    async def schedule(
        self,
        kind: str,
        due_at: datetime,
        key: str,
        payload: Payload | None = None,
        *,
        person_id: int | None = None,
        cohort_id: int | None = None,
        zone: str | None = None,
    ) -> bool:
        return await schedule_job(
            self.session,
            kind=kind,
            due_at=due_at,
            key=key,
            now=self.now,
            payload=payload,
            person_id=person_id,
            cohort_id=cohort_id,
            zone=zone,
        )

    async def defer(self, job: JobInfo[Any], when: datetime, key: str) -> bool:
        """Run the job being handled once more at `when` (past the reader's quiet hours, after
        the weekly rest...): same kind, payload (as stored), person and cohort; `key` names
        this later run."""
        return await schedule_job(
            self.session,
            kind=job.kind,
            due_at=when,
            key=key,
            now=self.now,
            payload=job.payload,
            person_id=job.person_id,
            cohort_id=job.cohort_id,
        )

    async def schedule_many(self, jobs: Sequence[NewJob]) -> None:
        """`schedule` for many jobs at once (one statement over all of them, in order)."""
        await schedule_jobs(self.session, jobs, self.now)


def _distinct_nonces(count: int) -> list[str]:
    """`count` new nonces, no two alike."""
    nonces: set[str] = set()
    while len(nonces) < count:
        nonces.add(new_nonce())
    return list(nonces)


_PERSON = sa_inspect(Person)
# A Core INSERT (the ORM's bulk layer adds nothing for rows it does not keep), its new ids
# returned with their nonces.
_QUESTIONS = cast(Table, PendingQuestion.__table__)
_ASK_MANY = insert(_QUESTIONS).returning(_QUESTIONS.c.nonce, _QUESTIONS.c.id)
