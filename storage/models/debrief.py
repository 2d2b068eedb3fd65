"""Debriefs after sessions: one round per occurrence, a prompt per person, and the answers.

Privacy by structure, not by hiding:
- `DebriefRound` holds counts only (invited, responded) and the mode chosen when the prompts
  went out; it names nobody.
- `DebriefPrompt` is a person's delivery state (sent, which question is next, reminded): no
  answers. It belongs to the person (erased with them) and is deleted when the round closes.
- Named answers (`DebriefAnswer`) carry the person's key: exported by `mydata`, erased by
  `forgetme`. Wellbeing answers never do, even in a named round: summaries only count them.
- Anonymous answers (`AnonymousDebriefAnswer`) have no column that could point at a person:
  no person key, no timestamp of their own (only the round), and a random primary key, so
  neither the id sequence nor a time orders them next to a person's messages. They survive a
  person's erasure as aggregate data and go with the round at retention time.

Retention: answers and rounds are purged `[privacy] debrief_retention_days` after their cohort
closed; a prompt row left behind (it is normally deleted at close) goes after
`unanswered_question_days`.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING

from sqlalchemy import (
    Delete,
    ForeignKey,
    Select,
    String,
    Text,
    UniqueConstraint,
    bindparam,
    delete,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, Executor
from storage.models.cohorts import Cohort

if TYPE_CHECKING:
    from bot.config import PrivacyConfig

# The questionnaire, in the order it is asked.
STEP_WORKED = "worked"
STEP_NOT_WORKED = "not_worked"
STEP_CHANGE = "change"
STEP_RATING = "rating"
STEP_WELLBEING = "wellbeing"
STEPS = (STEP_WORKED, STEP_NOT_WORKED, STEP_CHANGE, STEP_RATING, STEP_WELLBEING)
TEXT_STEPS = (STEP_WORKED, STEP_NOT_WORKED, STEP_CHANGE)

PROMPT_NEEDS_CONSENT = "needs_consent"  # told how to allow storing answers; nothing asked yet
PROMPT_OPEN = "open"  # questions under way
PROMPT_DONE = "done"  # reached the end (or stopped when consent was withdrawn)


def _random_id() -> str:
    return secrets.token_hex(16)


def _rowcount(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def _closed_before() -> Select[int]:
    """Ids of cohorts closed before the parameter `closed`."""
    return select(Cohort.id).where(
        Cohort.closed_at.is_not(None), Cohort.closed_at < bindparam("closed")
    )


def _rounds_of_closed() -> Select[int]:
    return select(DebriefRound.id).where(DebriefRound.cohort_id.in_(_closed_before()))


def _closed(days: int, now: datetime) -> dict[str, datetime]:
    """The parameter of the statements below: cohorts closed more than `days` days ago."""
    return {"closed": now - timedelta(days=days)}


class DebriefRound(Base):
    """The debrief of one occurrence: when it opened and closes, and counts that name nobody."""

    __tablename__ = "debrief_round"
    __privacy__ = "none"

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("scheduled_session.id", ondelete="CASCADE"), index=True
    )
    occurrence_id: Mapped[int] = mapped_column(
        ForeignKey("session_occurrence.id", ondelete="CASCADE"), unique=True
    )
    held_at: Mapped[datetime]  # the occurrence's start
    anonymous: Mapped[bool]  # fixed when the round opens: people were told which it is
    opened_at: Mapped[datetime]
    closes_at: Mapped[datetime]
    invited: Mapped[int] = mapped_column(default=0)  # people the questions were sent to
    responded: Mapped[int] = mapped_column(default=0)  # of them, who answered at least one
    closed_at: Mapped[datetime | None]

    @classmethod
    async def __retention__(cls, session: Executor, now: datetime, privacy: PrivacyConfig) -> int:
        result = await session.execute(
            _purge_rounds(), _closed(privacy.debrief_retention_days, now)
        )
        return _rowcount(result)


class DebriefPrompt(Base):
    """One person's questionnaire for one round: where they are, never what they answered."""

    __tablename__ = "debrief_prompt"
    __table_args__ = (UniqueConstraint("round_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(
        ForeignKey("debrief_round.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    step: Mapped[str | None] = mapped_column(String(16))  # the question asked now
    question_id: Mapped[int | None]  # its PendingQuestion, replaced on re-asking
    answered_any: Mapped[bool] = mapped_column(default=False)
    sent_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    reminded_at: Mapped[datetime | None]

    @classmethod
    async def __retention__(cls, session: Executor, now: datetime, privacy: PrivacyConfig) -> int:
        cutoff = now - timedelta(days=privacy.unanswered_question_days)
        result = await session.execute(_purge_prompts(), {"cutoff": cutoff})
        return _rowcount(result)


class DebriefAnswer(Base):
    """A named answer: the person's own data (exported, erased with them)."""

    __tablename__ = "debrief_answer"
    __table_args__ = (UniqueConstraint("round_id", "person_id", "question"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(
        ForeignKey("debrief_round.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    question: Mapped[str] = mapped_column(String(16))
    choice: Mapped[str | None] = mapped_column(String(16))  # rating "1".."5", wellbeing key
    text: Mapped[str | None] = mapped_column(Text)  # free-text answers
    answered_at: Mapped[datetime]

    @classmethod
    async def __retention__(cls, session: Executor, now: datetime, privacy: PrivacyConfig) -> int:
        result = await session.execute(
            _purge_answers(), _closed(privacy.debrief_retention_days, now)
        )
        return _rowcount(result)


class AnonymousDebriefAnswer(Base):
    """An anonymous answer: linked to a round, never to a person (see the module docstring)."""

    __tablename__ = "debrief_anonymous_answer"
    __privacy__ = "keep_aggregate"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=_random_id)
    round_id: Mapped[int] = mapped_column(
        ForeignKey("debrief_round.id", ondelete="CASCADE"), index=True
    )
    question: Mapped[str] = mapped_column(String(16))
    choice: Mapped[str | None] = mapped_column(String(16))
    text: Mapped[str | None] = mapped_column(Text)

    @classmethod
    async def __retention__(cls, session: Executor, now: datetime, privacy: PrivacyConfig) -> int:
        result = await session.execute(
            _purge_anonymous(), _closed(privacy.debrief_retention_days, now)
        )
        return _rowcount(result)


# The daily retention pass's statements, built once (their cutoffs parameters).
@cache
def _purge_rounds() -> Delete:
    return delete(DebriefRound).where(DebriefRound.cohort_id.in_(_closed_before()))


@cache
def _purge_prompts() -> Delete:
    return delete(DebriefPrompt).where(DebriefPrompt.expires_at < bindparam("cutoff"))


@cache
def _purge_answers() -> Delete:
    return delete(DebriefAnswer).where(DebriefAnswer.round_id.in_(_rounds_of_closed()))


@cache
def _purge_anonymous() -> Delete:
    return delete(AnonymousDebriefAnswer).where(
        AnonymousDebriefAnswer.round_id.in_(_rounds_of_closed())
    )
