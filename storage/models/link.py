"""One-time codes that link a person's accounts on two platforms into one person, and the wrong
codes people typed (counted to rate-limit guessing)."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING

from sqlalchemy import Delete, ForeignKey, String, bindparam, delete
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, Executor

if TYPE_CHECKING:
    from bot.config import PrivacyConfig

LINK_KEEP = timedelta(days=1)  # used or expired codes and wrong attempts are purged after this


class LinkCode(Base):
    """A code handed out by `link` on one platform. Only its hash is stored; it expires, and it
    works once (used_at)."""

    __tablename__ = "link_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    # The account that asked for it: the code must be sent from another platform.
    identity_id: Mapped[int] = mapped_column(ForeignKey("identity.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(index=True)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]

    @classmethod
    async def __retention__(cls, session: Executor, now: datetime, privacy: PrivacyConfig) -> int:
        result = await session.execute(_purge_codes(), {"cutoff": now - LINK_KEEP})
        return int(getattr(result, "rowcount", 0) or 0)


class LinkAttempt(Base):
    """A wrong or expired code sent with `link CODE`."""

    __tablename__ = "link_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    attempted_at: Mapped[datetime] = mapped_column(index=True)

    @classmethod
    async def __retention__(cls, session: Executor, now: datetime, privacy: PrivacyConfig) -> int:
        result = await session.execute(_purge_attempts(), {"cutoff": now - LINK_KEEP})
        return int(getattr(result, "rowcount", 0) or 0)


# The daily retention pass's statements, built once (their cutoff a parameter).
@cache
def _purge_codes() -> Delete:
    return delete(LinkCode).where(LinkCode.expires_at <= bindparam("cutoff"))


@cache
def _purge_attempts() -> Delete:
    return delete(LinkAttempt).where(LinkAttempt.attempted_at <= bindparam("cutoff"))
