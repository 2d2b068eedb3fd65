"""Consent withdrawal reaches back: when a person says no to keeping debrief answers, the
answers they already gave under their name lose it. The text stays (the team keeps what was
learned, and counts stay true) as anonymous rows that nothing links to the person: no longer in
their export, no longer quoted with their name in summaries. A no for one session or one date
unnames the answers of that session or date only. The privacy notice and docs/data-inventory.md
say so."""

from __future__ import annotations

from bot.context import Context
from bot.router import Router
from handlers.consent import ConsentGiven
from storage.models.consent import NO
from storage.repositories.debrief import unname_answers

router = Router()

CONSENT_SCOPE = "debrief"


@router.on(ConsentGiven)
async def debrief_consent_withdrawn(ctx: Context, event: ConsentGiven) -> None:
    if event.scope != CONSENT_SCOPE or event.answer != NO:
        return
    record = event.record
    occurrence_id: int | None = None
    if record.occurrence_key is not None:
        occurrence_id = event.occurrence.row_id if event.occurrence is not None else None
        if occurrence_id is None:
            return  # a date that never took place has no answers
    await unname_answers(
        ctx.session,
        event.person.id,
        event.cohort.id,
        session_id=record.session_id,
        occurrence_id=occurrence_id,
    )
