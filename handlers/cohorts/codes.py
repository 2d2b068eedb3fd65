"""Invite codes: making them, reading what people type, and the lines that share them."""

from __future__ import annotations

import re
import secrets

from bot.context import Context
from bot.i18n import _
from bot.platform import conventions_of
from storage.models import Cohort
from storage.repositories.cohorts import code_taken

# No 0/O, 1/I/L: codes are read aloud and typed from paper. 31 symbols x 8 = 39.6 bits.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _i in range(CODE_LENGTH))


async def unique_code(ctx: Context) -> str:
    while True:
        code = new_code()
        if not await code_taken(ctx.session, code):
            return code


def normalize_code(text: str) -> str:
    """What a person typed or pasted (a code in any case, with spaces or dashes, or a whole deep
    link) as the stored form of a code."""
    link = re.search(r"[?&]start=([A-Za-z0-9_-]+)", text)
    if link:
        text = link.group(1)
    return re.sub(r"[\s\-]", "", text).upper()


def deep_link(ctx: Context, code: str) -> str | None:
    """A link that opens the bot with the code (https://t.me/<bot>?start=<CODE>), where the
    sender's platform has such links and the bot's name there is known."""
    if ctx.identity is None:
        return None
    platform = ctx.identity.platform
    return conventions_of(platform).start_link(ctx.services.bot_names.get(platform), code)


def invite_lines(ctx: Context, cohort: Cohort) -> list[str]:
    lines = [ctx.t(_("cohorts.invite_code"), code=cohort.code)]
    link = deep_link(ctx, cohort.code)
    if link:
        lines.append(ctx.t(_("cohorts.invite_link"), link=link))
    return lines
