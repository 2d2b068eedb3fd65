"""One inbound update, start to finish, in one unit of work:

clean (bot/sanitize.py) -> dedupe -> identity -> rate and size checks -> route (question answer
or command, cohort choice, authorization) -> handler. A person's mistake (UserError) rolls the
unit of work back, and a new one records the update and answers with a localized message; a
bug is logged with a correlation id and gets an apology the same way.

Whatever goes wrong with one update stays with it: a failure while storing its sender, in its
handler or at its commit is answered (or, when even the answer cannot be stored, dropped with a
log line), and the other updates of its batch and everyone after it go on. Only a failure of
the storage itself (StorageUnavailable: a full disk, a lost PostgreSQL) leaves the updates
unhandled, for the caller to hand over again once the storage is back."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, NoReturn

from sqlalchemy import bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.answers import AnswerWords, Match, match_answer
from bot.authz import Access
from bot.commands import ParsedCommand, parse_command
from bot.context import Context, Services, private_address
from bot.errors import UserError
from bot.i18n import _
from bot.logsetup import log_scope
from bot.messages import Address, Choice, Inbound, QuestionRef
from bot.open_questions import (
    ANSWER_FOR,
    PICK_QUESTION,
    AnswerFor,
    PickQuestion,
    route,
    which_choices,
)
from bot.outbox import PRIORITY_REPLY
from bot.payloads import Payload
from bot.platform import conventions_of
from bot.question_tags import answers, ref_of
from bot.ratelimit import Buckets
from bot.router import Router
from bot.sanitize import clean_inbound
from storage.engine import Database, written_tables
from storage.errors import storage_problem
from storage.models import Cohort, Identity, Membership, PendingQuestion, Person, ProcessedUpdate
from storage.models.cohorts import CohortStatus
from storage.repositories.cohorts import cohort_for_chat, membership, memberships_of
from storage.repositories.people import create_person, find_person_by_identity
from storage.upsert import insert_ignore

log = logging.getLogger(__name__)

PICK_COHORT = "core.pick_cohort"


@dataclass(frozen=True)
class PickCohort(Payload):
    """ "Which cohort?": the command to run again in the cohort picked."""

    text: str = ""


WHICH_FOR = timedelta(hours=1)  # how long "which question is this for?" waits
SEEN_EVERY = timedelta(minutes=1)  # how stale an identity's last_seen_at may get


# The statements of every update, built once (their values travel as parameters).
_FORGET_QUESTIONS = (
    delete(PendingQuestion)
    .where(PendingQuestion.person_id == bindparam("q_person"), PendingQuestion.sticky.is_(False))
    .returning(PendingQuestion.kind, PendingQuestion.expires_at)
)
_EXPIRE_QUESTIONS = delete(PendingQuestion).where(
    PendingQuestion.person_id == bindparam("q_person"),
    PendingQuestion.expires_at.is_not(None),
    PendingQuestion.expires_at <= bindparam("q_now"),
)
_OPEN_QUESTIONS = (
    select(PendingQuestion)
    .where(PendingQuestion.person_id == bindparam("q_person"))
    .order_by(PendingQuestion.created_at.desc(), PendingQuestion.id.desc())
    .limit(10)  # a typed answer is weighed against the ten newest
)


_Admission = Literal["admitted", "warned", "ignored"]  # the per-person rate limit's verdict


def _scope(inbound: Inbound) -> AbstractContextManager[object]:
    """The correlation id is the reference a person sees when something breaks; the update's
    text and the sender's name and id are redacted from anything logged meanwhile."""
    return log_scope(inbound.update_id[-8:], inbound.text, inbound.display_name, inbound.user_id)


class _Undone(Exception):
    """A person's mistake (`error`) or a bug (`ref`, the log's correlation id): the update's
    unit of work is rolled back, then answered (at `reply_to`) in a new one."""

    def __init__(self, reply_to: Address | None, error: UserError | None, ref: str = "") -> None:
        super().__init__(ref)
        self.reply_to = reply_to
        self.error = error
        self.ref = ref


