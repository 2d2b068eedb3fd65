"""`commit "TEXT" by DATE`, `commitments`, `done N`, `drop N`, `update N "note"`: dates in the
person's own zone, relative forms, stable numbers, and bad input that changes nothing."""

from __future__ import annotations

import pytest

from tests.alumni.helpers import cohort, commitments
from tests.cohorts.helpers import dump
from tests.harness import BotHarness


async def test_commit_list_and_change(bot: BotHarness) -> None:
    await cohort(bot, "ana")
    reply = await bot.ask("ana", '/commit "Start a community radio" by 2027-03-01')
    assert "Commitment #1 noted: “Start a community radio”, due March 1, 2027" in reply
    reply = await bot.ask("ana", "/commit Write a zine about the exchange by in 3 months")
    assert "Commitment #2 noted: “Write a zine about the exchange”, due March 1, 2027" in reply
    await bot.send("ana", '/commit "Translate the toolkit" 2027-06-30')
    assert await commitments(bot, "ana") == [
        (1, "Start a community radio", "open", "2027-03-01"),
        (2, "Write a zine about the exchange", "open", "2027-03-01"),
        (3, "Translate the toolkit", "open", "2027-06-30"),
    ]
    assert "Note added to commitment #1" in await bot.ask(
        "ana", '/update 1 "found a second-hand transmitter"'
    )
    assert "#2 (“Write a zine about the exchange”) is marked done" in await bot.ask(
        "ana", "/done 2"
    )
    assert "#3 (“Translate the toolkit”) is dropped" in await bot.ask("ana", "/drop #3")
    listing = await bot.ask("ana", "/commitments")
    assert "Your commitments (1 open of 3):" in listing
    assert "1. “Start a community radio” — open, due March 1, 2027" in listing
    assert "Latest note (Dec 1, 2026): found a second-hand transmitter" in listing
    assert "2. “Write a zine about the exchange” — done, due March 1, 2027" in listing
    assert "3. “Translate the toolkit” — dropped, due June 30, 2027" in listing
    assert "/done N · /drop N" in listing
    # numbers stay with their commitment: a new one is #4, not a reused number
    assert "Commitment #4 noted" in await bot.ask("ana", '/commit "Host a meetup" by 2027-02-01')
    # finishing twice is answered and changes nothing
    assert "#2 is already done; nothing changed" in await bot.ask("ana", "/done 2")
    assert "#3 is already dropped" in await bot.ask("ana", "/done 3")


async def test_nobody_sees_another_persons_commitments(bot: BotHarness) -> None:
    await cohort(bot, "ana", "bo")
    await bot.send("ana", '/commit "Start a community radio" by 2027-03-01')
    assert "You have no commitments yet" in await bot.ask("bo", "/commitments")
    assert "You have no commitment #1" in await bot.ask("bo", "/done 1")
    assert (await commitments(bot, "ana"))[0][2] == "open"


async def test_the_date_is_the_persons_own(bot: BotHarness) -> None:
    """09:00 UTC on December 1 is still November 30 in Pago Pago (UTC-11)."""
    await cohort(bot, "ana", "bo", zone="Europe/Berlin")
    await bot.send("ana", "/timezone Pacific/Pago_Pago")
    await bot.send("ana", '/commit "Call the mayor" by today')
    await bot.send("ana", '/commit "Write the report" by in 1 day')
    await bot.send("ana", '/commit "Share the photos" by tomorrow')
    assert "Commitment #4" in await bot.ask("ana", '/commit "Thank the hosts" by 2026-11-30')
    assert [c[3] for c in await commitments(bot, "ana")] == [
        "2026-11-30",
        "2026-12-01",
        "2026-12-01",
        "2026-11-30",
    ]
    # for bo (Berlin, the cohort's zone) November 30 has passed
    assert "November 30, 2026 has already passed" in await bot.ask(
        "bo", '/commit "Thank the hosts" by 2026-11-30'
    )
    assert "due December 2, 2026" in await bot.ask("bo", '/commit "Write the report" in 1 day')


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("/commit", 'Say what you commit to and by when, for example: /commit "Start a'),
        ('/commit "Start a radio"', 'By when? Add a date, for example /commit "Start a radio" by'),
        ('/commit "Start a radio" by', 'By when? Add a date, for example /commit "Start a radio"'),
        ('/commit "Start a radio" by someday', "I can't read “someday” as a date"),
        ('/commit "Start a radio" by 2027-02-30', "I can't read “2027-02-30” as a date"),
        ('/commit "Start a radio" by 2026-11-01', "November 1, 2026 has already passed"),
        ('/commit "Start a radio" by 2040-01-01', "more than ten years away"),
        ('/commit "' + "x" * 301 + '" by 2027-01-01', "301 characters long; please keep it"),
        ("/done", "Say which commitment by its number, for example: /done 1"),
        ("/done one", "Say which commitment by its number"),
        ("/drop 7", "You have no commitment #7. See yours with /commitments"),
        ("/update", 'Say which commitment and add a short note, for example: /update 1 "…"'),
        ("/update 1", 'Say which commitment and add a short note, for example: /update 1 "…"'),
        ("/update 1 " + "y" * 501, "501 characters long"),
    ],
)
async def test_bad_input_is_answered_and_changes_nothing(
    bot: BotHarness, command: str, expected: str
) -> None:
    await cohort(bot, "ana")
    await bot.send("ana", '/commit "Host a meetup" by 2027-02-01')
    before = await dump(bot)
    reply = await bot.ask("ana", command)
    assert expected in reply
    assert await dump(bot) == before


