"""Mentor pairing: offers from past cohorts, suggestions matched on a shared language first, then
country or continent and interests, balanced by load; introductions only when both sides said
yes; a lapsed request after a week; a gentle check-in for the mentor after a month."""

from __future__ import annotations

from datetime import timedelta

from tests.alumni.helpers import at, close, cohort, pairings, person_id, until
from tests.cohorts.helpers import dump
from tests.harness import BotHarness

SUGGESTION = ("Yes, ask them", "Suggest someone else", "Not now")
REQUEST = "is looking for a mentor"


async def world(bot: BotHarness) -> None:
    """Bridges (closed) gave three mentors; Rivers (running) has two people looking."""
    await cohort(bot, "mara", "max", "mia", name="Bridges")
    await bot.send("mara", "/timezone America/Bogota")  # Colombia
    await bot.send("max", "/timezone Europe/Berlin")  # Germany
    await bot.send("mia", "/timezone Africa/Nairobi")  # Kenya
    await close(bot)
    await bot.send("mara", '/mentor on "community radio" es')
    await bot.send("max", '/mentor on "land rights"')
    await bot.send("mia", '/mentor on "media"')
    code = await bot.new_cohort("coord2", "Rivers", "America/Lima")
    for name in ("sol", "kim"):
        await bot.send(name, f"/join {code}")
    await bot.send("sol", "/language es")
    await bot.send("sol", "/timezone America/Lima")  # Peru
    await bot.send("kim", "/timezone Africa/Kampala")  # Uganda


def suggested(text: str) -> str:
    marker = "as your mentor" if "as your mentor" in text else "como mentor"
    line = next(line for line in text.splitlines() if marker in line)
    for name in ("mara", "max", "mia"):
        if name in line:
            return name
    raise AssertionError(text)


async def test_only_people_from_past_cohorts_may_offer(bot: BotHarness) -> None:
    await world(bot)
    before = await dump(bot)
    reply = await bot.ask("kim", '/mentor on "radio"')
    assert "Mentors come from past cohorts" in reply
    assert "/findmentor" in reply
    assert await dump(bot) == before


async def test_offering_shows_the_match_details(bot: BotHarness) -> None:
    await world(bot)
    reply = await bot.ask("mara", "/mentor")
    assert "You are offering to mentor:" in reply
    assert "Languages: English and Spanish" in reply
    assert "Country: Colombia" in reply
    assert "Interests: community radio" in reply


async def test_shared_language_first_then_continent(bot: BotHarness) -> None:
    await world(bot)
    # sol reads Spanish: only mara speaks it, though she is in another country
    await bot.send("sol", "/findmentor")
    assert suggested(bot.last_text("sol")) == "mara"
    # kim (Uganda) shares English with all three: mia is on the same continent
    reply = await bot.ask("kim", "/findmentor")
    assert suggested(reply) == "mia"
    assert bot.last("kim").choices == SUGGESTION
    assert "Shall I ask them to be your mentor?" in reply


async def test_interests_break_a_tie(bot: BotHarness) -> None:
    await world(bot)
    await bot.send("kim", "/timezone Asia/Tokyo")
    await bot.send("kim", "/country JP")  # no mentor near Japan
    assert suggested(await bot.ask("kim", '/findmentor "land rights and farming"')) == "max"
    await bot.send("kim", "3")
    assert suggested(await bot.ask("kim", "/findmentor community radio")) == "mara"


async def test_both_sides_accept_then_both_are_introduced(bot: BotHarness) -> None:
    await world(bot)
    await bot.send("kim", '/findmentor "media literacy"')
    reply = await bot.ask("kim", "Yes, ask them")
    assert "I've asked mia. I'll let you know their answer." in reply
    request = bot.last("mia")
    assert "kim (Rivers) is looking for a mentor, and you look like a good match." in request.text
    assert "Country: Uganda" in request.text
    assert "Interests: media literacy" in request.text
    assert request.choices == ("Yes, introduce us", "Not right now")
    assert await pairings(bot) == [
        (await person_id(bot, "mia"), await person_id(bot, "kim"), "asked")
    ]
    # the request is sticky: mia may do other things first
    await bot.send("mia", "/commitments")
    reply = await bot.ask("mia", "Yes, introduce us")
    assert "You are now mentoring kim. You can reach them at kim" in reply
    assert "mia would be glad to be your mentor! You can reach them at mia" in bot.last_text("kim")
    assert [status for _m, _e, status in await pairings(bot)] == ["active"]
    assert "Your mentor is mia. You can reach them at mia" in await bot.ask("kim", "/findmentor")
    assert "You are mentoring kim." in await bot.ask("mia", "/mentor")
    assert "Your mentor is mia." in await bot.ask("kim", "/mentor")
    # a month later, a gentle check-in for the mentor (10:00 in Nairobi)
    await bot.advance(timedelta(days=29))
    assert not any("since you started mentoring" in m.text for m in bot.to("mia"))
    await bot.advance(timedelta(days=2))
    checkin = bot.last("mia")
    assert "It's been about a month since you started mentoring kim" in checkin.text
    assert checkin.at == at("2026-12-31T07:00")  # 10:00 in Nairobi
    assert checkin.choices == ("It's going well", "We're no longer in touch")
    assert "Wonderful" in await bot.ask("mia", "1")


