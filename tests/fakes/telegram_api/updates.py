"""The update queue and getUpdates: long polling, confirmation by offset, allowed_updates."""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import Iterable, Mapping
from typing import Any

from tests.fakes.telegram_api.config import (
    ALL_UPDATE_TYPES,
    DEFAULT_UPDATE_TYPES,
    JSON,
    LONG_POLL_MAX_TIMEOUT,
)
from tests.fakes.telegram_api.core import _Core
from tests.fakes.telegram_api.errors import ApiError
from tests.fakes.telegram_api.requests import _Args
from tests.fakes.telegram_api.state import _Queued


class _Updates(_Core):
    """The update queue: what users do becomes an update; getUpdates long polling, offsets
    that confirm, allowed_updates, and updates delivered again."""

    # ------------------------------------------------------------------ queueing

    def _push_update(self, kind: str, payload: JSON, *, deliver: bool = True) -> JSON:
        update: JSON = {"update_id": self._next_update_id, kind: copy.deepcopy(payload)}
        self._next_update_id += 1
        if deliver and kind in self._allowed_updates:
            self._queue.append(_Queued(update))
            self._on_queue_changed()
        return copy.deepcopy(update)

    def _on_queue_changed(self) -> None:
        if self._webhook is None:
            self._resolve_long_poll("update")
        else:
            self._webhook_wakeup.set()
        self._notify()

    def _resolve_long_poll(self, reason: str) -> None:
        if self._long_poll is not None and not self._long_poll.done():
            self._long_poll.set_result(reason)

    def _set_allowed_updates(self, raw: str) -> None:
        if not raw:
            return
        try:
            value = json.loads(raw)
        except ValueError:
            return
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return
        chosen = frozenset(v.lower() for v in value) & frozenset(ALL_UPDATE_TYPES)
        self._allowed_updates = chosen or DEFAULT_UPDATE_TYPES

    def resend_update(self, update: Mapping[str, Any]) -> None:
        """Deliver an update again with the same update_id (Telegram may do so after a crash)."""
        self._queue.append(_Queued(copy.deepcopy(dict(update)), resent=True))
        self._on_queue_changed()

    # ------------------------------------------------------------------ what tests read

    @property
    def pending_updates(self) -> list[JSON]:
        return [copy.deepcopy(q.update) for q in self._queue]

    @property
    def long_polling(self) -> bool:
        """True while a getUpdates call is parked waiting for updates."""
        return self._long_poll is not None and not self._long_poll.done()

    # ------------------------------------------------------------------ getUpdates

    def _confirm(self, offset: int) -> None:
        if offset < 0:
            self._queue = self._queue[offset:]
        elif offset > 0:
            self._queue = [
                q
                for q in self._queue
                if q.update["update_id"] >= offset or (q.resent and not q.delivered)
            ]

    def _take(self, limit: int) -> list[JSON]:
        batch = self._queue[:limit]
        for queued in batch:
            queued.delivered = True
        return [copy.deepcopy(q.update) for q in batch]

    async def _m_get_updates(self, args: _Args) -> tuple[Any, str | None]:
        if self._webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use "
                "deleteWebhook to delete the webhook first",
            )
        offset = args.get_int("offset", 0)
        limit = min(max(args.get_int("limit", 100), 1), 100)
        timeout = min(max(args.get_int("timeout", 0), 0), LONG_POLL_MAX_TIMEOUT)
        self._set_allowed_updates(args.get("allowed_updates"))
        self._resolve_long_poll("conflict")
        self._confirm(offset)
        batch = self._take(limit)
        if batch or timeout == 0:
            return batch, None
        waiter: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._long_poll = waiter
        self._notify()
        try:
            reason = await asyncio.wait_for(waiter, timeout)
        except TimeoutError:
            reason = "timeout"
        finally:
            if self._long_poll is waiter:
                self._long_poll = None
        if reason == "conflict":
            raise ApiError(
                409,
                "Conflict: terminated by other getUpdates request; make sure that only one bot "
                "instance is running",
            )
        if reason == "webhook":
            raise ApiError(409, "Conflict: terminated by setWebhook request")
        if reason == "stop":
            return [], None
        self._confirm(offset)
        return self._take(limit), None


def updates_of(updates: Iterable[JSON], kind: str) -> list[JSON]:
    """The payloads of the given kind, e.g. ``updates_of(result, "message")``."""
    return [u[kind] for u in updates if kind in u]
