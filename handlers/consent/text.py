"""Consent wording: scope labels and meanings, reading scope names and yes/no in any language,
and how a state reads. No I/O."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from bot.context import Context
from bot.i18n import Translator, _
from bot.messages import Choice
from storage.models.consent import NO, SCOPES, YES
from storage.repositories.consent import ConsentState, ExpiryPolicy

LABELS = {
    "recording": _("consent.scope_recording"),
    "photos": _("consent.scope_photos"),
    "sharing": _("consent.scope_sharing"),
    "alumni": _("consent.scope_alumni"),
    "debrief": _("consent.scope_debrief"),
}
MEANINGS = {
    "recording": _("consent.meaning_recording"),
    "photos": _("consent.meaning_photos"),
    "sharing": _("consent.meaning_sharing"),
    "alumni": _("consent.meaning_alumni"),
    "debrief": _("consent.meaning_debrief"),
}
# Extra words people may type for a scope, comma-separated, per language.
ALIASES = {
    "recording": _("consent.aliases_recording"),
    "photos": _("consent.aliases_photos"),
    "sharing": _("consent.aliases_sharing"),
    "alumni": _("consent.aliases_alumni"),
    "debrief": _("consent.aliases_debrief"),
}
WORDS = {YES: _("consent.words_yes"), NO: _("consent.words_no")}
UNITS = {
    "d": _("consent.unit_days"),
    "w": _("consent.unit_weeks"),
    "m": _("consent.unit_months"),
    "y": _("consent.unit_years"),
}


def fold(text: str) -> str:
    """Case- and accent-insensitive form for matching what people type."""
    decomposed = unicodedata.normalize("NFKD", text.strip())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def _split(text: str) -> set[str]:
    return {fold(word) for word in re.split(r"[,،]", text) if word.strip()}


def _translators(ctx: Context) -> Iterable[Translator]:
    catalogs = ctx.services.catalogs
    yield ctx.tr
    for lang in catalogs.languages:
        yield catalogs.translator(lang)


def parse_scope(ctx: Context, text: str) -> str | None:
    """A scope from its English name, or its label or an alias in any configured language."""
    wanted = fold(text)
    if wanted in SCOPES:
        return wanted
    for tr in _translators(ctx):
        for scope in SCOPES:
            if wanted in {fold(tr.t(LABELS[scope])), *_split(tr.t(ALIASES[scope]))}:
                return scope
    return None


def parse_answer(ctx: Context, text: str) -> str | None:
    """ "yes" or "no" from the English word or the words for them in any configured language."""
    wanted = fold(text)
    if wanted in (YES, NO):
        return wanted
    for tr in _translators(ctx):
        for answer, msgid in WORDS.items():
            if wanted in _split(tr.t(msgid)):
                return answer
    return None


def label(tr: Translator, scope: str) -> str:
    return tr.t(LABELS[scope])


def meaning(tr: Translator, scope: str) -> str:
    return tr.t(MEANINGS[scope])


def scope_names(tr: Translator) -> str:
    """ "recording (Recording), photos (Photos), ..." for usage replies."""
    return ", ".join(f"{scope} ({label(tr, scope)})" for scope in SCOPES)


def period(tr: Translator, policy: ExpiryPolicy) -> str:
    return tr.tn(UNITS[policy.unit], policy.amount)


def state_text(tr: Translator, state: ConsentState, zone: ZoneInfo) -> str:
    """How one answer reads: yes (until ...), no, not answered, or expired."""
    if state.answer == YES:
        if state.until is not None:
            return tr.t(_("consent.state_yes_until"), date=tr.date(state.until.astimezone(zone)))
        return tr.t(_("consent.state_yes"))
    if state.answer == NO:
        if state.per_session:
            return tr.t(_("consent.state_not_this_session"))
        return tr.t(_("consent.state_no"))
    if state.expired and state.until is not None:
        return tr.t(_("consent.state_expired"), date=tr.date(state.until.astimezone(zone)))
    return tr.t(_("consent.state_unanswered"))


def yes_no_choices(tr: Translator) -> list[Choice]:
    return [Choice(YES, tr.t(_("consent.choice_yes"))), Choice(NO, tr.t(_("consent.choice_no")))]