async def test_commitments_are_for_members(bot: BotHarness) -> None:
    reply = await bot.ask("zed", '/commit "Start a radio" by 2027-03-01')
    assert "not in a cohort" in reply
    assert await commitments(bot, "zed") == []


async def test_commitments_in_several_cohorts_name_their_cohort(bot: BotHarness) -> None:
    first = await cohort(bot, "ana", name="Bridges")
    await bot.send("ana", '/commit "Start a community radio" by 2027-03-01')
    second = await bot.new_cohort("coord2", "Rivers")
    assert first != second
    await bot.send("ana", f"/join {second}")
    await bot.send("ana", '/commit "Map the river" by 2027-04-01')
    listing = await bot.ask("ana", "/commitments")
    assert "1. “Start a community radio” — open, due March 1, 2027 · Bridges" in listing
    assert "2. “Map the river” — open, due April 1, 2027 · Rivers" in listing


async def test_commit_in_a_group_is_answered_privately(bot: BotHarness) -> None:
    await cohort(bot, "ana")
    await bot.send("coord", "/bindchat", chat="team")
    sent = await bot.send("ana", '/commit "Start a community radio" by 2027-03-01', chat="team")
    assert [m.to for m in sent] == ["ana"]
    assert "Commitment #1 noted" in sent[0].text


async def test_without_alumni_consent_the_reply_says_how_to_get_reminders(
    bot: BotHarness,
) -> None:
    await cohort(bot, "ana", consent=())
    reply = await bot.ask("ana", '/commit "Start a community radio" by 2027-03-01')
    assert "I only send reminders to people who agreed to alumni contact" in reply
    assert "/consent alumni yes" in reply
    await bot.send("ana", "/consent alumni yes")
    reply = await bot.ask("ana", '/commit "Write a zine" by 2027-03-01')
    assert "agreed to alumni contact" not in reply


@pytest.mark.parametrize(
    ("lang", "command", "due"),
    [
        ("es", '/commit "Abrir una radio" para en 3 meses', "2027-03-01"),
        ("es", '/commit "Llamar a la alcaldesa" mañana', "2026-12-02"),
        ("es", '/commit "Escribir" dentro de 2 semanas', "2026-12-15"),
        ("fr", '/commit "Lancer une radio" avant dans 2 semaines', "2026-12-15"),
        ("pt_BR", '/commit "Abrir uma rádio" até daqui a 1 ano', "2027-12-01"),
        ("ar", '/commit "إطلاق إذاعة مجتمعية" خلال ٣ أشهر', "2027-03-01"),
        ("ar", '/commit "كتابة مجلة" بحلول 2027-01-20', "2027-01-20"),
        ("en", '/commit "Start a radio" by in a year', "2027-12-01"),
    ],
)
async def test_dates_and_by_in_the_persons_language(
    bot: BotHarness, lang: str, command: str, due: str
) -> None:
    await cohort(bot, "ana")
    await bot.send("ana", f"/language {lang}")
    await bot.send("ana", command)
    [(_number, _text, status, stored)] = await commitments(bot, "ana")
    assert (status, stored) == ("open", due)


async def test_replies_in_the_persons_language(bot: BotHarness) -> None:
    await cohort(bot, "ana")
    await bot.send("ana", "/language es")
    reply = await bot.ask("ana", '/commit "Abrir una radio" para 2027-03-01')
    assert "Compromiso n.º 1 anotado: «Abrir una radio», para el 1 de marzo de 2027" in reply
    reply = await bot.ask("ana", '/commit "Abrir una radio" para algún día')
    assert "No entiendo «algún día» como fecha. Escríbela así: 2027-01-27 o «en 3 meses»" in reply


async def test_examples_use_the_readers_words_for_what_and_by_when(bot: BotHarness) -> None:
    await cohort(bot, "ana")
    for lang, expected in (
        ("es", '/commit "Abrir una radio comunitaria" para 2027-01-27'),
        ("fr", '/commit "Lancer une radio communautaire" pour 2027-01-27'),
        ("pt_BR", '/commit "Criar uma rádio comunitária" até 2027-01-27'),
        ("en", '/commit "Start a community radio" by 2027-01-27'),
    ):
        await bot.send("ana", f"/language {lang}")
        reply = await bot.ask("ana", "/commit")
        assert expected in reply, (lang, reply)
        assert " by " not in reply or lang == "en"
    # the example, copied, is accepted
    await bot.send("ana", "/language es")
    reply = await bot.ask("ana", '/commit "Abrir una radio comunitaria" para 2027-01-27')
    assert "Compromiso n.º 1 anotado" in reply
