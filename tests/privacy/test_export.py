"""`mydata`: a JSON file with everything about the person and nothing about anybody else."""

from __future__ import annotations

from tests.harness import BotHarness
from tests.privacy.helpers import export_of, person_id, say

ANA_NAME = "Anaïs Quillfeather"
BO_NAME = "Bartholomew Zinnober"
COORD_NAME = "Corvina Stellamaris"
ANA_HANDLE = "anais_quill"
BO_HANDLE = "bartholomew_zin"


async def cohort_with_two_members(bot: BotHarness) -> str:
    await say(bot, "coord", "/start", name=COORD_NAME)
    code = await bot.new_cohort("coord", "Harbour Exchange", "Europe/Lisbon")
    await say(bot, "ana", f"/join {code}", name=ANA_NAME)
    await say(bot, "ana", "/timezone Nairobi", name=ANA_NAME)
    await say(bot, "ana", "/quiet 23:00-07:00", name=ANA_NAME)
    await say(bot, "bo", f"/join {code}", name=BO_NAME)
    await say(bot, "bo", "/timezone America/Sao_Paulo", name=BO_NAME, username=BO_HANDLE)
    return code


async def test_mydata_sends_a_json_file_with_the_persons_data(bot: BotHarness) -> None:
    code = await cohort_with_two_members(bot)
    reply = await say(bot, "ana", "/mydata", name=ANA_NAME, username=ANA_HANDLE)
    assert "JSON" in reply
    data, raw = export_of(bot, "ana")
    ana = await person_id(bot, "ana")
    tables = data["tables"]
    assert data["format"] == "cohortbot-mydata/1"
    assert data["person_id"] == ana
    (person,) = tables["person"]
    assert person["timezone"] == "Africa/Nairobi"
    assert (person["quiet_start"], person["quiet_end"]) == ("23:00", "07:00")
    assert person["country"] == "KE"
    (identity,) = tables["identity"]
    assert identity["external_id"] == "ana" and identity["display_name"] == ANA_NAME
    assert identity["username"] == ANA_HANDLE
    (member,) = tables["membership"]
    assert member["role"] == "participant" and member["person_id"] == ana
    assert data["referenced"]["cohort"][0]["name"] == "Harbour Exchange"
    # Nothing about anybody else, and never the cohort's invite code.
    for other in (BO_NAME, BO_HANDLE, COORD_NAME, "America/Sao_Paulo", code):
        assert other not in raw
    assert '"bo"' not in raw and '"coord"' not in raw


async def test_the_coordinator_export_holds_no_member_data(bot: BotHarness) -> None:
    await cohort_with_two_members(bot)
    await say(bot, "coord", "/roster", name=COORD_NAME)
    await say(bot, "coord", "/mydata", name=COORD_NAME)
    data, raw = export_of(bot, "coord")
    assert [m["role"] for m in data["tables"]["membership"]] == ["coordinator"]
    for other in (ANA_NAME, BO_NAME, "Africa/Nairobi", "America/Sao_Paulo"):
        assert other not in raw


async def test_mydata_in_a_group_is_answered_privately(bot: BotHarness) -> None:
    await cohort_with_two_members(bot)
    before = len(bot.sent)
    await say(bot, "ana", "/mydata", name=ANA_NAME, chat="harbour-group")
    sent = bot.sent[before:]
    assert sent, "no answer"
    assert all(m.chat == "ana" for m in sent)
    assert sent[-1].file is not None
    assert bot.in_chat("harbour-group") == []


async def test_a_new_person_gets_an_export_too(bot: BotHarness) -> None:
    await say(bot, "newbie", "/mydata")
    data, _raw = export_of(bot, "newbie")
    assert set(data["tables"]) >= {"person", "identity"}
    assert "membership" not in data["tables"]
