"""Logs: key=value lines with correlation ids that never carry message texts, names, tokens,
passwords, access tokens or invite codes, whatever path a secret takes through the bot."""

from __future__ import annotations

import io
import logging
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from bot.authz import ANYONE
from bot.cli import _secrets
from bot.commands import Args
from bot.config import Config, load_config
from bot.context import Context
from bot.logsetup import QUIET_LOGGERS, REDACTED, RedactingFilter, log_scope, setup_logging
from bot.outbox import schedule_job
from bot.router import JobInfo, Router
from tests.conftest import START
from tests.harness import BotHarness
from tests.privacy.helpers import say

TOKEN = "7301928374:AAHk2-Zq9secretTokenValueXy_0123456789"
WEBHOOK_SECRET = "whsec-Lumen-Pistachio-42"
PASSWORD = "correct horse battery staple"
ACCESS_TOKEN = "syt_Y29ob3J0Ym90_VerySecretAccessTok_3kD9aa"
PICKLE_KEY = "pickle-Marmalade-Vortex-77"
FREE_TEXT = "we meet the journalist behind the old mill on Thursday"
NAME = "Ilse Vandermolen"


def configured() -> Config:
    base = load_config(None, env={})
    return replace(
        base,
        telegram=replace(base.telegram, token=TOKEN, secret_token=WEBHOOK_SECRET),
        matrix=replace(
            base.matrix, password=PASSWORD, access_token=ACCESS_TOKEN, pickle_key=PICKLE_KEY
        ),
    )


@pytest.fixture
def logs() -> Iterator[io.StringIO]:
    """setup_logging at DEBUG into a buffer; the logging setup is restored afterwards."""
    root = logging.getLogger()
    saved = (
        list(root.handlers),
        root.level,
        {n: logging.getLogger(n).level for n in QUIET_LOGGERS},
    )
    saved_filters = {h: list(h.filters) for h in root.handlers}
    stream = io.StringIO()
    setup_logging("DEBUG", _secrets(configured()), stream=stream)
    try:
        yield stream
    finally:
        handlers, level, levels = saved
        for h in list(root.handlers):
            root.removeHandler(h)
        for h in handlers:
            h.filters[:] = saved_filters[h]
            root.addHandler(h)
        root.setLevel(level)
        for name, lvl in levels.items():
            logging.getLogger(name).setLevel(lvl)


@pytest.fixture
async def noisy_bot(db_url: str, tmp_path: Path) -> AsyncIterator[BotHarness]:
    """The bot with secrets configured and a command and a job that crash quoting their input."""
    harness = await BotHarness.create(db_url, tmp_path, START, configured())
    extra = Router()

    @extra.command("boom")
    async def boom(ctx: Context, args: Args) -> None:
        raise ValueError(
            f"cannot parse {args.raw!r} from {ctx.identity and ctx.identity.display_name}"
        )

    @extra.job("test.boom")
    async def boom_job(ctx: Context, job: JobInfo) -> None:
        raise RuntimeError(f"bad payload {job.payload}")

    pipeline = harness.app.runtime.pipeline
    pipeline.router.include(extra)
    pipeline.permissions = {**pipeline.permissions, "boom": ANYONE}
    try:
        yield harness
    finally:
        await harness.close()


SECRETS = (TOKEN, WEBHOOK_SECRET, PASSWORD, ACCESS_TOKEN, PICKLE_KEY, FREE_TEXT, NAME)


