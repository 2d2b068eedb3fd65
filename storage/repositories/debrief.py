"""Queries for debrief rounds, prompts and answers (named and anonymous alike)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, desc, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models.debrief import (
    PROMPT_NEEDS_CONSENT,
    PROMPT_OPEN,
    STEP_WELLBEING,
    AnonymousDebriefAnswer,
    DebriefAnswer,
    DebriefPrompt,
    DebriefRound,
)
from storage.upsert import insert_ignore


@dataclass(frozen=True)
class StoredAnswer:
    """One answer as summaries see it; `person_id` is None for anonymous answers."""

    question: str
    choice: str | None
    text: str | None
    person_id: int | None


async def open_round(
    db: AsyncSession,
    *,
    cohort_id: int,
    session_id: int,
    occurrence_id: int,
    held_at: datetime,
    anonymous: bool,
    now: datetime,
    closes_at: datetime,
) -> tuple[DebriefRound, bool]:
    """The round of an occurrence, created if absent. True when it was created now."""
    created = await insert_ignore(
        db,
        DebriefRound,
        {
            "cohort_id": cohort_id,
            "session_id": session_id,
            "occurrence_id": occurrence_id,
            "held_at": held_at,
            "anonymous": anonymous,
            "opened_at": now,
            "closes_at": closes_at,
            "invited": 0,
            "responded": 0,
        },
        ["occurrence_id"],
    )
    found = await db.execute(
        select(DebriefRound).where(DebriefRound.occurrence_id == occurrence_id)
    )
    return found.scalar_one(), created > 0


async def rounds_of_cohort(
    db: AsyncSession, cohort_id: int, *, session_id: int | None = None, limit: int = 10
) -> list[DebriefRound]:
    """The cohort's rounds (or one session's), the most recent occurrence first."""
    query = select(DebriefRound).where(DebriefRound.cohort_id == cohort_id)
    if session_id is not None:
        query = query.where(DebriefRound.session_id == session_id)
    found = await db.execute(
        query.order_by(desc(DebriefRound.held_at), desc(DebriefRound.id)).limit(limit)
    )
    return list(found.scalars())


async def prompt_of(db: AsyncSession, round_id: int, person_id: int) -> DebriefPrompt | None:
    found = await db.execute(
        select(DebriefPrompt).where(
            DebriefPrompt.round_id == round_id, DebriefPrompt.person_id == person_id
        )
    )
    return found.scalar_one_or_none()


async def waiting_prompts(
    db: AsyncSession, person_id: int, now: datetime
) -> list[tuple[DebriefPrompt, DebriefRound]]:
    """The person's prompts still open (questions under way or waiting for consent), oldest
    first."""
    found = await db.execute(
        select(DebriefPrompt, DebriefRound)
        .join(DebriefRound, DebriefRound.id == DebriefPrompt.round_id)
        .where(
            DebriefPrompt.person_id == person_id,
            DebriefPrompt.status.in_((PROMPT_OPEN, PROMPT_NEEDS_CONSENT)),
            DebriefPrompt.expires_at > now,
            DebriefRound.closed_at.is_(None),
        )
        .order_by(DebriefPrompt.sent_at, DebriefPrompt.id)
    )
    return [(p, r) for p, r in found.all()]


async def prompts_of_round(db: AsyncSession, round_id: int) -> list[DebriefPrompt]:
    found = await db.execute(
        select(DebriefPrompt).where(DebriefPrompt.round_id == round_id).order_by(DebriefPrompt.id)
    )
    return list(found.scalars())


async def delete_prompts(db: AsyncSession, round_id: int) -> None:
    await db.execute(delete(DebriefPrompt).where(DebriefPrompt.round_id == round_id))


async def store_answer(
    db: AsyncSession,
    debrief: DebriefRound,
    person_id: int,
    question: str,
    *,
    choice: str | None,
    text: str | None,
    now: datetime,
) -> None:
    """Keep one answer: with the person's key in a named round, with none in an anonymous one.
    Wellbeing answers are always kept without a key: summaries only count them, so a name
    next to them would be held for nothing. A named answer given twice keeps the first."""
    if debrief.anonymous or question == STEP_WELLBEING:
        db.add(
            AnonymousDebriefAnswer(round_id=debrief.id, question=question, choice=choice, text=text)
        )
        await db.flush()
        return
    await insert_ignore(
        db,
        DebriefAnswer,
        {
            "round_id": debrief.id,
            "person_id": person_id,
            "question": question,
            "choice": choice,
            "text": text,
            "answered_at": now,
        },
        ["round_id", "person_id", "question"],
    )


async def answers_of(db: AsyncSession, debrief: DebriefRound) -> list[StoredAnswer]:
    """Every answer of a round, named and anonymous, in a stable order that says nothing about
    who answered when (anonymous rows are ordered by their random ids)."""
    named = await db.execute(
        select(DebriefAnswer).where(DebriefAnswer.round_id == debrief.id).order_by(DebriefAnswer.id)
    )
    found = [StoredAnswer(a.question, a.choice, a.text, a.person_id) for a in named.scalars()]
    anonymous = await db.execute(
        select(AnonymousDebriefAnswer)
        .where(AnonymousDebriefAnswer.round_id == debrief.id)
        .order_by(AnonymousDebriefAnswer.id)
    )
    found.extend(StoredAnswer(a.question, a.choice, a.text, None) for a in anonymous.scalars())
    return found


async def unname_answers(
    db: AsyncSession,
    person_id: int,
    cohort_id: int,
    *,
    session_id: int | None = None,
    occurrence_id: int | None = None,
) -> int:
    """Consent to keep debrief answers withdrawn: the person's named answers in the cohort's
    rounds (or one session's, or one occurrence's) become anonymous rows, their text kept and
    the link to the person dropped (random ids, no timestamp). The round's counts stay true:
    the answers are still there, only nameless. Returns how many answers lost their name."""
    query = (
        select(DebriefAnswer)
        .join(DebriefRound, DebriefRound.id == DebriefAnswer.round_id)
        .where(DebriefAnswer.person_id == person_id, DebriefRound.cohort_id == cohort_id)
    )
    if session_id is not None:
        query = query.where(DebriefRound.session_id == session_id)
    if occurrence_id is not None:
        query = query.where(DebriefRound.occurrence_id == occurrence_id)
    named = list((await db.execute(query)).scalars())
    if not named:
        return 0
    db.add_all(
        AnonymousDebriefAnswer(
            round_id=a.round_id, question=a.question, choice=a.choice, text=a.text
        )
        for a in named
    )
    await db.execute(delete(DebriefAnswer).where(DebriefAnswer.id.in_([a.id for a in named])))
    await db.flush()
    return len(named)


async def forget_responses(db: AsyncSession, person_id: int) -> int:
    """Before an erasure deletes the person's named answers: each round they answered under
    their name counts one response fewer, so "Answered: 3 of 3" never stays beside two
    answers. (Their anonymous answers stay, and so does their place in those counts.)
    Returns how many rounds changed."""
    rounds = select(DebriefAnswer.round_id).where(DebriefAnswer.person_id == person_id).distinct()
    result = await db.execute(
        update(DebriefRound)
        .where(DebriefRound.id.in_(rounds), DebriefRound.responded > 0)
        .values(responded=DebriefRound.responded - 1)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
