"""Webhooks: setting, deleting and describing them, and posting updates to them."""

from __future__ import annotations

import asyncio
import copy
import ipaddress
import json
import re
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from tests.fakes.telegram_api.config import ALL_UPDATE_TYPES, DEFAULT_UPDATE_TYPES, JSON
from tests.fakes.telegram_api.core import _json_bytes
from tests.fakes.telegram_api.errors import ApiError, _bad
from tests.fakes.telegram_api.records import Rejection
from tests.fakes.telegram_api.requests import _Args, _json_arg_to_str
from tests.fakes.telegram_api.state import _Webhook
from tests.fakes.telegram_api.updates import _Updates


class _Webhooks(_Updates):
    """Webhooks: setWebhook, deleteWebhook, getWebhookInfo, and the worker that posts queued
    updates (with the secret-token header, retries, and a method call in the reply)."""

    # ------------------------------------------------------------------ what tests read

    @property
    def webhook_url(self) -> str | None:
        return self._webhook.url if self._webhook else None

    async def wait_webhook_idle(self, within: float = 5.0) -> None:
        """Wait until every queued update was delivered to (or dropped by) the webhook."""
        await self.wait_until(lambda: not self._queue and not self._webhook_in_flight, within)

    # ------------------------------------------------------------------ methods

    async def _m_set_webhook(self, args: _Args) -> tuple[Any, str | None]:
        url = args.get("url")
        if not url:
            return await self._m_delete_webhook(args)
        if self.limits.enabled:
            now = self._at().timestamp()
            if now < self._next_set_webhook_at:
                raise ApiError(429, "Too Many Requests: retry after 1", retry_after=1)
            self._next_set_webhook_at = now + self.limits.set_webhook_interval_seconds
        secret = args.get("secret_token")
        drop = args.get_bool("drop_pending_updates")
        max_connections = min(max(args.get_int("max_connections", 40), 1), 100)
        current = self._webhook
        if (
            current is not None
            and current.url == url
            and current.secret_token == secret
            and current.max_connections == max_connections
            and not drop
        ):
            self._set_allowed_updates(args.get("allowed_updates"))
            return True, "Webhook is already set"
        parts = urlsplit(url)
        if parts.scheme.lower() not in {"http", "https"} or not parts.hostname:
            raise _bad("invalid webhook URL specified")
        if parts.scheme.lower() != "https" and not self._allow_http_webhook:
            raise _bad("bad webhook: An HTTPS URL must be provided for webhook")
        if len(secret) > 256:
            raise _bad("secret token is too long")
        if not re.fullmatch(r"[A-Za-z0-9_-]*", secret):
            raise _bad("secret token contains unallowed characters")
        self._resolve_long_poll("webhook")
        await self._stop_webhook_worker()
        if drop:
            self._queue.clear()
        self._set_allowed_updates(args.get("allowed_updates"))
        self._webhook = _Webhook(url=url, secret_token=secret, max_connections=max_connections)
        self._ensure_webhook_worker()
        return True, "Webhook was set"

    async def _m_delete_webhook(self, args: _Args) -> tuple[Any, str | None]:
        if args.get_bool("drop_pending_updates"):
            self._queue.clear()
        if self._webhook is None:
            return True, "Webhook is already deleted"
        self._webhook = None
        await self._stop_webhook_worker()
        return True, "Webhook was deleted"

    async def _m_get_webhook_info(self, args: _Args) -> tuple[Any, str | None]:
        hook = self._webhook
        info: JSON = {
            "url": hook.url if hook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._queue),
        }
        if hook is not None:
            if hook.last_error_date is not None:
                info["last_error_date"] = hook.last_error_date
                info["last_error_message"] = hook.last_error_message
            info["max_connections"] = hook.max_connections
            info["ip_address"] = "127.0.0.1"
        if self._allowed_updates != DEFAULT_UPDATE_TYPES:
            info["allowed_updates"] = [t for t in ALL_UPDATE_TYPES if t in self._allowed_updates]
        return info, None

    # ------------------------------------------------------------------ delivery

    def _ensure_webhook_worker(self) -> None:
        if self._runner is None or self._webhook is None:
            return
        if self._webhook_task is None or self._webhook_task.done():
            self._webhook_task = asyncio.get_running_loop().create_task(self._webhook_worker())
            self._webhook_wakeup.set()

    async def _stop_webhook_worker(self) -> None:
        task = self._webhook_task
        self._webhook_task = None
        if task is not None and not task.done():
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                current = asyncio.current_task()
                if current is not None and current.cancelling():
                    raise
        self._webhook_in_flight = False

    async def _webhook_worker(self) -> None:
        retry = self._webhook_retry
        while True:
            hook = self._webhook
            if hook is None:
                return
            if not self._queue:
                self._webhook_wakeup.clear()
                self._notify()
                await self._webhook_wakeup.wait()
                continue
            queued = self._queue[0]
            self._webhook_in_flight = True
            error = await self._post_update(hook, queued.update)
            self._webhook_in_flight = False
            if self._webhook is not hook:
                continue
            if error is None:
                if self._queue and self._queue[0] is queued:
                    self._queue.pop(0)
                self._notify()
                continue
            self.webhook_failures += 1
            hook.last_error_date = self._date()
            hook.last_error_message = error
            queued.attempts += 1
            if queued.attempts >= retry.max_attempts:
                if self._queue and self._queue[0] is queued:
                    self._queue.pop(0)
                self.webhook_dropped.append(copy.deepcopy(queued.update))
                self._notify()
                continue
            delay = min(
                retry.first_delay_seconds * 2 ** (queued.attempts - 1), retry.max_delay_seconds
            )
            self._notify()
            await asyncio.sleep(delay)

    async def _post_update(self, hook: _Webhook, update: JSON) -> str | None:
        """POST one update; None on a 2xx answer, else the error getWebhookInfo reports."""
        if self._session is None:
            return "Webhook connection closed"
        if not _is_loopback(hook.url):
            # A test double must never send traffic off this machine.
            return "Connection refused: the fake delivers webhooks to loopback addresses only"
        headers = {"Content-Type": "application/json"}
        if hook.secret_token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = hook.secret_token
        body = _json_bytes(update)
        try:
            async with self._session.post(hook.url, data=body, headers=headers) as response:
                payload = await response.read()
                if not 200 <= response.status <= 299:
                    return f"Wrong response from the webhook: {response.status} {response.reason}"
                await self._run_webhook_reply(response.content_type, payload)
                return None
        except aiohttp.ClientConnectorError:
            return "Connection refused"
        except (aiohttp.ClientError, TimeoutError) as exc:
            return f"Webhook connection closed: {type(exc).__name__}"

    async def _run_webhook_reply(self, content_type: str, payload: bytes) -> None:
        # A webhook may answer with a method call in its response body.
        if content_type != "application/json" or not payload:
            return
        try:
            body = json.loads(payload)
        except ValueError:
            return
        if not isinstance(body, dict):
            return
        method = str(body.get("method", "")).lower()
        excluded = {"deletewebhook", "setwebhook", "close", "logout"}
        if not method or method in excluded or method.startswith("get"):
            return
        handler = self._methods.get(method)
        if handler is None:
            return
        values: dict[str, str] = {}
        for key, value in body.items():
            converted = _json_arg_to_str(value)
            if converted is not None:
                values[str(key)] = converted
        self.calls[str(body["method"])] += 1
        try:
            await handler(_Args(values, {}))
        except ApiError as error:
            self.rejections.append(
                Rejection(str(body["method"]), error.code, error.description, self._at())
            )


def _is_loopback(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
