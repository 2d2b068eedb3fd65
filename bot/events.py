"""Events: facts one capability states and others react to, without importing each other.

The owner of a fact declares it as a small frozen dataclass deriving from `Event` (e.g. the
cohorts capability's `CohortClosed`) and publishes it with `ctx.publish(event)`; another
capability subscribes at setup with `@router.on(CohortClosed)`. Subscribers run one after the
other, in the same unit of work as the publisher (a subscriber's error rolls the whole update
back), in `order` and then in the order their routers were included by bot/app.py. An event
nobody subscribed to is a no-op.

An event may also gather answers from its subscribers (the roster's per-member notes): such an
event carries a mutable collection its subscribers add to, and the publisher reads it after
`publish` returns."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.context import Context


class Event:
    """Base of every event type; subscribers are found by the event's exact class."""

    __slots__ = ()


EventHandler = Callable[["Context", Any], Awaitable[None]]


class Events:
    """Subscribers by event type. The router of each capability keeps one; bot/app.py merges
    them into the one the Context publishes through."""

    def __init__(self) -> None:
        # event type -> (order, handler), kept sorted by order (stable: registration order)
        self.subscribers: dict[type[Event], list[tuple[int, EventHandler]]] = {}

    def subscribe(self, kind: type[Event], handler: EventHandler, order: int = 0) -> None:
        found = self.subscribers.setdefault(kind, [])
        found.append((order, handler))
        found.sort(key=lambda entry: entry[0])

    def include(self, other: Events) -> None:
        for kind, handlers in other.subscribers.items():
            for order, handler in handlers:
                self.subscribe(kind, handler, order)

    def handlers(self, kind: type[Event]) -> list[EventHandler]:
        return [handler for _order, handler in self.subscribers.get(kind, ())]

    async def publish(self, ctx: Context, event: Event) -> None:
        for handler in self.handlers(type(event)):
            await handler(ctx, event)