async def test_secrets_sent_through_the_console_never_reach_the_logs(
    logs: io.StringIO, noisy_bot: BotHarness
) -> None:
    bot = noisy_bot
    code = await bot.new_cohort("coord", "Harbour Exchange", "UTC")
    await say(bot, "ilse", f"/join {code}", name=NAME)
    await say(bot, "ilse", "/join QWERTY23", name=NAME)  # a wrong code is an invite code too
    await say(bot, "ilse", FREE_TEXT, name=NAME)
    await say(bot, "ilse", f"my token is {TOKEN} and my password={PASSWORD}", name=NAME)
    reply = await say(bot, "ilse", f"/boom {FREE_TEXT} {ACCESS_TOKEN} {code}", name=NAME)
    ref = re.search(r"reference (\S+)\)", reply)
    assert ref, reply
    await say(bot, "ilse", "/mydata", name=NAME)
    await say(bot, "ilse", f"/timezone {FREE_TEXT}", name=NAME)
    async with bot.db.transaction() as session:
        await schedule_job(
            session,
            kind="test.boom",
            due_at=bot.clock.now(),
            key="test-boom",
            now=bot.clock.now(),
            payload={"note": FREE_TEXT, "secret": PICKLE_KEY},
        )
    await bot.advance(timedelta(minutes=1))
    await say(bot, "ilse", "/forgetme", name=NAME)
    await say(bot, "ilse", "yes", name=NAME)
    await bot.advance(timedelta(days=1))

    text = logs.getvalue()
    assert "handler failed" in text and "job failed" in text, "the crash paths were not taken"
    assert f"correlation_id={ref.group(1)}" in text  # the reference people see is in the log
    assert re.search(r'msg="job failed".*correlation_id=job-\d+', text)
    assert "retention purge" in text
    for secret in (*SECRETS, code, "QWERTY23"):
        assert secret not in text, f"{secret!r} leaked into the logs"
    # No text the bot sent shows up either (delivery logs ids, never texts).
    for message in bot.sent:
        for line in message.text.splitlines():
            if len(line) > 24:
                assert line not in text, f"a message text leaked into the logs: {line!r}"


def test_the_filter_is_on_every_handler(
    logs: io.StringIO, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO), log_scope("abc12345", FREE_TEXT):
        logging.getLogger("cohortbot.test").info("got %s with %s", FREE_TEXT, TOKEN)
    assert caplog.records, "nothing captured"
    for record in caplog.records:
        assert FREE_TEXT not in record.getMessage() and TOKEN not in record.getMessage()
        assert getattr(record, "correlation_id", None) == "abc12345"
    assert FREE_TEXT not in caplog.text and TOKEN not in caplog.text
    line = logs.getvalue().strip().splitlines()[-1]
    assert 'msg="got [redacted] with [redacted]"' in line and "correlation_id=abc12345" in line


def test_http_and_library_loggers_stay_quiet_at_debug(logs: io.StringIO) -> None:
    for name in ("httpx", "httpcore", "telegram", "nio", "sqlalchemy.engine"):
        assert logging.getLogger(name).getEffectiveLevel() >= logging.WARNING, name
    logging.getLogger("httpx").info(f"HTTP Request: POST https://api.telegram.org/bot{TOKEN}/getMe")
    logging.getLogger("httpx").warning(f"retrying https://api.telegram.org/bot{TOKEN}/getMe")
    text = logs.getvalue()
    assert "HTTP Request" not in text
    assert "retrying" in text and TOKEN not in text


@pytest.mark.parametrize(
    ("raw", "gone"),
    [
        (f"url=https://api.telegram.org/bot{TOKEN}/sendMessage", TOKEN),
        (f"Authorization: Bearer {ACCESS_TOKEN}", ACCESS_TOKEN),
        ("Authorization: Bearer abcdefgh12345678", "abcdefgh12345678"),
        ("login with password=hunter22&user=x", "hunter22"),
        ('{"access_token": "opaque-value-1234"}', "opaque-value-1234"),
        ("joined with code K7M2QX9P", "K7M2QX9P"),
        (
            "IntegrityError [SQL: INSERT INTO t VALUES (?)]\n[parameters: ('my private words',)]",
            "my private words",
        ),
    ],
)
def test_secret_shapes_are_redacted(raw: str, gone: str) -> None:
    redacted = RedactingFilter().redact(raw)
    assert gone not in redacted and REDACTED in redacted


def test_ordinary_words_survive_redaction() -> None:
    line = "delivery of outbox_id=42 platform=telegram status=sent took 3 ms; INFO WARNING"
    assert RedactingFilter().redact(line) == line


def test_the_current_update_is_redacted_only_while_it_is_handled() -> None:
    f = RedactingFilter()
    with log_scope("ref", "Benedikta Okonkwo-Larsen", "ok"):
        assert f.redact("from Benedikta Okonkwo-Larsen") == f"from {REDACTED}"
        assert f.redact("Okonkwo-Larsen") == REDACTED  # a long word of it on its own
        assert f.redact("ok fine") == "ok fine"  # too short to redact without garbling logs
    assert f.redact("from Benedikta Okonkwo-Larsen") == "from Benedikta Okonkwo-Larsen"
