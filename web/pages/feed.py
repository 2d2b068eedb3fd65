"""`/calendar/TOKEN.ics`: a person's live calendar feed (`calendar feed` in chat). The same
events as the `calendar` file, computed on every fetch (so it follows every change), in the
person's language, with the person's own zone as the calendar's zone (X-WR-TIMEZONE and its
VTIMEZONE) besides the sessions' zones. No session cookie: the token in the address is the key.
An unknown or revoked token is a plain 404, counted against the client like a failed login."""

from __future__ import annotations

from aiohttp import web

from handlers.scheduling import build_calendar
from storage.repositories.scheduling import occurrence_rows, sessions_of_person
from storage.repositories.web import feed_owner
from web.auth import count_failure, dashboard_of, limited, unit_of_work

MIME = "text/calendar"


async def calendar_feed(request: web.Request) -> web.StreamResponse:
    dash = dashboard_of(request)
    if limited(dash, request):
        return web.Response(status=429, text="too many attempts\n")
    token = request.match_info["token"]
    session = unit_of_work(request)
    person = await feed_owner(session, token)
    if person is None:
        count_failure(dash, request)
        return web.Response(status=404, text="not found\n")
    tr = dash.services.catalogs.translator(
        person.language or dash.services.config.bot.default_language
    )
    entries = [
        (s, cohort, await occurrence_rows(session, s.id))
        for s, cohort in await sessions_of_person(session, person.id)
    ]
    now = dash.services.clock.now()
    body = build_calendar(entries, tr, now, zone=person.timezone)
    return web.Response(
        body=body,
        content_type=MIME,
        charset="utf-8",
        headers={
            "Cache-Control": "private, max-age=300",
            "Content-Disposition": 'inline; filename="cohort-sessions.ics"',
        },
    )
