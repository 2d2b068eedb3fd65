"""The ledger: append-only, the state derived from it (latest answer wins, an expired yes is
unanswered, never defaulted to yes), `has_consent` for other capabilities, erasure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from handlers.consent.commands import has_consent
from handlers.scheduling.api import upcoming_occurrences
from storage.models import Cohort, ConsentRecord
from storage.models.consent import AppendOnlyError
from storage.repositories.consent import ExpiryPolicy, effective_expiry, state_of
from tests.consent.helpers import cohort, ledger, person_id, recorded_session
from tests.harness import BotHarness
from tests.privacy.helpers import export_of

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def row(
    n: int,
    answer: str,
    *,
    scope: str = "recording",
    occurrence_key: str | None = None,
    expires_at: datetime | None = None,
) -> ConsentRecord:
    return ConsentRecord(
        id=n,
        person_id=1,
        cohort_id=1,
        scope=scope,
        answer=answer,
        given_at=T0 + timedelta(hours=n),
        via="command",
        occurrence_key=occurrence_key,
        expires_at=expires_at,
    )


def test_no_rows_is_unanswered() -> None:
    found = state_of("recording", [], T0, None)
    assert found.answer is None
    assert not found.expired


def test_latest_wins_whatever_the_order() -> None:
    rows = [row(3, "no"), row(1, "yes"), row(2, "yes")]
    assert state_of("recording", rows, T0 + timedelta(days=1), None).answer == "no"


def test_other_scopes_and_other_sessions_do_not_count() -> None:
    rows = [row(1, "yes", scope="photos"), row(2, "no", occurrence_key="s1-x")]
    assert state_of("recording", rows, T0 + timedelta(days=1), None).answer is None
    on_that_session = state_of("recording", rows, T0 + timedelta(days=1), None, "s1-x")
    assert on_that_session.answer == "no"
    assert on_that_session.per_session


def test_an_expired_yes_is_unanswered_a_no_never_expires() -> None:
    policy = ExpiryPolicy(1, "m")
    later = T0 + timedelta(days=40)
    expired = state_of("recording", [row(1, "yes")], later, policy)
    assert expired.answer is None
    assert expired.expired
    assert state_of("recording", [row(1, "no")], later, policy).answer == "no"


def test_expiry_is_the_earlier_of_given_and_current_setting() -> None:
    given_with = row(1, "yes", expires_at=T0 + timedelta(days=10))
    assert effective_expiry(given_with, None) == T0 + timedelta(days=10)
    assert effective_expiry(given_with, ExpiryPolicy(1, "w")) == T0 + timedelta(hours=1, days=7)
    assert effective_expiry(given_with, ExpiryPolicy(1, "y")) == T0 + timedelta(days=10)


def test_months_are_calendar_months() -> None:
    end_of_august = datetime(2027, 8, 31, 12, tzinfo=UTC)
    assert ExpiryPolicy(6, "m").after(end_of_august) == datetime(2028, 2, 29, 12, tzinfo=UTC)
    assert ExpiryPolicy.parse("0m") is None
    assert ExpiryPolicy.parse("6x") is None
    assert ExpiryPolicy.parse("12m") == ExpiryPolicy(12, "m")


@given(
    st.lists(st.sampled_from(["yes", "no"]), max_size=8),
    st.integers(min_value=0, max_value=400),
    st.sampled_from([None, "2w", "1m", "1y"]),
)
def test_never_yes_unless_the_latest_answer_is_a_live_yes(
    answers: list[str], days: int, code: str | None
) -> None:
    rows = [row(i, a) for i, a in enumerate(answers)]
    policy = ExpiryPolicy.parse(code)
    now = T0 + timedelta(days=days)
    found = state_of("recording", rows, now, policy)
    if not rows:
        assert found.answer is None
        return
    latest = rows[-1]
    if latest.answer == "no":
        assert found.answer == "no"
    else:
        expiry = policy.after(latest.given_at) if policy else None
        assert found.answer == ("yes" if expiry is None or expiry > now else None)


async def change_answer(bot: BotHarness) -> None:
    async with bot.db.transaction() as session:
        record = (await session.execute(select(ConsentRecord))).scalar_one()
        record.answer = "no"


async def delete_answer(bot: BotHarness) -> None:
    async with bot.db.transaction() as session:
        record = (await session.execute(select(ConsentRecord))).scalar_one()
        await session.delete(record)


async def test_rows_cannot_be_changed_or_deleted(bot: BotHarness) -> None:
    await cohort(bot, "ana")
    await bot.send("ana", "/consent recording yes")
    with pytest.raises(AppendOnlyError):
        await change_answer(bot)
    with pytest.raises(AppendOnlyError):
        await delete_answer(bot)
    assert await ledger(bot) == [("recording", "yes", "command", None)]


async def test_erasure_takes_the_persons_rows_only(bot: BotHarness) -> None:
    await cohort(bot, "ana", "ben")
    await bot.send("ana", "/consent recording yes")
    await bot.send("ana", "/consent recording no")
    await bot.send("ben", "/consent photos yes")
    await bot.send("ana", "/forgetme")
    await bot.send("ana", "1")  # yes, erase
    assert await ledger(bot) == [("photos", "yes", "command", None)]


async def test_data_export_includes_the_ledger(bot: BotHarness) -> None:
    await cohort(bot, "ana")
    await bot.send("ana", "/consent alumni yes")
    await bot.send("ana", "/mydata")
    data, _raw = export_of(bot, "ana")
    [exported] = data["tables"]["consent_record"]
    assert (exported["scope"], exported["answer"], exported["via"]) == ("alumni", "yes", "command")


async def test_has_consent_for_other_capabilities(bot: BotHarness) -> None:
    await cohort(bot, "ana", "ben")
    await bot.send("coord", "/consentexpiry 1m")
    await recorded_session(bot)
    await bot.send("ana", "/consent debrief yes")
    await bot.send("ana", "/consent recording yes")
    ana, ben = await person_id(bot, "ana"), await person_id(bot, "ben")
    now = bot.clock.now()
    async with bot.db.transaction() as session:
        cohort_id = (await session.execute(select(Cohort.id))).scalar_one()
        [occurrence] = await upcoming_occurrences(session, cohort_id, now, now + timedelta(days=8))
        assert await has_consent(session, ana, "debrief", cohort_id, now=now) is True
        assert await has_consent(session, ben, "debrief", cohort_id, now=now) is None
        assert await has_consent(session, ana, "debrief", now=now) is True  # any cohort
        later = now + timedelta(days=40)
        assert await has_consent(session, ana, "debrief", cohort_id, now=later) is None
        # without `now`, a yes that can expire does not count (silence is never consent)
        assert await has_consent(session, ana, "debrief", cohort_id) is None
        # with an occurrence: its start is the moment; the occurrence's cohort is used
        assert await has_consent(session, ana, "recording", occurrence=occurrence) is True
    await bot.advance(occurrence.start - timedelta(hours=47) - bot.clock.now())
    await bot.send("ben", "Not for this session")  # answering the check-in
    now = bot.clock.now()
    async with bot.db.transaction() as session:
        assert await has_consent(session, ben, "recording", occurrence=occurrence) is False
        assert await has_consent(session, ben, "recording", cohort_id, now=now) is None
