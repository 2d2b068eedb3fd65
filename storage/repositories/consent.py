"""The consent ledger: appending answers and deriving the current state from them.

The state of (person, scope) in a cohort is the latest ledger row for it, where a row for one
occurrence ("not for this session") counts only for that occurrence. A yes stops counting at
its expiry: the earlier of the expiry it was given with and the cohort's current expiry
setting after it was given. An expired yes, like no row at all, is *unanswered*; a no never
expires. Nothing is ever defaulted to yes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from dateutil.relativedelta import relativedelta
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models.consent import NO, SCOPES, YES, ConsentRecord

EXPIRY_KEY = "consent_expiry"  # in Cohort.settings: "6m", "1y", "90d", "2w"
_EXPIRY = re.compile(r"^(\d{1,4})([dwmy])$")
_UNITS = {"d": "days", "w": "weeks", "m": "months", "y": "years"}


@dataclass(frozen=True)
class ExpiryPolicy:
    """How long a yes lasts in a cohort: `amount` days, weeks, months or years."""

    amount: int
    unit: str  # d | w | m | y

    @property
    def code(self) -> str:
        return f"{self.amount}{self.unit}"

    def after(self, instant: datetime) -> datetime:
        # Calendar arithmetic on the UTC date: 31 August + 6 months = 28 February.
        delta = relativedelta(**{_UNITS[self.unit]: self.amount})  # type: ignore[arg-type]
        result: datetime = instant + delta
        return result

    @staticmethod
    def parse(code: object) -> ExpiryPolicy | None:
        if not isinstance(code, str):
            return None
        match = _EXPIRY.match(code)
        if match is None or int(match.group(1)) <= 0:
            return None
        return ExpiryPolicy(int(match.group(1)), match.group(2))


def cohort_policy(settings: dict[str, Any] | None) -> ExpiryPolicy | None:
    return ExpiryPolicy.parse((settings or {}).get(EXPIRY_KEY))


@dataclass(frozen=True)
class ConsentState:
    """What counts now: `answer` is "yes", "no" or None (never asked, skipped, or expired)."""

    scope: str
    answer: str | None
    record: ConsentRecord | None  # the latest row, also when it has expired
    expired: bool = False
    until: datetime | None = None  # when a current yes expires

    @property
    def per_session(self) -> bool:
        return self.record is not None and self.record.occurrence_key is not None


def effective_expiry(record: ConsentRecord, policy: ExpiryPolicy | None) -> datetime | None:
    """When a yes stops counting (None = never). A no never expires."""
    if record.answer != YES:
        return None
    candidates = [record.expires_at] if record.expires_at is not None else []
    if policy is not None:
        candidates.append(policy.after(record.given_at))
    return min(candidates) if candidates else None


def state_of(
    scope: str,
    rows: Iterable[ConsentRecord],
    now: datetime,
    policy: ExpiryPolicy | None,
    occurrence_key: str | None = None,
) -> ConsentState:
    """The state of one scope from a person's rows (any order): the latest row for the whole
    cohort or for `occurrence_key` wins."""
    latest: ConsentRecord | None = None
    for row in rows:
        if row.scope != scope:
            continue
        if row.occurrence_key is not None and row.occurrence_key != occurrence_key:
            continue
        if latest is None or (row.given_at, row.id) > (latest.given_at, latest.id):
            latest = row
    if latest is None:
        return ConsentState(scope, None, None)
    until = effective_expiry(latest, policy)
    if until is not None and until <= now:
        return ConsentState(scope, None, latest, expired=True, until=until)
    return ConsentState(scope, latest.answer, latest, until=until)


async def record_answer(
    session: AsyncSession,
    *,
    person_id: int,
    cohort_id: int,
    scope: str,
    answer: str,
    at: datetime,
    via: str,
    expires_at: datetime | None = None,
    session_id: int | None = None,
    occurrence_key: str | None = None,
) -> ConsentRecord:
    """Append one answer to the ledger (flushed, so it has an id)."""
    if scope not in SCOPES or answer not in (YES, NO):
        raise ValueError(f"bad consent answer {scope}={answer}")
    row = ConsentRecord(
        person_id=person_id,
        cohort_id=cohort_id,
        scope=scope,
        answer=answer,
        given_at=at,
        via=via,
        expires_at=expires_at if answer == YES else None,
        session_id=session_id,
        occurrence_key=occurrence_key,
    )
    session.add(row)
    await session.flush()
    return row


async def ledger_rows(
    session: AsyncSession,
    cohort_id: int | None,
    person_ids: Sequence[int] | None = None,
    *,
    scopes: Sequence[str] | None = None,
    occurrence_key: str | None = None,
) -> list[ConsentRecord]:
    """Rows that can count: for the whole cohort, or for `occurrence_key` (per-session rows of
    other occurrences are left out unless `occurrence_key` is "*"). `cohort_id` None = every
    cohort."""
    query = select(ConsentRecord)
    if cohort_id is not None:
        query = query.where(ConsentRecord.cohort_id == cohort_id)
    if person_ids is not None:
        query = query.where(ConsentRecord.person_id.in_(list(person_ids)))
    if scopes is not None:
        query = query.where(ConsentRecord.scope.in_(list(scopes)))
    if occurrence_key != "*":
        query = query.where(
            or_(
                ConsentRecord.occurrence_key.is_(None),
                ConsentRecord.occurrence_key == occurrence_key,
            )
        )
    found = await session.execute(query.order_by(ConsentRecord.given_at, ConsentRecord.id))
    return list(found.scalars())


async def states_for(
    session: AsyncSession,
    cohort_id: int,
    person_ids: Sequence[int],
    now: datetime,
    policy: ExpiryPolicy | None,
    *,
    scopes: Sequence[str] = SCOPES,
    occurrence_key: str | None = None,
) -> dict[int, dict[str, ConsentState]]:
    """person id -> scope -> state, for many people in two queries' worth of work."""
    rows = await ledger_rows(
        session, cohort_id, person_ids, scopes=scopes, occurrence_key=occurrence_key
    )
    by_person: dict[int, list[ConsentRecord]] = {pid: [] for pid in person_ids}
    for row in rows:
        by_person.setdefault(row.person_id, []).append(row)
    return {
        pid: {scope: state_of(scope, mine, now, policy, occurrence_key) for scope in scopes}
        for pid, mine in by_person.items()
    }


