"""Coordinator broadcasts: announce (with a confirmation), translate, announcements, cancel."""

from __future__ import annotations

from handlers.broadcast.announce import router

__all__ = ["router"]
