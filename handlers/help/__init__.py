"""`help`: what this person may do here, by role. Others use `prefix` (how commands are typed
on the sender's platform)."""

from __future__ import annotations

from handlers.help.commands import prefix, router

__all__ = ["prefix", "router"]
