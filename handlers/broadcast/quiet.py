"""Who an announcement would reach inside their quiet hours: the preview names them, so that
sending to everyone at once is a choice made knowingly."""

from __future__ import annotations

from datetime import datetime

from bot.context import Context
from bot.profile import is_quiet, zone_of
from handlers.cohorts import name_of
from storage.models import Cohort
from storage.repositories.broadcast import Target, member_batch
from storage.repositories.people import identities_of

PREVIEW_LIMIT = 2000  # members looked at for the preview; beyond that, the count says "at least"


async def quiet_names(
    ctx: Context, cohort: Cohort, target: Target, rsvp: list[int] | None, at: datetime
) -> list[str]:
    """Names of the recipients (other than the author) in their quiet hours at `at`."""
    people = await member_batch(
        ctx.session,
        cohort.id,
        target,
        ctx.config.bot.default_language,
        after=0,
        limit=PREVIEW_LIMIT,
        rsvp_people=rsvp,
    )
    author = ctx.person.id if ctx.person is not None else None
    return [
        name_of(p, await identities_of(ctx.session, p.id))
        for p in people
        if p.id != author and is_quiet(p, ctx.config, zone_of(p, cohort.zone), at)
    ]
