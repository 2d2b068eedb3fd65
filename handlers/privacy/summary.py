"""`mydata`'s readable summary, in the person's language: what the bot holds about them (counts
per kind, read from the very export they get as JSON), why, for how long (the retention limits
of `[privacy]`, the same the daily retention job enforces) and how to erase it."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bot.config import PrivacyConfig
from bot.i18n import Translator, _
from handlers.scheduling import duration_text


@dataclass(frozen=True)
class Kind:
    """One line of the summary: the export's tables it counts, a plural message for the count,
    and a message for why and how long (`{days}`, a duration, from `days` when it has one)."""

    tables: tuple[str, ...]
    count_id: str
    why_id: str
    days: Callable[[PrivacyConfig], int] | None = None


KINDS: Sequence[Kind] = (
    Kind(("identity",), _("privacy.sum_accounts"), _("privacy.why_accounts")),
    Kind(("membership",), _("privacy.sum_cohorts"), _("privacy.why_cohorts")),
    Kind(("consent_record",), _("privacy.sum_consents"), _("privacy.why_consents")),
    Kind(("session_rsvp",), _("privacy.sum_rsvps"), _("privacy.why_rsvps")),
    Kind(("attendance",), _("privacy.sum_attendance"), _("privacy.why_attendance")),
    Kind(
        ("debrief_answer",),
        _("privacy.sum_debrief"),
        _("privacy.why_debrief"),
        lambda p: p.debrief_retention_days,
    ),
    Kind(("debrief_prompt",), _("privacy.sum_debrief_open"), _("privacy.why_debrief_open")),
    Kind(
        ("alumni_commitment", "alumni_commitment_note"),
        _("privacy.sum_commitments"),
        _("privacy.why_commitments"),
    ),
    Kind(
        ("alumni_directory", "mentor_offer", "mentor_pairing", "alumni_contact"),
        _("privacy.sum_alumni"),
        _("privacy.why_alumni"),
    ),
    Kind(
        ("pending_question", "job", "outbox"),
        _("privacy.sum_pending"),
        _("privacy.why_pending"),
        lambda p: p.finished_job_days,
    ),
)
# The profile (one row of `person`): which of its settings are set.
PROFILE_FIELDS: Mapping[str, str] = {
    "language": _("privacy.field_language"),
    "timezone": _("privacy.field_zone"),
    "country": _("privacy.field_country"),
    "quiet_start": _("privacy.field_quiet"),
}


@dataclass(frozen=True)
class Line:
    count: int
    count_id: str
    why_id: str
    days: int | None = None


def lines_of(
    tables: Mapping[str, Sequence[Mapping[str, Any]]], privacy: PrivacyConfig
) -> list[Line]:
    """How many rows of each kind the export holds; every other table of the person's is
    counted under "other records"."""
    found: list[Line] = []
    known: set[str] = {"person"}
    for kind in KINDS:
        known.update(kind.tables)
        count = sum(len(tables.get(name, ())) for name in kind.tables)
        if count:
            days = kind.days(privacy) if kind.days is not None else None
            found.append(Line(count, kind.count_id, kind.why_id, days))
    other = sum(len(rows) for name, rows in tables.items() if name not in known)
    if other:
        found.append(Line(other, _("privacy.sum_other"), _("privacy.why_other")))
    return found


def profile_fields(tables: Mapping[str, Sequence[Mapping[str, Any]]]) -> list[str]:
    rows = tables.get("person") or [{}]
    return [msgid for field, msgid in PROFILE_FIELDS.items() if rows[0].get(field)]


def render(
    tr: Translator,
    export: Mapping[str, Any],
    privacy: PrivacyConfig,
    erase_command: str,
) -> str:
    tables: Mapping[str, Sequence[Mapping[str, Any]]] = export.get("tables", {})
    out = [tr.t(_("privacy.summary_header")), ""]
    fields = profile_fields(tables)
    if fields:
        shown = tr.join([tr.t(msgid) for msgid in fields])
        out.append(tr.t(_("privacy.sum_profile"), fields=shown))
        out.append(tr.t(_("privacy.why_profile")))
    for line in lines_of(tables, privacy):
        out.append(tr.tn(line.count_id, line.count))
        why = {"days": duration_text(tr, timedelta(days=line.days))} if line.days else {}
        out.append(tr.t(line.why_id, **why))
    out.append("")
    out.append(tr.t(_("privacy.summary_not_held")))
    out.append(tr.t(_("privacy.summary_erase"), command=erase_command))
    return "\n".join(out)
