"""Safety: confidential reports to the cohort's safety contacts (reports.py), who those contacts
are (contacts.py), safety check-ins that ask everyone "are you safe?" now (checks.py), the code of
conduct members acknowledge (conduct.py) and discreet mode (discreet.py); what they share
(common.py).

Reports reach the safety contacts -- the designated ones, else the coordinators -- and never the
member the reporter says the report concerns. Summaries show counts only (`safety_counts`)."""

from __future__ import annotations

from bot.router import Router
from handlers.safety import checks, conduct, contacts, discreet, reports

router = Router()
for _module in (reports, contacts, checks, conduct, discreet):
    router.include(_module.router)

__all__ = ["router"]
