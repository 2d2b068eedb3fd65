"""The alumni network: action commitments with their notes, the log of nudges and check-ins,
the opt-in directory, mentor offers and mentor pairings.

Everything here is personal data and says whose it is with a key to `person` (ON DELETE
CASCADE), so storage/privacy.py exports it with `mydata` and erases it with `forgetme`:
- a commitment's text and its notes belong to the person who made it (notes through the
  commitment they hang off);
- a pairing belongs to both people in it (erasing either one deletes it);
- the nudge log holds no text, only when someone was contacted (for "at most one a week").
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base

# Commitment status
OPEN, DONE, DROPPED = "open", "done", "dropped"
COMMITMENT_STATUSES = (OPEN, DONE, DROPPED)

# What a note records: a free note (`update N "..."`) or an answer to a nudge.
NOTE, WORKING, HELP = "note", "working", "help"
NOTE_KINDS = (NOTE, WORKING, HELP, DONE, DROPPED)

# Nudge log kinds: each counts towards "at most one a week" (the welcome at close does not).
CONTACT_NUDGE, CONTACT_CHECKIN = "nudge", "checkin"

# Mentor pairing status
ASKED, ACTIVE, DECLINED, EXPIRED, ENDED = "asked", "active", "declined", "expired", "ended"
PAIRING_STATUSES = (ASKED, ACTIVE, DECLINED, EXPIRED, ENDED)
# A pairing counts towards a mentor's load while it is being asked or under way.
LOAD_STATUSES = (ASKED, ACTIVE)


class Commitment(Base):
    """An action a person commits to, due on a date in their own zone. `number` is the person's
    own running number (what `commitments`, `done N` and `drop N` show and take)."""

    __tablename__ = "alumni_commitment"
    __table_args__ = (UniqueConstraint("person_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(8), default=OPEN)
    due_date: Mapped[date]  # a calendar day in `zone`
    zone: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]  # when it was marked done or dropped
    # Set when a nudge about it fell due and has not gone out yet (waiting for the weekly limit
    # or the end of quiet hours); cleared when a nudge mentioning it is sent.
    nudge_pending_since: Mapped[datetime | None]


class CommitmentNote(Base):
    """A short update on a commitment, or the answer given to a nudge (no text then)."""

    __tablename__ = "alumni_commitment_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    commitment_id: Mapped[int] = mapped_column(
        ForeignKey("alumni_commitment.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(8))
    text: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]


class AlumniContact(Base):
    """The nudge log: when the bot reached out to someone on its own (a nudge or an annual
    check-in). No message text; the commitment numbers a nudge was about."""

    __tablename__ = "alumni_contact"
    __table_args__ = (Index("ix_alumni_contact_person_sent", "person_id", "sent_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(8))
    cohort_id: Mapped[int | None] = mapped_column(ForeignKey("cohort.id", ondelete="CASCADE"))
    commitments: Mapped[list[int]] = mapped_column(JSON, default=list)
    sent_at: Mapped[datetime]


class DirectoryEntry(Base):
    """A person's listing in the alumni directory, as they chose to publish it: the languages
    and country are taken from their profile when they opt in (and refreshed each time)."""

    __tablename__ = "alumni_directory"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), primary_key=True
    )
    listed: Mapped[bool] = mapped_column(default=True)
    interests: Mapped[str | None] = mapped_column(Text)
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    country: Mapped[str | None] = mapped_column(String(2))
    updated_at: Mapped[datetime]


class MentorOffer(Base):
    """Someone from a past cohort offering to mentor: languages, country, interests, and how
    many mentees at a time at most."""

    __tablename__ = "mentor_offer"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), primary_key=True
    )
    active: Mapped[bool] = mapped_column(default=True)
    interests: Mapped[str | None] = mapped_column(Text)
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    country: Mapped[str | None] = mapped_column(String(2))
    capacity: Mapped[int] = mapped_column(default=3)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class MentorPairing(Base):
    """A mentor and a mentee: asked (waiting for the mentor), active (introduced), declined,
    expired (no answer in time) or ended."""

    __tablename__ = "mentor_pairing"
    __table_args__ = (Index("ix_mentor_pairing_mentor_status", "mentor_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mentor_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    mentee_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    # The mentee's cohort when they asked: its facilitators hear when nobody can help.
    cohort_id: Mapped[int | None] = mapped_column(ForeignKey("cohort.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(8), default=ASKED)
    created_at: Mapped[datetime]
    answered_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
