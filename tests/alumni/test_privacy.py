"""Commitment texts, notes, the nudge log, directory listings, mentor offers and pairings are
personal data: `mydata` exports them (nothing about the other side of a pairing), `forgetme`
erases them -- a pairing goes when either person is erased."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from storage.models import (
    AlumniContact,
    Commitment,
    CommitmentNote,
    DirectoryEntry,
    MentorOffer,
    MentorPairing,
)
from tests.alumni.helpers import close, cohort, pairings, person_id, until
from tests.harness import BotHarness
from tests.privacy.helpers import export_of

SECRET = "Smuggle seeds to the Quillfeather cooperative"
NOTE = "met the Zinnober family"


async def busy_alumni(bot: BotHarness) -> None:
    await cohort(bot, "ana", "mia")
    await bot.send("ana", f'/commit "{SECRET}" by 2027-06-01')
    await bot.send("ana", f'/update 1 "{NOTE}"')
    await close(bot)
    await bot.send("ana", '/directory on "seed sovereignty"')
    await bot.send("mia", '/mentor on "seeds"')
    await bot.send("ana", "/findmentor")
    await bot.send("ana", "1")
    await bot.send("mia", "1")
    await until(bot, "2026-12-31T12:00")  # the 30-day nudge


async def counts(bot: BotHarness) -> dict[str, int]:
    found = {}
    async with bot.db.transaction() as session:
        for model in (
            Commitment,
            CommitmentNote,
            AlumniContact,
            DirectoryEntry,
            MentorOffer,
            MentorPairing,
        ):
            total = await session.scalar(select(func.count()).select_from(model))
            found[model.__tablename__] = int(total or 0)
    return found


async def test_mydata_exports_commitments_and_the_rest(bot: BotHarness) -> None:
    await busy_alumni(bot)
    await bot.send("ana", "/mydata")
    data, raw = export_of(bot, "ana")
    tables = data["tables"]
    (commitment,) = tables["alumni_commitment"]
    assert commitment["text"] == SECRET
    assert NOTE in [n["text"] for n in tables["alumni_commitment_note"]]
    assert tables["alumni_directory"][0]["interests"] == "seed sovereignty"
    assert [c["kind"] for c in tables["alumni_contact"]] == ["nudge"]
    (pairing,) = tables["mentor_pairing"]
    assert pairing["mentee_id"] == await person_id(bot, "ana")
    assert pairing["mentor_id"] == "(someone else)"
    assert 'seeds"' not in raw  # mia's offer is hers, not ana's


async def test_forgetme_erases_it_all_and_the_pairing(bot: BotHarness) -> None:
    await busy_alumni(bot)
    assert await counts(bot) == {
        "alumni_commitment": 1,
        "alumni_commitment_note": 1,
        "alumni_contact": 1,
        "alumni_directory": 1,
        "mentor_offer": 1,
        "mentor_pairing": 1,
    }
    await bot.send("ana", "/forgetme")
    await bot.send("ana", "Yes, erase everything")
    erased = bot.clock.now()
    await bot.advance(timedelta(minutes=2))
    assert await counts(bot) == {
        "alumni_commitment": 0,
        "alumni_commitment_note": 0,
        "alumni_contact": 0,
        "alumni_directory": 0,
        "mentor_offer": 1,  # mia's own offer stays
        "mentor_pairing": 0,
    }
    assert await pairings(bot) == []
    assert "You are mentoring" not in await bot.ask("mia", "/mentor")
    # the erased person's nudges went with their jobs: nothing more about the commitment
    await until(bot, "2027-03-05T12:00")
    assert not any(SECRET in m.text for m in bot.sent if m.at > erased)
