"""The dashboard's sign-in and accountability: login links, browser sessions, the audit log of
who looked at personal data, and private calendar feeds.

Secrets are stored only as SHA-256 hashes (a login link's token, a session cookie, a feed's
token): reading the database does not let anyone in. Each row belongs to its person (exported
without the hash, erased with them); the audit log keeps its rows when the viewer is erased,
without the link to them, so the cohort's record of views stays whole."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING

from sqlalchemy import Delete, ForeignKey, Index, String, bindparam, delete, or_
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, Executor

if TYPE_CHECKING:
    from bot.config import PrivacyConfig

LOGIN_VALID = timedelta(minutes=15)
SESSION_IDLE = timedelta(hours=12)
SESSION_MAX = timedelta(days=7)  # signed in at most this long, however active
AUDIT_KEEP = timedelta(days=365)
SPENT_KEEP = timedelta(days=1)  # used or expired login links are purged after this


def _rowcount(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


class WebLoginToken(Base):
    """A link `/dashboard` handed out: valid LOGIN_VALID, works once (`used_at`)."""

    __tablename__ = "web_login_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
    used_at: Mapped[datetime | None]

    @classmethod
    async def __retention__(cls, session: Executor, now: datetime, privacy: PrivacyConfig) -> int:
        result = await session.execute(_purge_tokens(), {"cutoff": now - SPENT_KEEP})
        return _rowcount(result)


class WebSession(Base):
    """A signed-in browser: the cookie's hash, when it was last used, and when it ended."""

    __tablename__ = "web_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_hash: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]  # signed out

    @classmethod
    async def __retention__(cls, session: Executor, now: datetime, privacy: PrivacyConfig) -> int:
        result = await session.execute(
            _purge_sessions(), {"idle": now - SESSION_IDLE, "oldest": now - SESSION_MAX}
        )
        return _rowcount(result)


class WebAudit(Base):
    """One view of personal data on the dashboard: who (a staff member), which cohort, which
    page, when. Coordinators read it on the dashboard's audit page."""

    __tablename__ = "web_audit"
    __table_args__ = (Index("ix_web_audit_cohort_at", "cohort_id", "viewed_at"),)
    __privacy__ = "anonymize"  # kept when the viewer is erased, without the link to them

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id", ondelete="CASCADE"))
    viewer_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), index=True
    )
    page: Mapped[str] = mapped_column(String(32))  # "overview", "consent", "roster.csv"...
    viewed_at: Mapped[datetime]

    @classmethod
    async def __retention__(cls, session: Executor, now: datetime, privacy: PrivacyConfig) -> int:
        result = await session.execute(_purge_audit(), {"cutoff": now - AUDIT_KEEP})
        return _rowcount(result)


class CalendarFeed(Base):
    """A person's private calendar subscription (`calendar feed`): one at a time; `calendar feed
    off` deletes it, and asking again replaces it."""

    __tablename__ = "calendar_feed"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), unique=True)
    created_at: Mapped[datetime]


# The daily retention pass's statements, built once (their cutoffs parameters).
@cache
def _purge_tokens() -> Delete:
    return delete(WebLoginToken).where(WebLoginToken.expires_at <= bindparam("cutoff"))


@cache
def _purge_sessions() -> Delete:
    return delete(WebSession).where(
        or_(
            WebSession.last_seen_at <= bindparam("idle"),
            WebSession.created_at <= bindparam("oldest"),
            WebSession.ended_at.is_not(None),
        )
    )


@cache
def _purge_audit() -> Delete:
    return delete(WebAudit).where(WebAudit.viewed_at <= bindparam("cutoff"))
