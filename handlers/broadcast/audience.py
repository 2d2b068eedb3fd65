"""Whom an announcement targeted by RSVP reaches: the members whose answer for the session's
next meeting is one of the target's answers."""

from __future__ import annotations

from bot.context import Context
from bot.errors import UserError
from bot.i18n import _
from handlers.scheduling import LOOK_AHEAD, occurrences_between, people_by_rsvp
from storage.repositories.broadcast import Target
from storage.repositories.scheduling import session_by_number

# RSVP targeting -----------------------------------------------------------------------------


async def rsvp_people(ctx: Context, cohort_id: int, target: Target) -> list[int] | None:
    """Ids of the members whose answer for the session's next occurrence (an answer for that
    occurrence wins over one for the whole series) is one of the target's answers ("none" =
    not answered yet); None when not targeting by RSVP."""
    if target.rsvp_session is None:
        return None

    session = await session_by_number(ctx.session, cohort_id, target.rsvp_session)
    if session is None:
        raise UserError(_("broadcast.unknown_session"), session=target.rsvp_session)
    upcoming = await occurrences_between(ctx.session, session, ctx.now, ctx.now + LOOK_AHEAD)
    if not upcoming:
        raise UserError(_("broadcast.session_over"), session=target.rsvp_session)
    answers = [None if a == "none" else a for a in target.rsvp_answers]
    return await people_by_rsvp(ctx.session, upcoming[0], answers)
