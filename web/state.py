"""What every request handler of the dashboard reaches: the database, the bot's services, the
templates, the rate limits (one `Dashboard` per aiohttp application, no globals), and the
signed-in viewer of one request."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from aiohttp import web
from jinja2 import Environment
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import WebConfig
from bot.context import Services
from bot.i18n import Translator
from storage.engine import Database
from storage.models import Cohort, Person
from storage.models.cohorts import Role
from storage.repositories.web import StaffCohort
from web.limits import SlidingWindow

FAILED_LOGINS_PER_CLIENT = 10  # in LOGIN_WINDOW, per client address
FAILED_LOGINS_IN_TOTAL = 100  # in LOGIN_WINDOW, all clients together
LOGIN_WINDOW = timedelta(minutes=10)


@dataclass
class Dashboard:
    db: Database
    services: Services
    templates: Environment
    client_failures: SlidingWindow
    all_failures: SlidingWindow

    @property
    def config(self) -> WebConfig:
        return self.services.config.web

    @classmethod
    def create(cls, db: Database, services: Services, templates: Environment) -> Dashboard:
        clock = services.clock
        return cls(
            db=db,
            services=services,
            templates=templates,
            client_failures=SlidingWindow(clock, FAILED_LOGINS_PER_CLIENT, LOGIN_WINDOW),
            all_failures=SlidingWindow(clock, FAILED_LOGINS_IN_TOTAL, LOGIN_WINDOW),
        )


@dataclass
class Viewer:
    """The signed-in person of one request, in their language and zone."""

    person: Person
    name: str
    tr: Translator
    zone: ZoneInfo
    cookie: str
    csrf: str
    cohorts: list[StaffCohort]

    def role_in(self, cohort_id: int) -> str | None:
        for entry in self.cohorts:
            if entry.cohort.id == cohort_id:
                return entry.role
        return None


@dataclass
class Page:
    """One cohort page's request: the unit of work, the viewer and the cohort they may see."""

    session: AsyncSession
    viewer: Viewer
    cohort: Cohort
    role: str  # the viewer's role in this cohort

    @property
    def tr(self) -> Translator:
        return self.viewer.tr

    @property
    def coordinator(self) -> bool:
        return self.role == Role.COORDINATOR

    @property
    def zone(self) -> ZoneInfo:
        """Times on a cohort's pages: the viewer's own zone, else the cohort's."""
        if self.viewer.person.timezone:
            return self.viewer.zone
        return ZoneInfo(self.cohort.zone or "UTC")


DASHBOARD = web.AppKey("dashboard", Dashboard)
# request[SESSION_KEY]: the AsyncSession of the request's unit of work
SESSION_KEY = web.RequestKey("session", AsyncSession)
VIEWER_KEY = web.RequestKey("viewer", Viewer)
