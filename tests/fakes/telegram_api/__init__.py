"""A faithful fake of the Telegram Bot API server, for tests and benchmarks.

It speaks the real wire protocol over real HTTP on 127.0.0.1, so python-telegram-bot (or any
client) talks to it exactly as it talks to ``https://api.telegram.org``: the bot calls
``{fake.url}/bot{token}/{method}``. Behaviour follows the official server (tdlib's
telegram-bot-api): argument parsing from JSON, urlencoded and multipart bodies, the HTML entity
parser and its error texts, text trimming and length limits, reply-markup validation, update
queue semantics (offset, limit, long polling, allowed_updates, 409 conflicts), webhooks with the
secret-token header, and the documented flood limits driven by an injectable clock.

Tests drive users through Python methods (``send_private``, ``press_button``, ``block``...)
and assert on typed records (``sent``, ``edits``, ``callback_answers``, ``commands``...).
What is not emulated is listed in ``FakeTelegram``'s docstring.

Usage::

    async with FakeTelegram(clock=virtual_clock) as fake:
        # the adapter under test gets base_url=fake.url (it calls {base_url}/bot{token}/...);
        # plain PTB: telegram.Bot(fake.token, base_url=fake.bot_base_url,
        #                         base_file_url=fake.file_base_url)
        fake.add_user(1, "Ana", language_code="pt")
        fake.send_private(1, "/start")
        (reply,) = await fake.wait_for_messages(1)
        fake.press_button(1, reply.message_id, 1, reply.callback_data[0])

Flood limits are on by default and measured on the injected clock: advance it instead of
sleeping, or pass ``limits=Limits.off()`` (e.g. for throughput benchmarks).

The package: ``FakeTelegram``, its HTTP app and method dispatch (server.py), built from parts
that share one state (core.py: the clock, records, users, chats): the update queue and
getUpdates (updates.py), webhooks (webhooks.py), the bot's messages (messages.py), documents
(files.py), users, groups and members (chats.py) and what the bot publishes of itself
(profile.py); the limits and constants (config.py), errors as the real server words them
(errors.py), typed records of the bot's calls (records.py), text and entities (entities.py),
request arguments and reply markup (requests.py), flood control (flood.py) and the state's
records (state.py).
"""

from __future__ import annotations

from tests.fakes.telegram_api.config import ALL_UPDATE_TYPES, Limits, WebhookRetry
from tests.fakes.telegram_api.entities import (
    find_entities,
    fix_formatted_text,
    format_text,
    parse_html,
    utf16_length,
)
from tests.fakes.telegram_api.errors import ApiError
from tests.fakes.telegram_api.records import (
    CallbackAnswer,
    ChatActionRecord,
    DeletionRecord,
    EditRecord,
    Rejection,
    SentMessage,
    UploadedFile,
)
from tests.fakes.telegram_api.server import FakeTelegram
from tests.fakes.telegram_api.updates import updates_of

__all__ = [
    "ALL_UPDATE_TYPES",
    "ApiError",
    "CallbackAnswer",
    "ChatActionRecord",
    "DeletionRecord",
    "EditRecord",
    "FakeTelegram",
    "Limits",
    "Rejection",
    "SentMessage",
    "UploadedFile",
    "WebhookRetry",
    "find_entities",
    "fix_formatted_text",
    "format_text",
    "parse_html",
    "updates_of",
    "utf16_length",
]
