"""A minimal Telegram platform for broadcast tests and the benchmark: sends with the Bot API's
sendMessage over real HTTP (aiohttp) and classifies the answers the way a Telegram adapter must
(200 sent, 429 retry after `parameters.retry_after`, 403 blocked, other 4xx permanent, 5xx and
network errors transient). It declares Telegram's documented limits so the delivery layer
enforces them. It does not receive updates: tests inject inbound messages themselves.

Used until bot/adapters/telegram/platform.py (the PTB-based adapter) is available; the assertions are
the same for both."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp

from bot.messages import Outbound, RateLimits, SendResult, SendStatus
from bot.platform import Capabilities, InboundHandler

TELEGRAM_LIMITS = RateLimits(per_second_global=30, per_second_private_chat=1, per_minute_group=20)


class MiniTelegram:
    name = "telegram"

    def __init__(self, base_url: str, token: str, limits: RateLimits = TELEGRAM_LIMITS) -> None:
        self.endpoint = f"{base_url}/bot{token}/sendMessage"
        self.limits = limits
        self.in_flight = 0
        self.idle = asyncio.Event()
        self.idle.set()
        self.results: list[SendStatus] = []
        self._session: aiohttp.ClientSession | None = None

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities(buttons=True, max_text=4096, limits=self.limits)

    async def start(self, on_inbound: InboundHandler) -> None:
        self._client()

    async def stop(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        return self._session

    async def send(self, message: Outbound) -> SendResult:
        body: dict[str, Any] = {"chat_id": message.to.chat_id, "text": message.text}
        if message.choices and message.question is not None:
            ref = f"q{message.question.id}.{message.question.tag}"
            body["reply_markup"] = {
                "inline_keyboard": [
                    [{"text": c.label, "callback_data": f"{ref}:{c.key}"}] for c in message.choices
                ]
            }
        self.in_flight += 1
        self.idle.clear()
        try:
            result = await self._post(body)
        finally:
            self.in_flight -= 1
            if self.in_flight == 0:
                self.idle.set()
        self.results.append(result.status)
        return result

    async def _post(self, body: dict[str, Any]) -> SendResult:
        try:
            async with self._client().post(self.endpoint, json=body) as response:
                payload = json.loads(await response.text())
                status = response.status
        except (aiohttp.ClientError, TimeoutError, ValueError) as error:
            return SendResult(SendStatus.TRANSIENT, reason=type(error).__name__)
        if status == 200 and payload.get("ok"):
            return SendResult.sent(str(payload["result"]["message_id"]))
        description = str(payload.get("description", ""))[:200]
        if status == 429:
            retry = float((payload.get("parameters") or {}).get("retry_after", 1))
            return SendResult(SendStatus.RETRY_AFTER, retry_after=retry, reason=description)
        if status == 403:
            return SendResult(SendStatus.BLOCKED, reason=description)
        if 400 <= status < 500:
            return SendResult(SendStatus.PERMANENT, reason=description)
        return SendResult(SendStatus.TRANSIENT, reason=description)
