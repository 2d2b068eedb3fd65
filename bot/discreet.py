"""Discreet mode (`discreet on`, per cohort): what notifications say instead of the program's
name and the topic. The flag itself is `storage.models.cohorts.is_discreet`; what it protects
from forwarding is decided by `Context.protect`."""

from __future__ import annotations

from bot.i18n import Translator, _
from storage.models import Cohort
from storage.models.cohorts import is_discreet


def cohort_label(tr: Translator, cohort: Cohort) -> str:
    """The cohort's name, or in discreet mode words that name neither program nor topic."""
    return tr.t(_("core.discreet_label")) if is_discreet(cohort) else cohort.name


def topic_label(tr: Translator, cohort: Cohort, title: str) -> str:
    """A session's title, or in discreet mode neutral words."""
    return tr.t(_("core.discreet_session")) if is_discreet(cohort) else title
