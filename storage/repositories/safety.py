"""Safety contacts, reports, check-ins and the code of conduct: the queries handlers/safety uses."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import STAFF_ROLES, Membership, Person
from storage.models.cohorts import Role
from storage.models.safety import (
    ASKED,
    ConductAck,
    ConductText,
    SafetyCheck,
    SafetyCheckAnswer,
    SafetyContact,
    SafetyReport,
)

# Report references: random, unambiguous when read aloud (no 0/O, 1/I/L).
REF_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
REF_LENGTH = 6


# Contacts -----------------------------------------------------------------------------------
async def contact_ids(session: AsyncSession, cohort_id: int) -> list[int]:
    """The designated contacts (no rows: none designated), in the order they were added."""
    found = await session.execute(
        select(SafetyContact.person_id)
        .join(
            Membership,
            (Membership.person_id == SafetyContact.person_id)
            & (Membership.cohort_id == SafetyContact.cohort_id),
        )
        .where(SafetyContact.cohort_id == cohort_id)
        .order_by(SafetyContact.id)
    )
    return [int(pid) for pid in found.scalars()]


async def role_ids(session: AsyncSession, cohort_id: int, roles: Sequence[str]) -> list[int]:
    found = await session.execute(
        select(Membership.person_id)
        .where(Membership.cohort_id == cohort_id, Membership.role.in_(roles))
        .order_by(Membership.id)
    )
    return [int(pid) for pid in found.scalars()]


async def recipients(session: AsyncSession, cohort_id: int, exclude: Sequence[int]) -> list[int]:
    """Who receives the cohort's safety reports and alerts, never anyone in `exclude` (the
    person a report concerns, the sender): the designated contacts, else the coordinators;
    when that leaves nobody, the other staff."""
    skip = set(exclude)
    chosen = await contact_ids(session, cohort_id) or await role_ids(
        session, cohort_id, (Role.COORDINATOR,)
    )
    found = [pid for pid in chosen if pid not in skip]
    if found:
        return found
    return [pid for pid in await role_ids(session, cohort_id, STAFF_ROLES) if pid not in skip]


async def add_contact(session: AsyncSession, cohort_id: int, person_id: int, now: datetime) -> bool:
    existing = await session.scalar(
        select(SafetyContact.id).where(
            SafetyContact.cohort_id == cohort_id, SafetyContact.person_id == person_id
        )
    )
    if existing is not None:
        return False
    session.add(SafetyContact(cohort_id=cohort_id, person_id=person_id, added_at=now))
    await session.flush()
    return True


async def remove_contact(session: AsyncSession, cohort_id: int, person_id: int) -> bool:
    result = await session.execute(
        delete(SafetyContact).where(
            SafetyContact.cohort_id == cohort_id, SafetyContact.person_id == person_id
        )
    )
    return int(getattr(result, "rowcount", 0) or 0) > 0


# Reports ------------------------------------------------------------------------------------
async def new_ref(session: AsyncSession) -> str:
    while True:
        ref = "".join(secrets.choice(REF_ALPHABET) for _ in range(REF_LENGTH))
        if await session.scalar(select(SafetyReport.id).where(SafetyReport.ref == ref)) is None:
            return ref


def normalize_ref(text: str) -> str:
    return text.strip().lstrip("#").upper()


async def report_by_ref(session: AsyncSession, ref: str) -> SafetyReport | None:
    found = await session.execute(
        select(SafetyReport).where(SafetyReport.ref == normalize_ref(ref)).with_for_update()
    )
    return found.scalar_one_or_none()


@dataclass(frozen=True)
class SafetyCounts:
    """What a summary may show: counts, never contents."""

    reports: int
    urgent_reports: int
    checks: int
    needed_help: int


async def safety_counts(session: AsyncSession, cohort_id: int) -> SafetyCounts:
    reports = await session.scalar(
        select(func.count()).select_from(SafetyReport).where(SafetyReport.cohort_id == cohort_id)
    )
    urgent = await session.scalar(
        select(func.count())
        .select_from(SafetyReport)
        .where(SafetyReport.cohort_id == cohort_id, SafetyReport.urgency == "now")
    )
    checks = await session.scalar(
        select(func.count()).select_from(SafetyCheck).where(SafetyCheck.cohort_id == cohort_id)
    )
    helped = await session.scalar(
        select(func.count())
        .select_from(SafetyCheckAnswer)
        .join(SafetyCheck, SafetyCheck.id == SafetyCheckAnswer.check_id)
        .where(SafetyCheck.cohort_id == cohort_id, SafetyCheckAnswer.status == "help")
    )
    return SafetyCounts(int(reports or 0), int(urgent or 0), int(checks or 0), int(helped or 0))


# Checks -------------------------------------------------------------------------------------
async def next_check_number(session: AsyncSession, cohort_id: int) -> int:
    found = await session.scalar(
        select(func.max(SafetyCheck.number)).where(SafetyCheck.cohort_id == cohort_id)
    )
    return int(found or 0) + 1


async def check_by_number(
    session: AsyncSession, cohort_id: int, number: int | None
) -> SafetyCheck | None:
    """The cohort's check with this number; None: its latest."""
    query = select(SafetyCheck).where(SafetyCheck.cohort_id == cohort_id)
    if number is not None:
        query = query.where(SafetyCheck.number == number)
    found = await session.execute(query.order_by(SafetyCheck.number.desc()).limit(1))
    return found.scalar_one_or_none()


