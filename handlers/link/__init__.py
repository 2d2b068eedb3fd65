"""`link` / `link CODE`: one person across Telegram and Matrix."""

from __future__ import annotations

from handlers.link.commands import router

__all__ = ["router"]
