"""Privacy: `mydata`, `forgetme` and the daily retention job (`on_startup` schedules it)."""

from __future__ import annotations

from handlers.privacy.commands import on_startup, router

__all__ = ["on_startup", "router"]
