"""Dashboard sign-in, the audit log and calendar feeds: secrets go in and out of here only as
hashes (`secret_hash`); the raw values live in the link, the cookie or the feed address."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Cohort, Membership, Person
from storage.models.cohorts import STAFF_ROLES
from storage.models.web import (
    LOGIN_VALID,
    SESSION_IDLE,
    SESSION_MAX,
    CalendarFeed,
    WebAudit,
    WebLoginToken,
    WebSession,
)

TOKEN_BYTES = 32  # 256 random bits, URL-safe base64 (43 characters)


def new_secret() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


# Login links ---------------------------------------------------------------------------------
async def issue_login_token(session: AsyncSession, person_id: int, now: datetime) -> str:
    """A new single-use login token for the person; earlier unused ones stop working."""
    await session.execute(
        update(WebLoginToken)
        .where(
            WebLoginToken.person_id == person_id,
            WebLoginToken.used_at.is_(None),
            WebLoginToken.expires_at > now,
        )
        .values(expires_at=now)
    )
    token = new_secret()
    session.add(
        WebLoginToken(
            token_hash=secret_hash(token),
            person_id=person_id,
            created_at=now,
            expires_at=now + LOGIN_VALID,
        )
    )
    return token


async def redeem_login_token(session: AsyncSession, token: str, now: datetime) -> int | None:
    """The person a valid token signs in, spending it; None for a used, expired or unknown one.
    One UPDATE decides, so two requests racing with the same token cannot both win."""
    result = await session.execute(
        update(WebLoginToken)
        .where(
            WebLoginToken.token_hash == secret_hash(token),
            WebLoginToken.used_at.is_(None),
            WebLoginToken.expires_at > now,
        )
        .values(used_at=now)
        .returning(WebLoginToken.person_id)
    )
    found = result.scalar_one_or_none()
    return int(found) if found is not None else None


async def tokens_since(session: AsyncSession, person_id: int, since: datetime) -> int:
    found = await session.execute(
        select(func.count())
        .select_from(WebLoginToken)
        .where(WebLoginToken.person_id == person_id, WebLoginToken.created_at > since)
    )
    return int(found.scalar_one())


# Browser sessions ----------------------------------------------------------------------------
async def open_session(session: AsyncSession, person_id: int, now: datetime) -> str:
    """A new browser session; returns the cookie value (only its hash is stored)."""
    cookie = new_secret()
    session.add(
        WebSession(
            session_hash=secret_hash(cookie),
            person_id=person_id,
            created_at=now,
            last_seen_at=now,
        )
    )
    return cookie


async def live_session(session: AsyncSession, cookie: str, now: datetime) -> WebSession | None:
    """The session a cookie names, if it is still open (not signed out, idle less than
    SESSION_IDLE, younger than SESSION_MAX)."""
    found = await session.execute(
        select(WebSession).where(
            WebSession.session_hash == secret_hash(cookie),
            WebSession.ended_at.is_(None),
            WebSession.last_seen_at > now - SESSION_IDLE,
            WebSession.created_at > now - SESSION_MAX,
        )
    )
    return found.scalar_one_or_none()


async def end_session(session: AsyncSession, cookie: str, now: datetime) -> None:
    await session.execute(
        update(WebSession)
        .where(WebSession.session_hash == secret_hash(cookie), WebSession.ended_at.is_(None))
        .values(ended_at=now)
    )


# Who may see what ------------------------------------------------------------------------------
@dataclass(frozen=True)
class StaffCohort:
    cohort: Cohort
    role: str  # the viewer's role there: coordinator or facilitator


async def staff_cohorts(session: AsyncSession, person_id: int) -> list[StaffCohort]:
    """The cohorts where the person is coordinator or facilitator, newest first."""
    found = await session.execute(
        select(Cohort, Membership.role)
        .join(Membership, Membership.cohort_id == Cohort.id)
        .where(Membership.person_id == person_id, Membership.role.in_(STAFF_ROLES))
        .order_by(Cohort.created_at.desc(), Cohort.id.desc())
    )
    return [StaffCohort(c, r) for c, r in found.all()]


async def is_staff_anywhere(session: AsyncSession, person_id: int) -> bool:
    return bool(await staff_cohorts(session, person_id))


# The audit log -------------------------------------------------------------------------------
async def record_view(
    session: AsyncSession, cohort_id: int, viewer_id: int, page: str, now: datetime
) -> None:
    session.add(WebAudit(cohort_id=cohort_id, viewer_id=viewer_id, page=page, viewed_at=now))


@dataclass(frozen=True)
class AuditRow:
    viewer_id: int | None
    page: str
    viewed_at: datetime


async def audit_rows(
    session: AsyncSession, cohort_id: int, *, limit: int = 200, offset: int = 0
) -> list[AuditRow]:
    found = await session.execute(
        select(WebAudit.viewer_id, WebAudit.page, WebAudit.viewed_at)
        .where(WebAudit.cohort_id == cohort_id)
        .order_by(WebAudit.viewed_at.desc(), WebAudit.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [AuditRow(v, p, at) for v, p, at in found.all()]


# Calendar feeds ------------------------------------------------------------------------------
async def replace_feed(session: AsyncSession, person_id: int, now: datetime) -> str:
    """A new private feed token for the person; the earlier address stops working."""
    await session.execute(delete(CalendarFeed).where(CalendarFeed.person_id == person_id))
    token = new_secret()
    session.add(CalendarFeed(token_hash=secret_hash(token), person_id=person_id, created_at=now))
    return token


async def revoke_feed(session: AsyncSession, person_id: int) -> bool:
    result = await session.execute(delete(CalendarFeed).where(CalendarFeed.person_id == person_id))
    return bool(getattr(result, "rowcount", 0))


async def feed_owner(session: AsyncSession, token: str) -> Person | None:
    found = await session.execute(
        select(Person)
        .join(CalendarFeed, CalendarFeed.person_id == Person.id)
        .where(CalendarFeed.token_hash == secret_hash(token))
    )
    return found.scalar_one_or_none()


async def people_named(session: AsyncSession, ids: Sequence[int]) -> list[Person]:
    if not ids:
        return []
    found = await session.execute(select(Person).where(Person.id.in_(list(ids))))
    return list(found.scalars())
