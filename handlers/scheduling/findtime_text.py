"""How findtime reads: the ranked suggestions in the asker's language and zone, who each one
inconveniences and why, whose nights the recent sessions took, and the refusals."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from bot.context import Context
from bot.errors import UserError
from bot.i18n import Translator, _
from bot.timeparse import format_duration
from handlers.scheduling.findtime_request import FindTimeRequest, Refusal
from handlers.scheduling.slots import Attendee, Slot
from handlers.scheduling.text import clock, day_short, duration_text, span

TIRED_SHOWN = 6  # the people named in the fairness line, most burdened first


def refusal_error(tr: Translator, refusal: Refusal) -> UserError:
    """The reply a refusal makes (its dates in the reader's language)."""
    dates = {key: tr.date(day) for key, day in refusal.dates.items()}
    return UserError(refusal.message_id, **refusal.values, **dates)


def no_slots_error(request: FindTimeRequest) -> UserError:
    return UserError(
        _("scheduling.findtime_none"),
        start=request.first.isoformat(),
        end=request.last.isoformat(),
    )


def suggestions_text(
    ctx: Context,
    request: FindTimeRequest,
    slots: Sequence[Slot],
    attendees: Sequence[Attendee],
    names: Mapping[int, str],
) -> str:
    """The reply: a header, one line per slot, the fairness line, an /addsession example."""
    zone = ctx.zone
    lines = [
        ctx.tn(
            _("scheduling.findtime_header"),
            len(attendees),
            duration=duration_text(ctx.tr, request.duration),
            start=day_short(
                ctx.tr, datetime.combine(request.first, datetime.min.time(), zone), zone
            ),
            end=day_short(ctx.tr, datetime.combine(request.last, datetime.min.time(), zone), zone),
            zone=zone.key,
        )
    ]
    by_key = {a.key: a for a in attendees}
    for index, slot in enumerate(slots, start=1):
        lines.append(_slot_line(ctx, index, slot, by_key, names))
    tired = sorted((p for p in attendees if p.burden > 0), key=lambda p: (-p.burden, names[p.key]))
    if tired:
        shown = ", ".join(f"{names[p.key]} ({round(p.burden * 100)}%)" for p in tired[:TIRED_SHOWN])
        lines.append(ctx.t(_("scheduling.findtime_fairness"), people=shown))
    best = slots[0].start.astimezone(zone)
    example = f'/addsession "…" {best:%Y-%m-%d %H:%M} for {format_duration(request.duration)}'
    lines.append(ctx.t(_("scheduling.findtime_footer"), example=example))
    return "\n".join(lines)


def _slot_line(
    ctx: Context,
    index: int,
    slot: Slot,
    by_key: Mapping[int, Attendee],
    names: Mapping[int, str],
) -> str:
    when = span(ctx.tr, slot.start, slot.end, ctx.zone, with_zone=False)
    if not slot.inconvenienced:
        return ctx.t(_("scheduling.findtime_all_awake"), index=index, when=when)
    holidays = dict(slot.holidays)
    # People with the same reason (same local time, same holiday) are named together.
    groups: dict[str, list[str]] = {}
    for key in slot.inconvenienced:
        person = by_key[key]
        why: list[str] = []
        if key in slot.night:
            local = (
                f"{clock(ctx.tr, slot.start, person.zone)}–{clock(ctx.tr, slot.end, person.zone)}"
            )
            why.append(ctx.t(_("scheduling.findtime_night"), time=local))
        if key in holidays:
            why.append(ctx.t(_("scheduling.findtime_holiday"), holiday=holidays[key]))
        groups.setdefault("; ".join(why), []).append(names[key])
    reasons = [
        ctx.t(_("scheduling.findtime_person"), name=ctx.tr.join(people), why=why)
        for why, people in groups.items()
    ]
    return ctx.tn(
        _("scheduling.findtime_slot"),
        len(slot.inconvenienced),
        index=index,
        when=when,
        who="; ".join(reasons),
    )
