"""Leases: which instance holds a platform connection (polls Telegram, syncs Matrix)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base


class Lease(Base):
    __tablename__ = "lease"
    __privacy__ = "none"  # no personal data

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[datetime]
