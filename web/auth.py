"""Signing in by the bot, no passwords.

`/dashboard` in chat gives a link `{public_url}/login/TOKEN` (handlers/dashboard/). Opening it
shows a button; pressing it (a POST, so a chat app's link preview that fetches the page does not
spend the link) exchanges the token, once, for a session cookie: HttpOnly, SameSite=Strict,
Secure (and __Host-) on https, ending after 12 hours idle (storage/models/web.py). A used,
expired or unknown token shows a page, in the browser's language, saying to ask the bot again.
Failed attempts are limited per client address and in total (web/state.py)."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from zoneinfo import ZoneInfo

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import Translator, _
from storage.models import Person
from storage.models.cohorts import Role
from storage.models.web import WebLoginToken
from storage.repositories.people import display_name
from storage.repositories.web import (
    end_session,
    live_session,
    open_session,
    record_view,
    redeem_login_token,
    secret_hash,
    staff_cohorts,
)
from web.render import negotiate, page
from web.security import (
    CSRF_FIELD,
    clear_session_cookie,
    cookie_name,
    csrf_ok,
    csrf_token,
    same_origin,
    set_session_cookie,
)
from web.state import DASHBOARD, SESSION_KEY, VIEWER_KEY, Dashboard, Page, Viewer

log = logging.getLogger(__name__)

TOUCH_EVERY = timedelta(minutes=1)  # last_seen_at is written at most this often
PageHandler = Callable[[web.Request, Page], Awaitable[web.StreamResponse]]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def dashboard_of(request: web.Request) -> Dashboard:
    return request.app[DASHBOARD]


def unit_of_work(request: web.Request) -> AsyncSession:
    session: AsyncSession = request[SESSION_KEY]
    return session


@web.middleware
async def transaction(request: web.Request, handler: Handler) -> web.StreamResponse:
    """One unit of work per request (handlers return their redirects instead of raising them,
    so what a request wrote is committed)."""
    if request.path.startswith("/static/"):
        return await handler(request)
    async with dashboard_of(request).db.transaction() as session:
        request[SESSION_KEY] = session
        return await handler(request)


def client_key(request: web.Request) -> str:
    """Whom a failed attempt is counted against: the address the request came from (behind a
    reverse proxy, the proxy; the total limit still holds)."""
    return request.remote or "unknown"


def anonymous_translator(request: web.Request) -> Translator:
    dash = dashboard_of(request)
    catalogs = dash.services.catalogs
    default = dash.services.config.bot.default_language
    return catalogs.translator(negotiate(catalogs, request.headers.get("Accept-Language"), default))


def person_translator(dash: Dashboard, person: Person) -> Translator:
    lang = person.language or dash.services.config.bot.default_language
    return dash.services.catalogs.translator(lang)


def message_page(
    request: web.Request,
    tr: Translator,
    status: int,
    title_id: str,
    body_id: str,
    **params: object,
) -> web.Response:
    dash = dashboard_of(request)
    return page(
        dash.templates,
        tr,
        "message.html",
        status=status,
        title=tr.t(title_id),
        body=tr.t(body_id, **params),
        viewer=request.get(VIEWER_KEY),
    )


def bad_link_page(request: web.Request, tr: Translator) -> web.Response:
    return message_page(request, tr, 410, _("web.bad_link_title"), _("web.bad_link_body"))


def too_many_page(request: web.Request, tr: Translator) -> web.Response:
    return message_page(request, tr, 429, _("web.too_many_title"), _("web.too_many_body"))


def limited(dash: Dashboard, request: web.Request) -> bool:
    return dash.client_failures.blocked(client_key(request)) or dash.all_failures.blocked("*")


def count_failure(dash: Dashboard, request: web.Request) -> None:
    dash.client_failures.hit(client_key(request))
    dash.all_failures.hit("*")


# Login ---------------------------------------------------------------------------------------
async def login_form(request: web.Request) -> web.StreamResponse:
    """GET /login/TOKEN: a button that signs in (the token is not spent by looking)."""
    dash = dashboard_of(request)
    tr = anonymous_translator(request)
    if limited(dash, request):
        return too_many_page(request, tr)
    token = request.match_info["token"]
    session = unit_of_work(request)
    now = dash.services.clock.now()
    row = (
        await session.execute(
            select(WebLoginToken).where(WebLoginToken.token_hash == secret_hash(token))
        )
    ).scalar_one_or_none()
    if row is None or row.used_at is not None or row.expires_at <= now:
        count_failure(dash, request)
        return bad_link_page(request, tr)
    person = await session.get(Person, row.person_id)
    if person is not None:
        tr = person_translator(dash, person)
    return page(dash.templates, tr, "login.html", token=token, viewer=None)


async def login(request: web.Request) -> web.StreamResponse:
    """POST /login: spend the token, open a session, set the cookie, go to the cohorts."""
    dash = dashboard_of(request)
    tr = anonymous_translator(request)
    if limited(dash, request):
        return too_many_page(request, tr)
    if not same_origin(request, dash.config):
        return message_page(request, tr, 403, _("web.forbidden_title"), _("web.bad_form_body"))
    form = await request.post()
    token = form.get("token")
    session = unit_of_work(request)
    now = dash.services.clock.now()
    person_id = (
        await redeem_login_token(session, token, now) if isinstance(token, str) and token else None
    )
    if person_id is None:
        count_failure(dash, request)
        return bad_link_page(request, tr)
    cookie = await open_session(session, person_id, now)
    response = web.Response(status=303, headers={"Location": "/"})
    set_session_cookie(response, dash.config, cookie)
    log.info("dashboard sign-in", extra={"person": person_id})
    return response


async def logout_form(request: web.Request) -> web.StreamResponse:
    viewer = await current_viewer(request)
    if viewer is None:
        return signed_out_page(request)
    return page(
        dashboard_of(request).templates, viewer.tr, "logout.html", viewer=viewer, cohort=None
    )


async def logout(request: web.Request) -> web.StreamResponse:
    dash = dashboard_of(request)
    viewer = await current_viewer(request)
    if viewer is not None:
        form = await request.post()
        sent = form.get(CSRF_FIELD)
        if not csrf_ok(viewer.cookie, sent if isinstance(sent, str) else None):
            return message_page(
                request, viewer.tr, 403, _("web.forbidden_title"), _("web.bad_form_body")
            )
        await end_session(unit_of_work(request), viewer.cookie, dash.services.clock.now())
    response = signed_out_page(request, viewer.tr if viewer is not None else None)
    clear_session_cookie(response, dash.config)
    request.pop(VIEWER_KEY, None)
    return response


def signed_out_page(request: web.Request, tr: Translator | None = None) -> web.Response:
    request.pop(VIEWER_KEY, None)
    return message_page(
        request,
        tr or anonymous_translator(request),
        200,
        _("web.signed_out_title"),
        _("web.signed_out_body"),
    )


# The viewer ----------------------------------------------------------------------------------
async def current_viewer(request: web.Request) -> Viewer | None:
    """The signed-in person of this request (None without a live session); touches the
    session's idle clock."""
    if VIEWER_KEY in request:
        cached: Viewer | None = request[VIEWER_KEY]
        return cached
    dash = dashboard_of(request)
    cookie = request.cookies.get(cookie_name(dash.config))
    if not cookie:
        return None
    session = unit_of_work(request)
    now = dash.services.clock.now()
    row = await live_session(session, cookie, now)
    if row is None:
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
    person = await session.get(Person, row.person_id)
    if person is None:  # pragma: no cover - the session is erased with the person
        return None
    zone = ZoneInfo(person.timezone) if person.timezone else ZoneInfo("UTC")
    viewer = Viewer(
        person=person,
        name=await display_name(session, person.id),
        tr=person_translator(dash, person),
        zone=zone,
        cookie=cookie,
        csrf=csrf_token(cookie),
        cohorts=await staff_cohorts(session, person.id),
    )
    request[VIEWER_KEY] = viewer
    return viewer


