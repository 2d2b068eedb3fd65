"""What keeps the dashboard safe by default: headers on every response (a strict Content
Security Policy: no script at all, styles only from our own stylesheet; no framing;
nothing cached; no referrer to other sites), CSRF tokens for forms, the session cookie's attributes, and the check that a
form was posted from our own origin."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from aiohttp import web

from bot.config import WebConfig

CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # same-origin, not no-referrer: with no-referrer browsers send "Origin: null" on form posts,
    # which same_origin() could not tell from a cross-site post. Nothing leaves the site.
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
}
PLAIN_COOKIE = "cohortbot_session"
# On https the cookie's name carries the __Host- prefix: browsers then refuse it unless it is
# Secure, has Path=/ and no Domain, so no sibling subdomain can plant or widen it.
HOST_COOKIE = "__Host-cohortbot_session"
CSRF_FIELD = "csrf"
_CSRF_LABEL = b"cohortbot dashboard csrf v1"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def cookie_name(config: WebConfig) -> str:
    return HOST_COOKIE if config.secure else PLAIN_COOKIE


def set_session_cookie(response: web.StreamResponse, config: WebConfig, value: str) -> None:
    response.set_cookie(
        cookie_name(config),
        value,
        path="/",
        httponly=True,
        samesite="Strict",
        secure=config.secure,
    )


def clear_session_cookie(response: web.StreamResponse, config: WebConfig) -> None:
    response.del_cookie(
        cookie_name(config), path="/", secure=config.secure, httponly=True, samesite="Strict"
    )


def csrf_token(cookie: str) -> str:
    """The form token of a session, derived from its cookie (which scripts on other sites can
    neither read nor send, the cookie being HttpOnly and SameSite=Strict)."""
    return hmac.new(cookie.encode("utf-8"), _CSRF_LABEL, hashlib.sha256).hexdigest()


def csrf_ok(cookie: str, sent: str | None) -> bool:
    return sent is not None and hmac.compare_digest(csrf_token(cookie), sent)


def same_origin(request: web.Request, config: WebConfig) -> bool:
    """A form post must come from our own pages: its Origin (sent by every current browser on
    POST) is the public URL's, or the address the request was made to (tests, a local run)."""
    origin = request.headers.get("Origin")
    if origin is None:
        return True  # no browser sends a cross-site POST without it
    public = urlsplit(config.public_url)
    allowed = {f"{public.scheme}://{public.netloc}", f"{request.scheme}://{request.host}"}
    return origin in allowed


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as error:
        response = error
        _stamp(response)
        raise
    _stamp(response)
    return response


def _stamp(response: web.StreamResponse) -> None:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    response.headers.setdefault("Cache-Control", "no-store")
