"""The web dashboard's chat side: `/dashboard` gives staff a single-use sign-in link (the
pages themselves are in the `web` package)."""

from __future__ import annotations

from handlers.dashboard.commands import router

__all__ = ["router"]
