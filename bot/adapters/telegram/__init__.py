"""The Telegram adapter: `TelegramPlatform` (platform.py) on python-telegram-bot, with its
transport (http.py), the Bot API <-> core conversions (convert.py) and the bot's published
profile (profile.py)."""

from __future__ import annotations

from bot.adapters.telegram.platform import TelegramPlatform

__all__ = ["TelegramPlatform"]
