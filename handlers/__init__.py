"""One package per capability, each with its own Router. `routers()` lists them for bot/app.py."""

from __future__ import annotations

from bot.router import Router


def routers() -> list[Router]:
    from handlers import (
        alumni,
        attendance,
        broadcast,
        cohorts,
        consent,
        dashboard,
        debrief,
        help,
        link,
        onboarding,
        privacy,
        profile,
        safety,
        scheduling,
    )

    return [
        help.router,
        onboarding.router,
        profile.router,
        cohorts.router,
        scheduling.router,
        privacy.router,
        broadcast.router,
        consent.router,
        debrief.router,
        alumni.router,
        link.router,
        dashboard.router,
        attendance.router,
        safety.router,
    ]
