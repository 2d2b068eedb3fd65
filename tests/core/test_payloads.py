"""Typed payloads of questions and jobs (bot/payloads.py): what is stored is the JSON object
written before they were typed, rows written by older versions are still read, and a row that
does not fit its kind fails like a failing handler."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from bot.clock import VirtualClock
from bot.config import load_config
from bot.context import Context, Services
from bot.i18n import Catalogs
from bot.outbox import schedule_job
from bot.payloads import NoPayload, Payload, PayloadError
from bot.router import JobInfo, Router
from bot.scheduler import JobRunner
from handlers.alumni.payloads import MentorSuggestion, NudgePick
from handlers.cohorts.closing import CLOSE_CONFIRM
from handlers.cohorts.payloads import BindPick
from handlers.debrief.payloads import RoundJob
from handlers.safety.payloads import ReportDraft
from handlers.scheduling.drafts import Draft
from handlers.scheduling.payloads import Confirm, NoticeJob, ReminderJob
from storage.engine import Database
from storage.models import Cohort, Job, PendingQuestion
from storage.models.cohorts import CohortStatus
from storage.models.core import JobStatus
from tests.harness import BotHarness
from tests.privacy.helpers import person_id, say

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)

ids = st.integers(min_value=0, max_value=2**53)
texts = st.text(max_size=30)
# Instants are stored as compact UTC stamps: whole seconds.
instants = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
).map(lambda d: d.replace(microsecond=0))
drafts = st.builds(
    Draft,
    title=texts,
    zone=st.sampled_from(["UTC", "Europe/Madrid", "America/Sao_Paulo"]),
    start_wall=texts,
    starts_at=instants,
    duration_minutes=st.integers(1, 600),
    rrule=st.none() | texts,
    recorded=st.booleans(),
    adjustment=st.none() | texts,
)


def notice(
    event: str,
    session_id: int | None,
    occurrence: tuple[int | None, str] | None,
    old_start: datetime | None,
) -> NoticeJob:
    """A notice as scheduling writes it: an occurrence's id and start together or not at all."""
    occurrence_id, start = occurrence if occurrence is not None else (None, None)
    return NoticeJob(event, session_id, occurrence_id, start, old_start)


examples: st.SearchStrategy[Payload] = st.one_of(
    st.builds(ReminderJob, st.none() | ids, st.none() | texts, st.integers(0, 10_000)),
    st.builds(
        notice,
        texts,
        st.none() | ids,
        st.none() | st.tuples(st.none() | ids, texts),
        st.none() | instants,
    ),
    st.builds(
        Confirm,
        texts,
        st.none() | drafts,
        st.none() | ids,
        st.none() | ids,
        st.none() | instants,
        st.none() | instants,
        st.none() | texts,
    ),
    st.builds(ReportDraft, ids, st.none() | texts, st.none() | texts, st.none() | ids),
    st.builds(NudgePick, st.dictionaries(texts, ids, max_size=5)),
    st.builds(MentorSuggestion, ids, st.lists(ids, max_size=5).map(tuple), st.none() | texts),
    st.builds(RoundJob, st.none() | ids, st.none() | instants),
)


@given(examples)
def test_what_is_stored_reads_back_as_it_was(payload: Payload) -> None:
    stored = json.loads(json.dumps(payload.encode()))  # as the JSON column keeps it
    assert type(payload).decode(stored) == payload


def test_the_stored_object_is_the_one_written_before_payloads_were_typed() -> None:
    start = datetime(2026, 12, 8, 17, 0, tzinfo=UTC)
    assert ReminderJob(7, "20261208T170000Z", 60).encode() == {
        "occurrence_id": 7,
        "start": "20261208T170000Z",
        "lead": 60,
    }
    # keys a notice does not need are absent, not null
    assert NoticeJob("new", 3).encode() == {"event": "new", "session_id": 3}
    assert NoticeJob("move_one", 3, 9, "20261208T170000Z", start).encode() == {
        "event": "move_one",
        "session_id": 3,
        "occurrence_id": 9,
        "start": "20261208T170000Z",
        "old_start": "20261208T170000Z",
    }
    # a series' first occurrence may have no row yet: its id is stored as null, as it was
    assert NoticeJob("cancel_series", 3, None, "20261208T170000Z").encode() == {
        "event": "cancel_series",
        "session_id": 3,
        "occurrence_id": None,
        "start": "20261208T170000Z",
    }
    draft = Draft("Intro", "UTC", "2026-12-08T17:00:00", start, 90, None, True)
    assert Confirm("add", draft=draft, cohort_id=4).encode() == {
        "action": "add",
        "draft": {
            "title": "Intro",
            "zone": "UTC",
            "start_wall": "2026-12-08T17:00:00",
            "starts_at": "20261208T170000Z",
            "duration_minutes": 90,
            "rrule": None,
            "recorded": True,
            "adjustment": None,
        },
        "cohort_id": 4,
    }
    assert ReportDraft(2).encode() == {"cohort": 2}
    assert MentorSuggestion(5, (1, 2), None).encode() == {
        "mentor_id": 5,
        "skip": [1, 2],
        "interests": None,
    }
    assert NoPayload().encode() == {}


def test_a_missing_key_takes_its_default_and_an_unknown_one_is_ignored() -> None:
    assert ReminderJob.decode({"occurrence_id": 7, "start": "x"}) == ReminderJob(7, "x", 0)
    assert ReminderJob.decode({"occurrence_id": 7, "lead": 5, "retired": [1]}) == ReminderJob(
        7, None, 5
    )
    assert NoPayload.decode({"n": 1}) == NoPayload()


