"""Giving an answer and reading one: what every consent path (command, check-in, onboarding,
renewal) shares, and `has_consent` for other capabilities."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import Context
from bot.profile import quiet_hours, zone_of
from bot.timeparse import next_quiet_end
from handlers.consent.events import ConsentGiven
from handlers.consent.payloads import RenewJob
from handlers.scheduling import Occurrence
from storage.models import Cohort, Job, Person
from storage.models.consent import YES, ConsentRecord
from storage.models.core import JobStatus
from storage.repositories.consent import (
    ConsentState,
    ExpiryPolicy,
    cohort_policy,
    effective_expiry,
    ledger_rows,
    record_answer,
    state_of,
)

RENEW = "consent.renew"
# Scopes whose "no" must reach the people running a session that is about to start.
SESSION_SCOPES = ("recording", "photos")


def policy_of(cohort: Cohort) -> ExpiryPolicy | None:
    return cohort_policy(cohort.settings)


async def state(
    db: AsyncSession,
    person_id: int,
    cohort: Cohort,
    scope: str,
    now: datetime,
    occurrence_key: str | None = None,
) -> ConsentState:
    rows = await ledger_rows(
        db, cohort.id, [person_id], scopes=[scope], occurrence_key=occurrence_key
    )
    return state_of(scope, rows, now, policy_of(cohort), occurrence_key)


async def has_consent(
    session: AsyncSession,
    person_id: int,
    scope: str,
    cohort_id: int | None = None,
    occurrence: Occurrence | None = None,
    *,
    now: datetime | None = None,
) -> bool | None:
    """True (yes), False (no) or None (never asked, skipped, or expired: treat as no).

    `cohort_id` defaults to the occurrence's cohort; with neither, the person's latest answer in
    any cohort counts. With `occurrence`, an answer for that one session ("not for this
    session") counts too. Pass `now=ctx.now`: without it, the answer is read as of the
    occurrence's start, or -- with no occurrence -- any yes that can expire counts as expired
    (silence is never consent)."""
    if cohort_id is None and occurrence is not None:
        cohort_id = occurrence.cohort_id
    key = occurrence.key if occurrence is not None else None
    rows = await ledger_rows(session, cohort_id, [person_id], scopes=[scope], occurrence_key=key)
    if not rows:
        return None
    cohort = await session.get(Cohort, cohort_id) if cohort_id is not None else None
    policy = policy_of(cohort) if cohort is not None else None
    if cohort_id is None:
        # Latest anywhere; each row judged by its own cohort's setting.
        latest = max(rows, key=lambda r: (r.given_at, r.id))
        owner = await session.get(Cohort, latest.cohort_id)
        policy = policy_of(owner) if owner is not None else None
        rows = [latest]
    at = now or (occurrence.start if occurrence is not None else None)
    if at is None:
        latest = max(rows, key=lambda r: (r.given_at, r.id))
        if latest.answer == YES and effective_expiry(latest, policy) is not None:
            return None
        return latest.answer == YES
    found = state_of(scope, rows, at, policy, key)
    return None if found.answer is None else found.answer == YES


async def consents_of(
    session: AsyncSession,
    person_ids: Sequence[int],
    scope: str,
    cohort_id: int,
    occurrence: Occurrence | None,
    *,
    now: datetime,
) -> dict[int, bool | None]:
    """`has_consent` now for several people of one cohort, with one query: each person's
    True, False or None (not answered or expired)."""
    key = occurrence.key if occurrence is not None else None
    rows = await ledger_rows(session, cohort_id, person_ids, scopes=[scope], occurrence_key=key)
    answers: dict[int, bool | None] = dict.fromkeys(person_ids)
    if not rows:
        return answers
    cohort = await session.get(Cohort, cohort_id)
    policy = policy_of(cohort) if cohort is not None else None
    by_person: dict[int, list[ConsentRecord]] = {}
    for row in rows:  # in the ledger's order, as has_consent reads them
        by_person.setdefault(row.person_id, []).append(row)
    for person_id, own in by_person.items():
        found = state_of(scope, own, now, policy, key)
        answers[person_id] = None if found.answer is None else found.answer == YES
    return answers


async def give(
    ctx: Context,
    person: Person,
    cohort: Cohort,
    scope: str,
    answer: str,
    via: str,
    occurrence: Occurrence | None = None,
) -> ConsentRecord:
    """Append an answer; a yes that will expire gets its one renewal question scheduled; then
    `ConsentGiven` is published (a no to recording or photos reaches the staff of a session that
    is about to start or running: handlers/consent/report.py)."""
    policy = policy_of(cohort)
    expires = policy.after(ctx.now) if policy is not None and answer == YES else None
    row = await record_answer(
        ctx.session,
        person_id=person.id,
        cohort_id=cohort.id,
        scope=scope,
        answer=answer,
        at=ctx.now,
        via=via,
        expires_at=expires,
        session_id=occurrence.session_id if occurrence is not None else None,
        occurrence_key=occurrence.key if occurrence is not None else None,
    )
    if expires is not None:
        await schedule_renewal(ctx, row, person, cohort, expires)
    await ctx.publish(ConsentGiven(person, cohort, row, occurrence))
    return row


def renewal_key(row: ConsentRecord) -> str:
    return f"{RENEW}:r{row.id}"


async def schedule_renewal(
    ctx: Context, row: ConsentRecord, person: Person, cohort: Cohort, expires: datetime
) -> None:
    """The one question asked when this yes expires: at the expiry, or when the person's quiet
    hours end. An existing pending one moves earlier when the expiry does; once asked (or
    dropped), never again for this answer."""
    due = max(expires, ctx.now)
    quiet = quiet_hours(person, ctx.config)
    if quiet is not None:
        due = next_quiet_end(due, zone_of(person, cohort.zone), *quiet)
    key = renewal_key(row)
    existing = (
        await ctx.session.execute(select(Job).where(Job.idempotency_key == key))
    ).scalar_one_or_none()
    if existing is None:
        await ctx.schedule(
            RENEW,
            due,
            key=key,
            payload=RenewJob(row.id),
            person_id=person.id,
            cohort_id=cohort.id,
        )
    elif existing.status == JobStatus.PENDING and due < existing.due_at:
        await ctx.session.execute(
            update(Job)
            .where(Job.id == existing.id, Job.status == JobStatus.PENDING)
            .values(due_at=due)
            .execution_options(synchronize_session=False)
        )
