"""`help`: what this person may do here, by role. Others use `prefix` (how commands are typed
on the sender's platform)."""

from __future__ import annotations

from handlers.help.commands import prefix, prefix_on, router

__all__ = ["prefix", "prefix_on", "router"]
