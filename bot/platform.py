"""The Platform protocol that every adapter (telegram, matrix, console) implements."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from bot.messages import Inbound, Outbound, RateLimits, SendResult

InboundHandler = Callable[[Inbound], Awaitable[None]]
# Consecutive updates stored in one unit of work (a platform that receives in batches).
InboundGroupHandler = Callable[[Sequence[Inbound]], Awaitable[None]]


@dataclass(frozen=True)
class Conventions:
    """How people on a platform type commands and point at each other. Known without
    connecting: a reply may tell someone how to reach a person on another platform, served by
    another instance."""

    command_prefix: str = "/"
    profile_link: str | None = None  # "{id}": the person's id on the platform
    deep_link: str | None = None  # "{bot}": the bot's username, "{payload}": what /start gets
    # A private chat exists only once the person wrote to the bot first (the bot cannot open it).
    private_needs_first_word: bool = False

    def contact(self, external_id: str) -> str:
        """How another member reaches this person: a profile link, else their platform id."""
        if self.profile_link is None:
            return external_id
        return self.profile_link.format(id=external_id)

    def start_link(self, bot: str | None, payload: str) -> str | None:
        """A link that opens the bot with `/start PAYLOAD`, where the platform has them."""
        if self.deep_link is None or not bot:
            return None
        return self.deep_link.format(bot=bot, payload=payload)


CONVENTIONS = {
    "telegram": Conventions(
        profile_link="tg://user?id={id}",
        deep_link="https://t.me/{bot}?start={payload}",
        private_needs_first_word=True,
    ),
    # Matrix clients take "/" for their own commands.
    "matrix": Conventions(command_prefix="!"),
}


def conventions_of(platform: str) -> Conventions:
    return CONVENTIONS.get(platform, Conventions())


@dataclass(frozen=True)
class Capabilities:
    buttons: bool = False
    html: bool = False
    files: bool = True
    max_text: int = 4096
    limits: RateLimits = field(default_factory=RateLimits)


class Platform(Protocol):
    name: str

    @property
    def capabilities(self) -> Capabilities: ...

    async def start(self, on_inbound: InboundHandler) -> None: ...

    async def stop(self) -> None: ...

    async def send(self, message: Outbound) -> SendResult: ...


async def forget_chat(platforms: Mapping[str, Platform], platform: str, chat_id: str) -> None:
    """A platform that keeps something of a private chat outside the database (the console's
    files: exports, calendars) has `async forget_chat(chat_id)`, called when the chat's person
    is erased; other platforms keep nothing and are not asked."""
    forget = getattr(platforms.get(platform), "forget_chat", None)
    if forget is not None:
        await forget(chat_id)


class StateStore(Protocol):
    """What an adapter may persist (sync tokens, DM rooms), without knowing the storage layer."""

    async def get(self, namespace: str, key: str) -> str | None: ...

    async def put(self, namespace: str, key: str, value: str) -> None: ...


class Reachability(Protocol):
    """Lets an adapter record at once that a person blocked (or unblocked) the bot, before a
    send fails on it. Wired in by bot/app.py."""

    async def set_reachable(self, platform: str, user_id: str, reachable: bool) -> None: ...


class ChatMoves(Protocol):
    """Lets an adapter report that a chat got a new id on its platform (a Telegram group
    upgraded to a supergroup): every reference to the old chat -- bound chats, messages on
    their way, questions about it -- moves to the new one. Wired in by bot/app.py."""

    async def chat_moved(self, platform: str, old_chat_id: str, new_chat_id: str) -> None: ...
