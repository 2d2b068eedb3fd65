"""Events on the router: subscribers by exact type, in order then in inclusion order; an event
nobody subscribed to is a no-op; a subscriber's error reaches the publisher."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import pytest

from bot.context import Context
from bot.events import Event
from bot.router import Router


@dataclass(frozen=True)
class Happened(Event):
    what: str


@dataclass(frozen=True)
class Other(Event):
    pass


@dataclass(frozen=True)
class Special(Happened):
    pass


CTX = cast(Context, object())


async def test_subscribers_run_in_order_then_in_inclusion_order() -> None:
    seen: list[str] = []
    first, second, app = Router(), Router(), Router()

    @first.on(Happened)
    async def a(ctx: Context, event: Happened) -> None:
        seen.append(f"a:{event.what}")

    @second.on(Happened, order=-1)
    async def b(ctx: Context, event: Happened) -> None:
        seen.append(f"b:{event.what}")

    @second.on(Happened)
    async def c(ctx: Context, event: Happened) -> None:
        seen.append(f"c:{event.what}")

    app.include(first)
    app.include(second)
    await app.events.publish(CTX, Happened("x"))
    assert seen == ["b:x", "a:x", "c:x"]


async def test_only_the_exact_type_and_nobody_is_fine() -> None:
    seen: list[Any] = []
    router = Router()

    @router.on(Happened)
    async def got(ctx: Context, event: Happened) -> None:
        seen.append(event)

    await router.events.publish(CTX, Other())
    await router.events.publish(CTX, Special("sub"))
    assert seen == []


async def test_a_subscriber_error_reaches_the_publisher() -> None:
    router = Router()

    @router.on(Other)
    async def broken(ctx: Context, event: Other) -> None:
        raise LookupError("boom")

    with pytest.raises(LookupError):
        await router.events.publish(CTX, Other())