async def member_batch(
    session: AsyncSession, cohort_id: int, after: int, limit: int, skip: int | None
) -> list[Person]:
    """The cohort's members after person id `after`, in id order (the fan-out's cursor)."""
    query = (
        select(Person)
        .join(Membership, Membership.person_id == Person.id)
        .where(Membership.cohort_id == cohort_id, Person.id > after)
        .order_by(Person.id)
        .limit(limit)
    )
    if skip is not None:
        query = query.where(Person.id != skip)
    found = await session.execute(query)
    return list(found.scalars())


async def add_asked(
    session: AsyncSession, check_id: int, person_ids: Sequence[int], now: datetime
) -> None:
    if person_ids:
        await session.execute(
            insert(SafetyCheckAnswer),
            [
                {"check_id": check_id, "person_id": pid, "status": ASKED, "asked_at": now}
                for pid in person_ids
            ],
        )


async def answers_of(session: AsyncSession, check_id: int) -> list[SafetyCheckAnswer]:
    found = await session.execute(
        select(SafetyCheckAnswer)
        .where(SafetyCheckAnswer.check_id == check_id)
        .order_by(SafetyCheckAnswer.person_id)
    )
    return list(found.scalars())


async def answer_of(
    session: AsyncSession, check_id: int, person_id: int
) -> SafetyCheckAnswer | None:
    found = await session.execute(
        select(SafetyCheckAnswer).where(
            SafetyCheckAnswer.check_id == check_id, SafetyCheckAnswer.person_id == person_id
        )
    )
    return found.scalar_one_or_none()


# Code of conduct ----------------------------------------------------------------------------
async def conduct_texts(session: AsyncSession, cohort_id: int) -> list[ConductText]:
    """The original first, then the translations."""
    found = await session.execute(
        select(ConductText)
        .where(ConductText.cohort_id == cohort_id)
        .order_by(ConductText.original.desc(), ConductText.language)
    )
    return list(found.scalars())


async def acknowledged(
    session: AsyncSession, cohort_id: int, person_ids: Sequence[int]
) -> dict[int, datetime]:
    if not person_ids:
        return {}
    found = await session.execute(
        select(ConductAck.person_id, ConductAck.acknowledged_at).where(
            ConductAck.cohort_id == cohort_id, ConductAck.person_id.in_(set(person_ids))
        )
    )
    return {int(pid): at for pid, at in found.all()}
