"""Safety: the cohort's safety contacts, confidential reports and their threads, safety
check-ins with each member's answer, the code of conduct and who acknowledged it.

Privacy (docs/data-inventory.md has the table):
- A report belongs to its reporter: `mydata` exports it with its thread; `forgetme` clears the
  reporter's link and keeps the text for the safety contacts (a safety record is the cohort's
  too), until retention deletes it `safety_report_days` after its last message.
- The person a report concerns is a *silent* mention: erasure clears the link, and their own
  export does not even count it (a count would tell them that someone reported them).
- Safety-check answers belong to whoever answered; a check and its answers are deleted
  `safety_check_days` after it was sent.

The decisions for `safety_report`, `safety_report_note` and `conduct_text` are in
storage.privacy.DECLARED (they need a TablePolicy, which models cannot import)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, bindparam, delete
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, Executor

if TYPE_CHECKING:
    from bot.config import PrivacyConfig

URGENCIES = ("now", "soon", "later")  # someone is in danger now | within a day | not urgent
# A check's answers: asked (no answer yet), safe, help (needs help).
ASKED, SAFE, HELP = "asked", "safe", "help"


class SafetyContact(Base):
    """A member designated to receive the cohort's safety reports and alerts. No rows: the
    coordinators are the contacts."""

    __tablename__ = "safety_contact"
    __table_args__ = (UniqueConstraint("cohort_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    added_at: Mapped[datetime]


class SafetyReport(Base):
    """A confidential report. `ref` is random (it tells nobody how many reports exist);
    `reporter_id` is kept even for an anonymous report, only to route replies back: the bot
    never shows it to anyone."""

    __tablename__ = "safety_report"

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(16), unique=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id", ondelete="CASCADE"), index=True)
    reporter_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), index=True
    )
    anonymous: Mapped[bool] = mapped_column(default=True)
    # The member the report concerns, when the reporter named one: never told, never a recipient.
    concerned_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), index=True
    )
    concerned_text: Mapped[str | None] = mapped_column(String(200))  # as the reporter wrote it
    urgency: Mapped[str] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime] = mapped_column(index=True)  # the thread's last message

    @classmethod
    async def __retention__(cls, session: Executor, now: datetime, privacy: PrivacyConfig) -> int:
        cutoff = now - timedelta(days=privacy.safety_report_days)
        result = await session.execute(
            delete(SafetyReport).where(SafetyReport.updated_at < bindparam("cutoff")),
            {"cutoff": cutoff},
        )
        return int(getattr(result, "rowcount", 0) or 0)


class SafetyReportNote(Base):
    """A later message in a report's thread: an addition by the reporter or a contact's reply.
    `reporter_id` repeats the report's, so that the reporter's export and erasure find it."""

    __tablename__ = "safety_report_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(
        ForeignKey("safety_report.id", ondelete="CASCADE"), index=True
    )
    reporter_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), index=True
    )
    # The contact who replied; None for the reporter's own additions.
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), index=True
    )
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class SafetyCheck(Base):
    """`safetycheck`: everyone in the cohort is asked "are you safe?" now."""

    __tablename__ = "safety_check"
    __table_args__ = (UniqueConstraint("cohort_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), index=True
    )
    message: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(index=True)
    fanout_after: Mapped[int] = mapped_column(default=0)  # cursor: the last person id asked
    fanout_done: Mapped[bool] = mapped_column(default=False)

    @classmethod
    async def __retention__(cls, session: Executor, now: datetime, privacy: PrivacyConfig) -> int:
        cutoff = now - timedelta(days=privacy.safety_check_days)
        result = await session.execute(
            delete(SafetyCheck).where(SafetyCheck.created_at < bindparam("cutoff")),
            {"cutoff": cutoff},
        )
        return int(getattr(result, "rowcount", 0) or 0)


class SafetyCheckAnswer(Base):
    """One member's answer to a check (`asked` until they answer)."""

    __tablename__ = "safety_check_answer"
    __table_args__ = (UniqueConstraint("check_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    check_id: Mapped[int] = mapped_column(
        ForeignKey("safety_check.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(8), default=ASKED)
    text: Mapped[str | None] = mapped_column(Text)
    asked_at: Mapped[datetime]
    answered_at: Mapped[datetime | None]


class ConductText(Base):
    """The cohort's code of conduct in one language (`original`: as the coordinator set it)."""

    __tablename__ = "conduct_text"
    __table_args__ = (UniqueConstraint("cohort_id", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id", ondelete="CASCADE"), index=True)
    language: Mapped[str] = mapped_column(String(16))
    original: Mapped[bool] = mapped_column(default=False)
    text: Mapped[str] = mapped_column(Text)
    set_at: Mapped[datetime]


class ConductAck(Base):
    """A member acknowledged the cohort's code of conduct."""

    __tablename__ = "conduct_ack"
    __table_args__ = (UniqueConstraint("cohort_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    acknowledged_at: Mapped[datetime]
