"""The values that cross the boundary between platform adapters and the core."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum


@dataclass(frozen=True)
class Address:
    """A chat on one platform: a private chat with one person, or a group chat / room."""

    platform: str
    chat_id: str
    is_group: bool = False


@dataclass(frozen=True)
class Choice:
    """One answer to a question: `key` comes back to the core, `label` is what people see."""

    key: str
    label: str


@dataclass(frozen=True)
class QuestionRef:
    """Which question a button answers: the question's id (never reused) and a tag bound to that
    very question (a mark of its kind and a random nonce stored on its row). A button whose tag
    does not match the question's is stale and changes nothing."""

    id: int
    tag: str


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mime_type: str = "application/octet-stream"


@dataclass(frozen=True)
class Inbound:
    """One event from a person: a text, a command, or a pressed button."""

    platform: str
    update_id: str
    user_id: str
    chat: Address
    text: str
    received_at: datetime
    display_name: str | None = None
    # The person's public handle on the platform, without "@" (Telegram's username); None when
    # they have none or the platform has no such thing (a Matrix id is its own handle).
    username: str | None = None
    language_hint: str | None = None
    # A pressed button carries its question and the choice key instead of (or beside) text.
    question: QuestionRef | None = None
    choice_key: str | None = None
    # In groups a command may be addressed to another bot ("/help@otherbot").
    addressed_to_other_bot: bool = False
    # Whether the chat is end-to-end encrypted (a Matrix room); None where the platform has no
    # such thing. Discreet mode binds no unencrypted group chat.
    encrypted: bool | None = None


@dataclass(frozen=True)
class Outbound:
    """One message to send. `key` is the idempotency key of its outbox row."""

    to: Address
    text: str
    key: str
    choices: tuple[Choice, ...] = ()
    question: QuestionRef | None = None  # the question the choices answer (buttons carry it)
    attachment: Attachment | None = None
    person_id: int | None = None
    display_name: str | None = None  # the recipient's name, for console transcripts
    protect: bool = False  # no forwarding or saving (Telegram's protect_content; discreet mode)
    language: str | None = None  # the reader's, for what an adapter adds of its own (discreet)


class SendStatus(Enum):
    SENT = "sent"
    RETRY_AFTER = "retry_after"  # the platform asked us to wait: retry after `retry_after`
    BLOCKED = "blocked"  # the person blocked the bot or left: record, never retry
    TRANSIENT = "transient"  # network trouble: retry with backoff
    PERMANENT = "permanent"  # the platform refused this message: give up
    # The chat has a new id (a Telegram group upgraded to a supergroup): every reference to the
    # old chat moves to `moved_to`, and the message is sent there instead.
    MOVED = "moved"


@dataclass(frozen=True)
class SendResult:
    status: SendStatus
    platform_message_id: str | None = None
    retry_after: float | None = None
    reason: str | None = None
    moved_to: str | None = None  # with MOVED: the chat's new id on the same platform

    @staticmethod
    def sent(message_id: str | None = None) -> SendResult:
        return SendResult(SendStatus.SENT, platform_message_id=message_id)


@dataclass(frozen=True)
class RateLimits:
    """A platform's sending limits, enforced by the delivery layer before the platform complains."""

    per_second_global: float | None = None
    per_second_private_chat: float | None = None
    per_minute_group: float | None = None
    extra: dict[str, float] = field(default_factory=dict)
