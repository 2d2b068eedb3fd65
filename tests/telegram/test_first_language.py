"""The first messages, before a language is chosen, are in the language the Telegram app
reports (`language_code`) when it is one of ours; otherwise in the default language."""

from __future__ import annotations

import re

import pytest

from tests.fakes.telegram_api import FakeTelegram
from tests.telegram.harness import TelegramBot

COORD = 1001


@pytest.mark.parametrize(
    ("code", "uid", "welcome"),
    [
        ("es", 2001, r"¡Te damos la bienvenida a Puentes!"),
        ("fr", 2002, r"Puentes.*participant"),
        ("pt-br", 2003, r"Puentes.*participante"),
        ("ar", 2004, r"Puentes.*مشارك"),
        ("de", 2005, r"Welcome to Puentes!"),
    ],
)
async def test_the_join_welcome_speaks_the_apps_language(
    tg: TelegramBot, fake: FakeTelegram, code: str, uid: int, welcome: str
) -> None:
    fake.add_user(COORD, "Coord", language_code="en")
    fake.send_private(COORD, '/newcohort "Puentes" America/Bogota')
    created = await tg.message(COORD, r"invite code")
    found = re.search(r"/join (\w+)", created.text or "")
    assert found is not None
    invite = found.group(1)
    fake.add_user(uid, "Newcomer", language_code=code)
    fake.send_private(uid, f"/start {invite}")
    await tg.message(uid, welcome)