async def latest_general(
    session: AsyncSession, person_id: int, cohort_id: int, scope: str
) -> ConsentRecord | None:
    """The person's latest answer for the whole cohort (not per-session) in a scope."""
    found = await session.execute(
        select(ConsentRecord)
        .where(
            ConsentRecord.person_id == person_id,
            ConsentRecord.cohort_id == cohort_id,
            ConsentRecord.scope == scope,
            ConsentRecord.occurrence_key.is_(None),
        )
        .order_by(ConsentRecord.given_at.desc(), ConsentRecord.id.desc())
        .limit(1)
    )
    return found.scalar_one_or_none()


async def per_session_rows(
    session: AsyncSession, person_id: int, cohort_id: int
) -> list[ConsentRecord]:
    """The person's per-session answers in a cohort, oldest first."""
    found = await session.execute(
        select(ConsentRecord)
        .where(
            ConsentRecord.person_id == person_id,
            ConsentRecord.cohort_id == cohort_id,
            ConsentRecord.occurrence_key.is_not(None),
        )
        .order_by(ConsentRecord.given_at, ConsentRecord.id)
    )
    return list(found.scalars())


async def current_yes_rows(
    session: AsyncSession, cohort_id: int, person_ids: Sequence[int]
) -> list[ConsentRecord]:
    """For each person and scope, the latest whole-cohort row when it is a yes (expired or
    not): what an expiry setting applies to."""
    rows = await ledger_rows(session, cohort_id, person_ids)
    latest: dict[tuple[int, str], ConsentRecord] = {}
    for row in rows:
        if row.occurrence_key is None:
            latest[(row.person_id, row.scope)] = row  # rows come oldest first
    return [row for row in latest.values() if row.answer == YES]