class Pipeline:
    def __init__(
        self,
        db: Database,
        services: Services,
        router: Router,
        permissions: Mapping[str, Access],
        on_committed: Callable[[frozenset[str]], None] = lambda _tables: None,
    ) -> None:
        missing = sorted(set(router.commands) - set(permissions))
        if missing:
            raise ValueError(f"commands without an entry in the permission table: {missing}")
        self.db = db
        self.services = services
        self.router = router
        self.permissions = permissions
        self.on_committed = on_committed
        per_minute = services.config.bot.commands_per_minute
        self._person_limits = Buckets(services.clock, per_minute / 60.0, float(per_minute))
        self._warned_slow: set[tuple[str, str]] = set()
        self._words = AnswerWords.from_catalogs(services.catalogs)

    async def handle(self, inbound: Inbound) -> None:
        await self.handle_many((inbound,))

    async def handle_many(self, inbounds: Sequence[Inbound]) -> None:
        """Consecutive updates, in order, in one unit of work: one commit for all of them (a
        group commit; Telegram's getUpdates hands them over in batches). A mistake or a bug in
        one rolls the unit back (no savepoint per update: two statements fewer on every update);
        the updates before it are processed again in one unit, it is answered in a unit of its
        own, and the rest go on. The per-person rate limit is applied once per update.
        Raises StorageUnavailable when the storage itself fails: nothing of the batch is then
        kept, and handing the same updates over again later is safe."""
        cleaned = [clean_inbound(inbound) for inbound in inbounds]
        await self._run(cleaned, [self._admission(inbound) for inbound in cleaned])

    async def _run(self, inbounds: list[Inbound], admissions: list[_Admission]) -> None:
        start = 0
        while start < len(inbounds):
            current = start
            try:
                async with self.db.transaction() as session:
                    for current in range(start, len(inbounds)):
                        await self._one(session, inbounds[current], admissions[current])
            except _Undone as undone:
                if current > start:  # those before it went well: again, in one unit
                    await self._run(inbounds[start:current], admissions[start:current])
                await self._answer_undone(inbounds[current], undone)
                start = current + 1
                continue
            except Exception as error:
                if storage_problem(error) is not None:
                    raise
                # Not inside a handler: storing an update or its sender, or the commit. Whose
                # it was is not known in a batch, so each goes again alone.
                if len(inbounds) - start > 1:
                    for index in range(start, len(inbounds)):
                        await self._run(inbounds[index : index + 1], admissions[index : index + 1])
                    return
                ref = inbounds[start].update_id[-8:]
                with _scope(inbounds[start]):
                    log.exception("update failed", extra={"correlation_id": ref})
                await self._answer_undone(inbounds[start], _Undone(None, None, ref))
                return
            self.on_committed(written_tables(session))
            return

    async def _one(self, session: AsyncSession, inbound: Inbound, admission: _Admission) -> None:
        with _scope(inbound):
            ctx = await self._begin(session, inbound)
            if ctx is not None:
                await self._checked(ctx, inbound, admission)

    async def _answer_undone(self, inbound: Inbound, undone: _Undone) -> None:
        """The update's unit was rolled back: a new one records it and answers (at the address
        saved when it failed: privately for a personal command). When even that fails, the
        update is dropped with a log line, and everyone else goes on."""
        with _scope(inbound):
            try:
                async with self.db.transaction() as session:
                    ctx = await self._begin(session, inbound)
                    if ctx is None:
                        return
                    ctx.reply_to = undone.reply_to or ctx.reply_to
                    if undone.error is not None:
                        await ctx.say(ctx.t(undone.error.message_id, **undone.error.params))
                    else:
                        await ctx.reply(_("core.bug"), ref=undone.ref)
            except Exception as error:
                if storage_problem(error) is not None:
                    raise
                log.exception(
                    "update dropped: it could not be answered",
                    extra={"correlation_id": inbound.update_id[-8:]},
                )
                return
            self.on_committed(written_tables(session))

    def _admission(self, inbound: Inbound) -> _Admission:
        """The per-person command rate (per identity: a person is known only inside the unit
        of work), decided once per update even when its unit is run again. Past the limit a
        person is warned once, then nothing they send is answered until they have slowed
        down: half their allowance has come back."""
        sender = (inbound.platform, inbound.user_id)
        limits = self._person_limits
        if sender in self._warned_slow:
            if limits.available(sender) < limits.burst / 2:
                return "ignored"
            self._warned_slow.discard(sender)
        if limits.try_take(sender):
            return "admitted"
        self._warned_slow.add(sender)
        return "warned"

    async def _begin(self, session: AsyncSession, inbound: Inbound) -> Context | None:
        """Dedupe and identity: the Context of a new update, None for one seen before."""
        fresh = await insert_ignore(
            session,
            ProcessedUpdate,
            {
                "platform": inbound.platform,
                "update_id": inbound.update_id,
                "processed_at": self.services.clock.now(),
            },
            ["platform", "update_id"],
        )
        if not fresh:
            log.info("duplicate update skipped", extra={"platform": inbound.platform})
            return None
        person, identity, open_questions = await self._identity(session, inbound)
        ctx = Context(
            session=session,
            services=self.services,
            person=person,
            identity=identity,
            inbound=inbound,
            key_prefix=f"in:{inbound.platform}:{inbound.update_id}",
        )
        ctx.open_questions = open_questions
        return ctx

    async def _identity(
        self, session: AsyncSession, inbound: Inbound
    ) -> tuple[Person, Identity, bool]:
        """The sender (created on first contact), their identity here, and whether they have
        questions a new command would cancel."""
        now = self.services.clock.now()
        found = await find_person_by_identity(session, inbound.platform, inbound.user_id)
        private_chat = None if inbound.chat.is_group else inbound.chat.chat_id
        if found is None:
            hint = inbound.language_hint
            lang = self.services.catalogs.normalize(hint) if hint else None
            person, identity = await create_person(
                session,
                platform=inbound.platform,
                external_id=inbound.user_id,
                display_name=inbound.display_name,
                private_chat_id=private_chat,
                language=lang,
                now=now,
                username=inbound.username,
            )
            return person, identity, False
        identity, person, open_questions = found
        # Only what changed is set: an object left untouched costs the ORM no flush, and most
        # updates change nothing here (last_seen_at moves at most once a minute; it only ranks a
        # person's identities, to reach them where they wrote last).
        if now - identity.last_seen_at >= SEEN_EVERY:
            identity.last_seen_at = now
        if inbound.display_name and identity.display_name != inbound.display_name:
            identity.display_name = inbound.display_name
        if identity.username != inbound.username:  # changed, or removed by the person
            identity.username = inbound.username
        if private_chat is not None:
            if identity.private_chat_id != private_chat:
                identity.private_chat_id = private_chat
            if not identity.reachable:
                identity.reachable = True
        return person, identity, open_questions

    async def _checked(self, ctx: Context, inbound: Inbound, admission: _Admission) -> None:
        # The rate limit comes first: past it, nothing is answered (not even "too long").
        if admission != "admitted":
            if admission == "warned" and self._privately(ctx):
                await ctx.reply(_("core.slow_down"))
            return
        limit = self.services.config.bot.max_text_length
        if len(inbound.text) > limit:
            if self._privately(ctx):
                await ctx.reply(_("core.too_long"), limit=limit, length=len(inbound.text))
            return
        try:
            await self.route(ctx, inbound)
        except UserError as error:
            raise _Undone(ctx.reply_to, error) from None
        except Exception as error:
            if storage_problem(error) is not None:
                raise  # the storage failed, not this update: it is handled again later
            ref = inbound.update_id[-8:]
            log.exception("handler failed", extra={"correlation_id": ref})
            raise _Undone(ctx.reply_to, None, ref) from None

    @staticmethod
    def _privately(ctx: Context) -> bool:
        """A word about the person's own messages goes to them alone: in a group, to their
        private chat when they have one, else nowhere (a group hears nothing of it)."""
        if not ctx.in_group:
            return True
        if ctx.identity is None or ctx.identity.private_chat_id is None:
            return False
        ctx.reply_to = private_address(ctx.identity)
        return True

    # Routing -----------------------------------------------------------------------------------
    async def route(self, ctx: Context, inbound: Inbound) -> None:
        if inbound.question is not None:
            await self._button(ctx, inbound.question, inbound.choice_key)
            return
        command = parse_command(inbound.text)
        if command is None:
            await self._plain_text(ctx, inbound)
            return
        if command.bot and not self._is_me(inbound.platform, command.bot):
            return
        await self.run_command(ctx, command)

    def _is_me(self, platform: str, name: str) -> bool:
        mine = self.services.bot_names.get(platform)
        return mine is None or mine.lower() == name.lower()

    async def run_command(self, ctx: Context, command: ParsedCommand) -> None:
        person = ctx.require_person()
        spec = self.router.resolve(command.name)
        if spec is None:
            if ctx.in_group:
                return  # a group is public: a command the bot does not know gets no answer
            raise UserError(_("core.unknown_command"), command=command.name)
        # Nothing loaded in this session can be among these rows (the one being answered, if
        # any, is already deleted), so the session needs no synchronizing.
        dropped: list[str] = []
        if ctx.open_questions:
            gone = await ctx.session.execute(
                _FORGET_QUESTIONS,
                {"q_person": person.id},
                execution_options={"synchronize_session": False},
            )
            dropped = self._dropped_notes(gone.all(), ctx.now)
        access = self.permissions[spec.name]
        # A group is public: every command but the group-safe ones leaves it first, so that
        # even a refusal is answered privately.
        if ctx.in_group and not spec.group_safe and not await self._go_private(ctx):
            return
        if access.creator and not self._may_create(ctx):
            raise UserError(_("core.not_allowed_create"))
        if access.cohort and not await self._enter_cohort(ctx, command, access):
            return
        await spec.handler(ctx, command.args)
        if dropped:
            await self._tell_dropped(ctx, person, dropped)

    def _dropped_notes(self, gone: Sequence[Any], now: datetime) -> list[str]:
        """The kinds of the still open confirmations a new command cancelled that say so."""
        return [
            kind
            for kind, expires_at in gone
            if kind in self.router.dropped and (expires_at is None or expires_at > now)
        ]

    async def _tell_dropped(self, ctx: Context, person: Person, kinds: list[str]) -> None:
        """After the command's own answer (the last word the person reads): "your pending ...
        was cancelled", unless the command asked the same question again (`translate` while
        an announcement waits for its confirmation)."""
        asked = set(
            (
                await ctx.session.execute(
                    select(PendingQuestion.kind).where(
                        PendingQuestion.person_id == person.id, PendingQuestion.kind.in_(kinds)
                    )
                )
            ).scalars()
        )
        notes = dict.fromkeys(self.router.dropped[k] for k in kinds if k not in asked)
        for note in notes:
            if ctx.in_group:  # the question was private: so is the word about it
                await ctx.send_to_person(person.id, ctx.t(note), priority=PRIORITY_REPLY)
            else:
                await ctx.say(ctx.t(note))

    def _may_create(self, ctx: Context) -> bool:
        admins = self.services.config.bot.admins
        if not admins or ctx.identity is None:
            return True
        return ctx.identity.external_id in admins or (
            f"{ctx.identity.platform}:{ctx.identity.external_id}" in admins
        )

    async def _go_private(self, ctx: Context) -> bool:
        identity = ctx.identity
        assert identity is not None
        conventions = conventions_of(identity.platform)
        if identity.private_chat_id is None and conventions.private_needs_first_word:
            name = self.services.bot_names.get(identity.platform)
            await ctx.reply(_("core.start_private_first"), bot=f"@{name}" if name else "")
            return False
        ctx.reply_to = private_address(identity)
        return True

    async def _enter_cohort(self, ctx: Context, command: ParsedCommand, access: Access) -> bool:
        """Find the cohort this command acts on and check the sender's role in it. False: the
        sender is asked which cohort first (the command runs again with the answer)."""
        cohort = await self._cohort_of_group(ctx)
        if cohort is None:
            mine = await memberships_of(ctx.session, ctx.require_person().id)
            if not mine:
                raise UserError(_("core.not_member"))
            if access.picks_cohort:  # the command chooses its cohort itself
                self._check_some_role(ctx, command, access, mine)
                return True
            cohort = await self._current_cohort(ctx, mine)
            if cohort is None:
                return False
        await self._check_role(ctx, command, access, cohort)
        return True

    @staticmethod
    async def _cohort_of_group(ctx: Context) -> Cohort | None:
        """In a group chat bound to a cohort: that cohort."""
        if not ctx.in_group or ctx.inbound is None:
            return None
        return await cohort_for_chat(ctx.session, ctx.inbound.platform, ctx.inbound.chat.chat_id)

    @staticmethod
    async def _current_cohort(
        ctx: Context, mine: Sequence[tuple[Membership, Cohort]]
    ) -> Cohort | None:
        """The sender's active cohort, or their only one; with several and none active, asks
        which (None)."""
        person = ctx.require_person()
        chosen = [c for _m, c in mine if c.id == person.active_cohort_id]
        if chosen:
            return chosen[0]
        if len(mine) == 1:
            return mine[0][1]
        await ctx.ask(
            PICK_COHORT,
            ctx.t(_("core.pick_cohort")),
            [Choice(str(c.id), c.name) for _m, c in mine],
            payload=PickCohort(ctx.inbound.text if ctx.inbound else ""),
        )
        return None

    def _check_some_role(
        self,
        ctx: Context,
        command: ParsedCommand,
        access: Access,
        mine: Sequence[tuple[Membership, Cohort]],
    ) -> None:
        """A command that picks its cohort needs an allowed role in at least one."""
        if not any(access.allows(m.role) for m, _c in mine):
            person = ctx.require_person()
            active = [m for m, c in mine if c.id == person.active_cohort_id]
            self._refuse(ctx, command, (active or [mine[0][0]])[0].role)

    async def _check_role(
        self, ctx: Context, command: ParsedCommand, access: Access, cohort: Cohort
    ) -> None:
        member = await membership(ctx.session, cohort.id, ctx.require_person().id)
        ctx.cohort = cohort
        ctx.role = member.role if member else None
        if not access.allows(ctx.role):
            self._refuse(ctx, command, ctx.role)
        if not access.include_closed and cohort.status == CohortStatus.CLOSED:
            raise UserError(_("cohorts.closed_refused"), cohort=cohort.name)

    @staticmethod
    def _refuse(ctx: Context, command: ParsedCommand, role: str | None) -> NoReturn:
        if role is None and ctx.cohort is not None:  # a group bound to someone else's cohort
            raise UserError(_("cohorts.not_member_of"), cohort=ctx.cohort.name)
        if ctx.reply_to is not None and ctx.reply_to.is_group:  # says nothing of their roles
            raise UserError(_("core.not_allowed_here"), command=command.name)
        if role is None:
            raise UserError(_("core.not_member"))
        raise UserError(_("core.not_allowed"), command=command.name, role=ctx.t(f"role.{role}"))

    # Answers to questions --------------------------------------------------------------------
    async def _open_questions(self, ctx: Context) -> list[PendingQuestion]:
        """The person's open questions, newest first."""
        person = ctx.require_person()
        await ctx.session.execute(
            _EXPIRE_QUESTIONS,
            {"q_person": person.id, "q_now": ctx.now},
            execution_options={"synchronize_session": False},  # none loaded yet
        )
        found = await ctx.session.execute(_OPEN_QUESTIONS, {"q_person": person.id})
        return list(found.scalars())

    async def _plain_text(self, ctx: Context, inbound: Inbound) -> None:
        if inbound.chat.is_group:
            return  # in groups the bot only reacts to commands
        questions = await self._open_questions(ctx)
        if not questions:
            await ctx.reply(_("core.not_understood"))
            return
        text = inbound.text.strip()
        routed = route(questions, text, self._match)
        if routed.answer is not None:
            question, match = routed.answer
            await self._answer(ctx, question, match.key, match.text)
        elif len(routed.candidates) == 1:
            await self._pick_one(ctx, routed.candidates[0])
        else:
            # What the text picks in each question it fits, by choice key: never the text
            # itself, which may be a written answer (nothing a person types is stored).
            keys = {str(q.id): m.key for q, m in routed.fits if m.key is not None}
            await ctx.ask(
                PICK_QUESTION,
                ctx.tn(_("core.which_question"), len(routed.candidates), text=text),
                which_choices(ctx.tr, routed.candidates),
                payload=PickQuestion(keys),
                expires_in=WHICH_FOR,
                privately=True,
            )

    async def _pick_one(self, ctx: Context, question: PendingQuestion) -> None:
        choices = [Choice(k, label) for k, label in question.choices]
        ref = ref_of(question.id, question.kind, question.nonce)
        await ctx.say(ctx.t(_("core.pick_one")), choices=choices, question=ref)

    async def _picked_question(self, ctx: Context, chosen: str | None, data: PickQuestion) -> None:
        """The person said which open question their typed text was for: the choice it picked
        there is the answer; a written answer (or text that fit none) is asked for again."""
        person = ctx.require_person()
        picked = await ctx.session.get(PendingQuestion, int(chosen or 0))
        if picked is None or picked.person_id != person.id:
            raise UserError(_("core.question_expired"))
        key = data.keys.get(str(picked.id))
        labels = dict((k, label) for k, label in picked.choices)
        if key is None or key not in labels:
            # A written answer, or text that fit none of the choices: asked for again.
            again = _("core.answer_again") if picked.free_text else _("core.pick_one")
            await ctx.ask(
                ANSWER_FOR,
                ctx.t(again),
                [Choice(k, label) for k, label in picked.choices],
                payload=AnswerFor(picked.id),
                free_text=picked.free_text,
                expires_in=WHICH_FOR,
                privately=True,
            )
            return
        await self._answer(ctx, picked, key, labels[key])

    async def _answer_for(
        self, ctx: Context, key: str | None, text: str | None, data: AnswerFor
    ) -> None:
        """An answer to the choices of the question picked in "which one?": it is that
        question's answer."""
        person = ctx.require_person()
        picked = await ctx.session.get(PendingQuestion, data.question_id)
        if picked is None or picked.person_id != person.id:
            raise UserError(_("core.question_expired"))
        await self._answer(ctx, picked, key, text)

    def _match(self, question: PendingQuestion, text: str) -> Match | None:
        choices = [(k, label) for k, label in question.choices]
        return match_answer(choices, question.free_text, text, self._words)

    async def _button(self, ctx: Context, ref: QuestionRef, key: str | None) -> None:
        """A pressed button answers the question it names only if that question is still open,
        is the presser's, and is the very question the button was made for (ids are never
        reused, and the tag binds the button to the question's kind and nonce)."""
        person = ctx.require_person()
        question = await ctx.session.get(PendingQuestion, ref.id)
        if (
            question is None
            or question.person_id != person.id
            or not answers(ref, question.id, question.kind, question.nonce)
            or (question.expires_at is not None and question.expires_at <= ctx.now)
        ):
            raise UserError(_("core.question_expired"))
        labels = dict((k, label) for k, label in question.choices)
        if key not in labels:
            raise UserError(_("core.question_expired"))
        await self._answer(ctx, question, key, labels[key])

    async def _answer(
        self, ctx: Context, question: PendingQuestion, key: str | None, text: str | None
    ) -> None:
        """The question is answered (`key`: the choice, or None for written `text`): it is
        closed and its kind's handler gets the answer with the question's payload decoded."""
        kind, raw = question.kind, question.payload
        await ctx.session.delete(question)
        await ctx.session.flush()
        if kind == PICK_COHORT:
            await self._picked_cohort(ctx, key, PickCohort.decode(raw, kind))
            return
        if kind == PICK_QUESTION:
            await self._picked_question(ctx, key, PickQuestion.decode(raw, kind))
            return
        if kind == ANSWER_FOR:
            await self._answer_for(ctx, key, text, AnswerFor.decode(raw, kind))
            return
        handler = self.router.questions.get(kind)
        if handler is None:
            log.error("no handler for question kind %s", kind)
            raise UserError(_("core.question_expired"))
        await handler(ctx, self.router.answer(kind, question.id, key, text, raw))

    async def _picked_cohort(self, ctx: Context, key: str | None, data: PickCohort) -> None:
        person = ctx.require_person()
        assert key is not None
        person.active_cohort_id = int(key)
        command = parse_command(data.text)
        if command is not None:
            await self.run_command(ctx, command)
