"""The dashboard's aiohttp application and its server in the bot's event loop.

Routes (every page needs a session, except signing in, the feeds and the stylesheet):

    GET  /                         the viewer's cohorts
    GET  /login/TOKEN  POST /login   signing in by a link from `/dashboard` (web/auth.py)
    GET  /logout       POST /logout
    GET  /c/ID/                    overview: world strip, counts, onboarding
    GET  /c/ID/sessions            upcoming and past sessions, RSVPs, attendance
    GET  /c/ID/sessions/OCC        one occurrence: RSVPs, attendance form, do-not-record list
    POST /c/ID/sessions/OCC/attendance
    GET  /c/ID/debriefs            response rates, rating trend, wellbeing, themes
    GET  /c/ID/consent             per scope: yes / no / unanswered, with names
    GET  /c/ID/broadcasts          announcements' delivery, live while sending
    GET  /c/ID/alumni              commitments, nudge responses, mentor pairs
    GET  /c/ID/report              the evaluation report for funders (aggregates only)
    GET  /c/ID/export/NAME.csv     roster, attendance, aggregates
    GET  /c/ID/audit               who viewed personal data (coordinators)
    GET  /calendar/TOKEN.ics       a person's live calendar feed

The access log names the route, never the path (it holds tokens)."""

from __future__ import annotations

import logging

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

from bot.config import WebConfig
from bot.context import Services
from bot.errors import ConfigError
from storage.engine import Database
from web import auth
from web.pages import (
    alumni,
    audit,
    broadcasts,
    consent,
    debriefs,
    exports,
    feed,
    home,
    overview,
    report,
    sessions,
)
from web.render import STATIC, environment
from web.security import security_headers
from web.state import DASHBOARD, Dashboard

log = logging.getLogger(__name__)


class AccessLog(AbstractAccessLogger):
    """One line per request with the route's name, the status and the time: never the path,
    the query, the client's address or any header (tokens live in paths)."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        route = "unmatched"
        match_info = getattr(request, "match_info", None)
        if match_info is not None and match_info.route.name:
            route = match_info.route.name
        self.logger.info(
            "web request",
            extra={
                "route": route,
                "method": request.method,
                "status": response.status,
                "ms": round(time * 1000, 1),
            },
        )


def build_web_app(db: Database, services: Services) -> web.Application:
    app = web.Application(
        middlewares=[security_headers, auth.transaction],
        client_max_size=64 * 1024,  # forms are small; nothing is uploaded
    )
    app[DASHBOARD] = Dashboard.create(db, services, environment())
    r = app.router
    r.add_get("/", home.home, name="home")
    r.add_get("/login/{token}", auth.login_form, name="login_form")
    r.add_post("/login", auth.login, name="login")
    r.add_get("/logout", auth.logout_form, name="logout_form")
    r.add_post("/logout", auth.logout, name="logout")
    r.add_get("/c/{cohort}/", overview.overview, name="overview")
    r.add_get("/c/{cohort}/sessions", sessions.sessions, name="sessions")
    r.add_get("/c/{cohort}/sessions/{occurrence}", sessions.occurrence, name="occurrence")
    r.add_post(
        "/c/{cohort}/sessions/{occurrence}/attendance",
        sessions.save_attendance,
        name="attendance",
    )
    r.add_get("/c/{cohort}/debriefs", debriefs.debriefs, name="debriefs")
    r.add_get("/c/{cohort}/consent", consent.consent, name="consent")
    r.add_get("/c/{cohort}/broadcasts", broadcasts.broadcasts, name="broadcasts")
    r.add_get("/c/{cohort}/alumni", alumni.alumni, name="alumni")
    r.add_get("/c/{cohort}/report", report.report, name="report")
    r.add_get("/c/{cohort}/export/roster.csv", exports.roster_csv, name="roster_csv")
    r.add_get("/c/{cohort}/export/attendance.csv", exports.attendance_csv, name="attendance_csv")
    r.add_get("/c/{cohort}/export/aggregates.csv", exports.aggregates_csv, name="aggregates_csv")
    r.add_get("/c/{cohort}/audit", audit.audit, name="audit")
    r.add_get("/calendar/{token}.ics", feed.calendar_feed, name="calendar_feed")
    r.add_static("/static", STATIC, name="static", append_version=False)
    return app


class WebServer:
    """The dashboard served from the bot's own event loop. Nothing listens until `start`."""

    def __init__(self, config: WebConfig, app: web.Application) -> None:
        self.config = config
        self.app = app
        self._runner: web.AppRunner | None = None

    @property
    def dashboard(self) -> Dashboard:
        return self.app[DASHBOARD]

    async def start(self) -> None:
        runner = web.AppRunner(self.app, access_log_class=AccessLog, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, self.config.listen, self.config.port)
        try:
            await site.start()
        except OSError as error:
            await runner.cleanup()
            raise ConfigError(
                "web.port",
                f"cannot listen on {self.config.listen}:{self.config.port} "
                f"({error.strerror or error}); set [web] port or enabled = false",
            ) from None
        self._runner = runner
        log.info("dashboard listening", extra={"port": self.config.port})

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
