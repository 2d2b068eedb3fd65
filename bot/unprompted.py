"""The one table of unprompted messages: every message the bot sends that is not the immediate
answer to what the reader just did, and when it may reach them.

- DEFER: held until the reader's quiet hours end (`Context.send_to_person` does it).
- TIMED: a job whose due time was chosen outside the reader's quiet hours when it was
  scheduled (a reminder moved earlier so that it still comes before the session, a prompt
  moved to the morning); it is sent when due.
- URGENT: sent at once, quiet hours or not; the table says why.

Every call that sends to someone other than the person acting names its kind here, and every
job kind is here (tests/core/test_unprompted.py walks both). A send to someone else without a
kind is deferred: silence at night is the safe default.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from types import MappingProxyType

from bot.config import Config
from bot.profile import out_of_quiet, zone_of
from storage.models import Person


class Timing(Enum):
    DEFER = "defer"
    TIMED = "timed"
    URGENT = "urgent"


@dataclass(frozen=True)
class Rule:
    timing: Timing
    why: str


def _defer(why: str) -> Rule:
    return Rule(Timing.DEFER, why)


def _timed(why: str) -> Rule:
    return Rule(Timing.TIMED, why)


def _urgent(why: str) -> Rule:
    return Rule(Timing.URGENT, why)


UNPROMPTED: Mapping[str, Rule] = MappingProxyType(
    {
        # Sent by a command to other people --------------------------------------------------
        "cohorts.closed": _defer("members hear that the cohort closed and they are alumni"),
        "cohorts.role_changed": _defer("a member hears that a coordinator changed their role"),
        "alumni.helper_request": _defer("an alumnus is asked to help with a commitment"),
        "alumni.mentoring": _defer("mentor requests, answers and follow-ups to the other side"),
        "debrief.talk_request": _defer("a staff member is asked to talk with a participant"),
        "debrief.summary": _defer("the facilitators' debrief summary"),
        "consent.withdrawn_before_session": _urgent(
            "a withdrawal before a recorded session must reach the facilitator before it starts"
        ),
        "safety.report": _defer("a safety report that is not urgent, its additions and replies"),
        "safety.report_urgent": _urgent(
            "a report marked urgent (someone may be in danger now), its additions and replies"
        ),
        "safety.help": _urgent(
            "someone answered a safety check with 'I need help': the safety contacts hear at once"
        ),
        # Jobs: each kind's due time -------------------------------------------------------
        "scheduling.roll": _timed("sends nothing: extends recurring sessions' horizon"),
        "scheduling.reminder": _timed("moved earlier out of quiet hours, never after the start"),
        "scheduling.ended": _timed("asks for RSVP and attendance when the session ends"),
        "scheduling.notice": _timed("new, cancelled, moved: due at the end of quiet hours"),
        "alumni.welcome": _timed("the welcome to the alumni network, outside quiet hours"),
        "alumni.checkin": _timed("annual check-in at the reader's local morning"),
        "alumni.mentor_ask": _timed("asked of the mentor outside their quiet hours"),
        "alumni.mentor_timeout": _timed("the mentee hears, outside their quiet hours"),
        "alumni.mentor_checkin": _timed("follow-up outside quiet hours"),
        "alumni.nudge": _timed("commitment nudges outside quiet hours"),
        "alumni.send": _timed("a commitment's helper hears, outside quiet hours"),
        "debrief.prompt": _timed("the first prompt after the session, outside quiet hours"),
        "debrief.reminder": _timed("the one gentle reminder, outside quiet hours"),
        "debrief.close": _timed("sends nothing to members: closes the round"),
        "consent.checkin": _timed("before a recorded session, moved earlier out of quiet hours"),
        "consent.list": _urgent(
            "the do-not-record list is due before the session starts, whatever the hour"
        ),
        "consent.renew": _timed("re-asking an expired consent, outside quiet hours"),
        "privacy.erasure_cleanup": _timed(
            "sends nothing: removes what an erasure left on a platform"
        ),
        "privacy.retention": _timed("sends nothing: the daily retention sweep"),
        "broadcast.fanout": _timed("its author chose: respecting quiet hours, or now for all"),
        "safety.check": _urgent("a safety check-in asks everyone now: urgent by definition"),
        "safety.check_reminder": _urgent(
            "the reminder of a safety check-in to those who have not answered yet"
        ),
        "broadcast.report": _timed("the delivery report to the author, due after the fan-out"),
    }
)


def rule_of(kind: str) -> Rule:
    """The table's rule; an unknown kind is a bug (the tests name every call site's kind)."""
    return UNPROMPTED[kind]


def quiet_until(
    kind: str | None, person: Person, config: Config, now: datetime, fallback_zone: str | None
) -> datetime | None:
    """When a message of this kind may reach `person`: None for now, else the end of their
    quiet hours. No kind means DEFER."""
    timing = rule_of(kind).timing if kind is not None else Timing.DEFER
    if timing is not Timing.DEFER:
        return None
    due = out_of_quiet(person, config, zone_of(person, fallback_zone), now)
    return due if due > now else None