def sign_in_page(request: web.Request) -> web.Response:
    return message_page(
        request, anonymous_translator(request), 401, _("web.sign_in_title"), _("web.sign_in_body")
    )


def not_found_page(request: web.Request, tr: Translator) -> web.Response:
    return message_page(request, tr, 404, _("web.not_found_title"), _("web.not_found_body"))


def signed_in(handler: Callable[[web.Request, Viewer], Awaitable[web.StreamResponse]]) -> Handler:
    @functools.wraps(handler)
    async def wrapped(request: web.Request) -> web.StreamResponse:
        viewer = await current_viewer(request)
        if viewer is None:
            return sign_in_page(request)
        return await handler(request, viewer)

    return wrapped


def cohort_page(
    audit: str | None = None, *, coordinators_only: bool = False, action: bool = False
) -> Callable[[PageHandler], Handler]:
    """A page of one cohort: signed in, staff in that cohort (anyone else gets "not found": a
    cohort's existence is not disclosed), coordinators only where asked. `audit` names the view
    in the audit log (pages that show personal data). `action`: a form post, which must carry
    the session's CSRF token and come from our own origin."""

    def decorate(handler: PageHandler) -> Handler:
        @functools.wraps(handler)
        async def wrapped(request: web.Request) -> web.StreamResponse:
            viewer = await current_viewer(request)
            if viewer is None:
                return sign_in_page(request)
            try:
                cohort_id = int(request.match_info["cohort"])
            except ValueError:
                return not_found_page(request, viewer.tr)
            role = viewer.role_in(cohort_id)
            entry = next((c for c in viewer.cohorts if c.cohort.id == cohort_id), None)
            if role is None or entry is None:
                return not_found_page(request, viewer.tr)
            if coordinators_only and role != Role.COORDINATOR:
                return message_page(
                    request, viewer.tr, 403, _("web.forbidden_title"), _("web.coordinators_only")
                )
            dash = dashboard_of(request)
            session = unit_of_work(request)
            if action:
                form = await request.post()
                sent = form.get(CSRF_FIELD)
                if not same_origin(request, dash.config) or not csrf_ok(
                    viewer.cookie, sent if isinstance(sent, str) else None
                ):
                    return message_page(
                        request, viewer.tr, 403, _("web.forbidden_title"), _("web.bad_form_body")
                    )
            if audit is not None:
                await record_view(
                    session, cohort_id, viewer.person.id, audit, dash.services.clock.now()
                )
            return await handler(request, Page(session, viewer, entry.cohort, role))

        return wrapped

    return decorate
