"""The fake server's limits and constants, and its clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol, TypeAlias

JSON: TypeAlias = dict[str, Any]

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_RAW_TEXT_BYTES = 1 << 15
MAX_CALLBACK_DATA_BYTES = 64
MAX_INLINE_BUTTONS = 100
MAX_COMMANDS = 100
LONG_POLL_MAX_TIMEOUT = 50
MAX_UPLOAD_BYTES = 50 * 1024 * 1024

ALL_UPDATE_TYPES: tuple[str, ...] = (
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "business_connection",
    "business_message",
    "edited_business_message",
    "deleted_business_messages",
    "message_reaction",
    "message_reaction_count",
    "inline_query",
    "chosen_inline_result",
    "callback_query",
    "shipping_query",
    "pre_checkout_query",
    "purchased_paid_media",
    "poll",
    "poll_answer",
    "my_chat_member",
    "chat_member",
    "chat_join_request",
    "chat_boost",
    "removed_chat_boost",
)
# The server's default leaves out the three noisy kinds that must be asked for explicitly.
DEFAULT_UPDATE_TYPES = frozenset(ALL_UPDATE_TYPES) - {
    "chat_member",
    "message_reaction",
    "message_reaction_count",
}

CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)


# --------------------------------------------------------------------------- configuration


@dataclass(frozen=True)
class Limits:
    """Telegram's documented flood limits; ``Limits.off()`` disables them all.

    Windows are measured on the fake's clock, so a virtual clock controls them in tests.
    """

    enabled: bool = True
    global_per_second: int = 30
    private_per_second: float = 1.0
    private_burst: int = 3
    group_per_minute: int = 20
    set_webhook_interval_seconds: float = 1.0

    @classmethod
    def off(cls) -> Limits:
        return cls(enabled=False)


@dataclass(frozen=True)
class WebhookRetry:
    """How the fake re-sends an update the webhook refused (real seconds, bounded)."""

    max_attempts: int = 5
    first_delay_seconds: float = 0.02
    max_delay_seconds: float = 0.5
    request_timeout_seconds: float = 10.0


class _HasNow(Protocol):
    def now(self) -> datetime: ...


ClockLike: TypeAlias = Callable[[], datetime] | _HasNow


def _system_now() -> datetime:
    # The fake's default clock when a test does not inject one.
    return datetime.now(UTC)