async def test_the_mentor_is_asked_outside_quiet_hours_and_each_side_reads_its_language(
    bot: BotHarness,
) -> None:
    await world(bot)
    await bot.send("sol", "/findmentor")
    await bot.send("sol", "1")  # 09:00 UTC is 04:00 in Bogota: mara is asked at 08:00
    assert not any(REQUEST in m.text for m in bot.to("mara"))
    await bot.advance(timedelta(hours=3, minutes=59))
    assert not any(REQUEST in m.text for m in bot.to("mara"))
    await bot.advance(timedelta(minutes=1))
    request = bot.last("mara")
    assert "sol (Rivers) is looking for a mentor" in request.text
    assert request.at == at("2026-12-01T13:00")
    assert "Languages: Spanish" in request.text
    await bot.send("mara", "1")
    assert "¡Buenas noticias! mara acepta ser tu mentor" in bot.last_text("sol")


async def test_someone_else_until_nobody_is_left(bot: BotHarness) -> None:
    await world(bot)
    seen = [suggested(await bot.ask("kim", "/findmentor"))]
    for _ in range(2):
        seen.append(suggested(await bot.ask("kim", "Suggest someone else")))
    assert seen == ["mia", "mara", "max"]  # equals: who offered first
    reply = await bot.ask("kim", "Suggest someone else")
    assert "That was everyone available right now" in reply
    assert await pairings(bot) == []


async def test_a_declined_mentor_is_not_suggested_again(bot: BotHarness) -> None:
    await world(bot)
    await bot.send("kim", "/findmentor")
    await bot.send("kim", "1")
    assert "No problem" in await bot.ask("mia", "Not right now")
    assert "mia can't take on a mentee right now. Send /findmentor" in bot.last_text("kim")
    assert suggested(await bot.ask("kim", "/findmentor")) == "mara"


async def test_no_answer_within_a_week(bot: BotHarness) -> None:
    await world(bot)
    await bot.send("kim", "/findmentor")
    await bot.send("kim", "1")
    await bot.advance(timedelta(days=6))
    assert "waiting for their answer" in await bot.ask("kim", "/findmentor")
    await bot.advance(timedelta(days=1, hours=1))
    assert "mia hasn't answered within a week" in bot.last_text("kim")
    assert [status for _m, _e, status in await pairings(bot)] == ["expired"]
    # her question is gone; answering it now changes nothing
    await bot.send("mia", "Yes, introduce us")
    assert [status for _m, _e, status in await pairings(bot)] == ["expired"]
    assert suggested(await bot.ask("kim", "/findmentor")) == "mara"


async def test_load_is_balanced_and_capacity_respected(bot: BotHarness) -> None:
    await cohort(bot, "m1", "m2", name="Bridges")
    for mentor in ("m1", "m2"):
        await bot.send(mentor, "/timezone Europe/Berlin")
    await close(bot)
    for mentor in ("m1", "m2"):
        await bot.send(mentor, "/mentor on")
    code = await bot.new_cohort("coord2", "Rivers")
    seekers = [f"s{i}" for i in range(1, 8)]
    chosen: list[str | None] = []
    for seeker in seekers:
        await bot.send(seeker, f"/join {code}")
        await bot.send(seeker, "/timezone Europe/Paris")
        reply = await bot.ask(seeker, "/findmentor")
        if "No mentor is available" in reply:
            chosen.append(None)
            continue
        mentor = "m1" if "I suggest m1" in reply else "m2"
        chosen.append(mentor)
        await bot.send(seeker, "1")
        await bot.send(mentor, "1")
    # alternating while both have room; three each at most; the seventh finds nobody
    assert chosen == ["m1", "m2", "m1", "m2", "m1", "m2", None]


async def test_mentor_off_and_the_end_of_a_pairing(bot: BotHarness) -> None:
    await world(bot)
    await bot.send("kim", "/findmentor")
    await bot.send("kim", "1")
    await bot.send("mia", "1")
    reply = await bot.ask("mia", "/mentor off")
    assert "You are no longer offered as a mentor" in reply
    assert "Your current mentees keep you as their mentor" in reply
    await bot.advance(timedelta(days=31))
    await bot.send("mia", "We're no longer in touch")
    assert "marked the mentoring as ended" in bot.last_text("mia")
    assert "mia has let me know your mentoring has come to an end" in bot.last_text("kim")
    # mia no longer offers
    assert suggested(await bot.ask("kim", "/findmentor")) == "mara"


async def test_need_help_goes_to_the_mentor(bot: BotHarness) -> None:
    await world(bot)
    await bot.send("kim", "/consent alumni yes")
    await bot.send("kim", "/findmentor")
    await bot.send("kim", "1")
    await bot.send("mia", "1")
    await bot.send("kim", '/commit "Open a listening club" by 2027-01-20')
    await until(bot, "2027-01-13T12:00")
    assert "I've let mia, your mentor, know" in await bot.ask("kim", "I need help")
    assert "kim (Rivers) asked for help with a commitment: “Open a listening club”" in (
        bot.last_text("mia")
    )
