"""Profile settings anyone may change: language, time zone, country, quiet hours; and `me`.
Others use the zone helpers: resolving what a person typed, setting it, asking to pick one."""

from __future__ import annotations

from handlers.profile.commands import (
    ZONE_FOLLOWS,
    ask_zone_choice,
    resolve_zone,
    router,
    set_zone,
)

__all__ = ["ZONE_FOLLOWS", "ask_zone_choice", "resolve_zone", "router", "set_zone"]
