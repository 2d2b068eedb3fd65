"""What findtime proposes, without I/O: the candidate starts of a request on the asker's
wall-clock grid, and the best slots among them for the people given (their zones, nights,
holidays and recent burden) around the times already taken (see slots.py for the ranking)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from handlers.scheduling.core import HolidayBook
from handlers.scheduling.findtime_request import FindTimeRequest
from handlers.scheduling.slots import Attendee, Slot, candidate_starts, rank_slots

STEP = timedelta(minutes=30)
SUGGESTIONS = 5
# A suggestion starts at least this long from now: time to read it and add the session.
LEAD = timedelta(minutes=30)


@dataclass(frozen=True)
class SlotSearch:
    """A request's candidate starts, every STEP of the asker's wall clock on its days."""

    request: FindTimeRequest
    zone: ZoneInfo
    starts: tuple[datetime, ...]

    def busy_window(self, now: datetime) -> tuple[datetime, datetime]:
        """From now to the end of the last candidate: the sessions that may clash."""
        end = self.starts[-1] + self.request.duration if self.starts else now
        return now, end


def slot_search(request: FindTimeRequest, zone: ZoneInfo, now: datetime) -> SlotSearch:
    starts = candidate_starts(request.first, request.last, zone, STEP, now + LEAD)
    return SlotSearch(request, zone, tuple(starts))


def propose_slots(
    search: SlotSearch,
    attendees: Sequence[Attendee],
    book: HolidayBook,
    busy: Sequence[tuple[datetime, datetime]] = (),
) -> list[Slot]:
    """The best SUGGESTIONS slots, best first, none clashing with `busy`, spread over the days
    (at least two a day may be proposed, more when the range is short)."""
    return rank_slots(
        search.starts,
        search.request.duration,
        attendees,
        book,
        busy=busy,
        limit=SUGGESTIONS,
        per_day=max(2, -(-SUGGESTIONS // search.request.days)),
        day_zone=search.zone,
    )