@pytest.mark.parametrize(
    ("cls", "raw", "key"),
    [
        (ReminderJob, {"lead": "60"}, "lead"),
        (ReminderJob, {"lead": True}, "lead"),  # a yes/no is not a number
        (NoticeJob, {"old_start": "next tuesday"}, "old_start"),
        (MentorSuggestion, {"skip": [1, "two"]}, "skip"),
        (NudgePick, {"ids": {"1": None}}, "ids"),
        (Confirm, {"draft": {"title": "Intro"}}, "draft"),
        (BindPick, {"platform": "telegram"}, "chat_id"),  # a key without a default is needed
    ],
)
def test_a_value_that_does_not_fit_names_the_kind_and_the_key(
    cls: type[Payload], raw: dict[str, Any], key: str
) -> None:
    with pytest.raises(PayloadError) as raised:
        cls.decode(raw, "some.kind")
    assert raised.value.kind == "some.kind"
    assert raised.value.key == key
    assert "some.kind" in str(raised.value) and repr(key) in str(raised.value)


def test_an_error_names_the_type_found_never_the_value() -> None:
    with pytest.raises(PayloadError) as raised:
        ReportDraft.decode({"cohort": "what I wrote about them"}, "safety.report_send")
    assert "what I wrote" not in str(raised.value)
    assert "'cohort' is not an int: a string" in str(raised.value)


def test_a_loop_over_stored_rows_skips_one_that_does_not_fit() -> None:
    rows: list[dict[str, Any]] = [{"cohort": "not a number"}, {"cohort": 7}]
    read = [ReportDraft.read(row, "safety.report_send") for row in rows]
    assert read[0] is None
    assert read[1] is not None and read[1].cohort == 7


def job_services(clock: VirtualClock) -> Services:
    return Services(
        config=load_config(None, env={}), catalogs=Catalogs(("en",)), clock=clock, zones=None
    )


async def test_a_job_row_of_the_old_shape_runs_and_one_that_does_not_fit_fails_alone(
    db: Database,
) -> None:
    clock = VirtualClock(START)
    router = Router()
    seen: list[ReminderJob] = []

    @router.job_batch("test.remind", payload=ReminderJob)
    async def remind(ctx: Context, jobs: Sequence[JobInfo[ReminderJob]]) -> None:
        seen.extend(job.data for job in jobs)

    async with db.transaction() as session:
        rows = [
            {"occurrence_id": 1, "start": "20261201T090000Z", "lead": 60},
            {"occurrence_id": 2, "start": "20261201T090000Z"},  # no lead yet
            {"occurrence_id": 3, "start": "20261201T090000Z", "lead": "soon"},
            {"occurrence_id": 4, "start": "20261201T090000Z", "lead": 15, "old": "kept"},
        ]
        for n, raw in enumerate(rows):
            await schedule_job(
                session, kind="test.remind", due_at=START, key=f"r{n}", now=START, payload=raw
            )
    await JobRunner(db, job_services(clock), router).run_due()
    assert sorted(seen, key=lambda p: p.occurrence_id or 0) == [
        ReminderJob(1, "20261201T090000Z", 60),
        ReminderJob(2, "20261201T090000Z", 0),
        ReminderJob(4, "20261201T090000Z", 15),
    ]
    async with db.transaction() as session:
        jobs = list((await session.execute(select(Job).order_by(Job.id))).scalars())
    assert [j.status for j in jobs] == [JobStatus.DONE] * 2 + [JobStatus.PENDING, JobStatus.DONE]
    bad = jobs[2]
    assert (bad.attempts, bad.last_error) == (1, "PayloadError")  # retried later, as a failure
    assert bad.due_at > START
    assert bad.payload == rows[2]  # the row is left as it was


async def ask_to_close(bot: BotHarness, who: str, payload: dict[str, Any]) -> int:
    """A closing confirmation stored as an older version wrote it."""
    asker = await person_id(bot, who)
    assert asker is not None
    async with bot.db.transaction() as session:
        question = PendingQuestion(
            person_id=asker,
            kind=CLOSE_CONFIRM,
            payload=payload,
            choices=[["yes", "Close it"], ["no", "Keep it"]],
            created_at=bot.clock.now(),
        )
        session.add(question)
        await session.flush()
        return question.id


async def test_a_question_of_the_old_shape_is_answered(bot: BotHarness) -> None:
    await bot.new_cohort("coord", "Harbour Exchange")
    async with bot.db.transaction() as session:
        cohort = (await session.execute(select(Cohort))).scalar_one()
    await ask_to_close(bot, "coord", {"cohort_id": cohort.id, "asked_in": "an older version"})
    await say(bot, "coord", "yes")
    async with bot.db.transaction() as session:
        closed = await session.get(Cohort, cohort.id)
        assert closed is not None and closed.status == CohortStatus.CLOSED


async def test_a_question_that_does_not_fit_gets_the_apology_of_a_bug(bot: BotHarness) -> None:
    await bot.new_cohort("coord", "Harbour Exchange")
    async with bot.db.transaction() as session:
        cohort = (await session.execute(select(Cohort))).scalar_one()
    await ask_to_close(bot, "coord", {"cohort_id": str(cohort.id)})
    reply = await say(bot, "coord", "yes")
    assert re.search(r"reference (\S+)\)", reply), reply
    async with bot.db.transaction() as session:
        still = await session.get(Cohort, cohort.id)
        assert still is not None and still.status != CohortStatus.CLOSED


def test_a_field_that_cannot_be_stored_is_refused_when_its_kind_is_registered() -> None:
    @dataclass(frozen=True)
    class Odd(Payload):
        when: timedelta = timedelta(0)

    with pytest.raises(TypeError, match="not supported"):
        Router().job("test.odd", payload=Odd)
