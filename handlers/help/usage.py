"""Command syntax in the reader's language: the placeholder words of a usage line ("NUMBER",
"DATE") are translated; the command, the literal keywords the parser accepts (yes|no|maybe,
every, until, for, recorded, by, at, to, on, off, all...) and the punctuation stay as typed."""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

from bot.i18n import Translator, _

PLACEHOLDER_IDS: Mapping[str, str] = MappingProxyType(
    {
        "CODE": _("help.ph_code"),
        "COHORT": _("help.ph_cohort"),
        "DATE": _("help.ph_date"),
        "DATETIME": _("help.ph_datetime"),
        "DURATION": _("help.ph_duration"),
        "FILTER": _("help.ph_filter"),
        "INTERESTS": _("help.ph_interests"),
        "LANG": _("help.ph_lang"),
        "LANGUAGE": _("help.ph_language"),
        "N": _("help.ph_n"),
        "NAME": _("help.ph_name"),
        "NOTE": _("help.ph_note"),
        "NUMBER": _("help.ph_number"),
        "PAGE": _("help.ph_page"),
        "PERIOD": _("help.ph_period"),
        "ROLE": _("help.ph_role"),
        "SCOPE": _("help.ph_scope"),
        "SESSION": _("help.ph_session"),
        "TARGET": _("help.ph_target"),
        "TEXT": _("help.ph_text"),
        "TITLE": _("help.ph_title"),
        "USER": _("help.ph_user"),
        "ZONE": _("help.ph_zone"),
    }
)
_WORD = re.compile(r"(?<![\w:])[A-Z][A-Z_]*(?![\w:])")


def localize_usage(tr: Translator, usage: str) -> str:
    """`NUMBER [DATE|all] yes|no|maybe` -> `NÚMERO [FECHA|all] yes|no|maybe` for a Spanish
    reader. Words not in the table (HH:MM) stay."""

    def one(match: re.Match[str]) -> str:
        msgid = PLACEHOLDER_IDS.get(match.group(0))
        return tr.t(msgid) if msgid is not None else match.group(0)

    return _WORD.sub(one, usage)
