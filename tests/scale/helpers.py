"""The real program (`python -m bot run`) as a child process, against a FakeTelegram served by the
test's own event loop: start it, kill it (SIGKILL), restart it; seed people; count what arrived.

Waits are bounded and poll the fake's records (re-checked on every request the bot makes); no
fixed sleeps."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
from sqlalchemy import select

from bench.common import seed_people
from bot.clock import SystemClock
from storage.engine import Database
from storage.models import Cohort
from tests.conftest import migrated as migrated
from tests.fakes.telegram_api import FakeTelegram, SentMessage

TOKEN = "7012345678:AAHk2vQm9xZr4TpW8yLb3NcFd6GsJe1UoIq"
COORD = 1
FIRST_MEMBER = 300_000
ROOT = Path(__file__).resolve().parents[2]
STARTUP = 60.0  # seconds a child may take to import, migrate and connect (a busy CI machine)


@dataclass
class BotProcess:
    """One `python -m bot run` child: its environment and its log file (stdout and stderr)."""

    fake: FakeTelegram
    db_url: str
    workdir: Path
    instance: str = "scale-a"
    runs: int = 0
    proc: asyncio.subprocess.Process | None = None
    logs: list[Path] = field(default_factory=list)

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("COHORTBOT_")}
        env.update(
            {
                "COHORTBOT_TELEGRAM_TOKEN": self.fake.token,
                "COHORTBOT_TELEGRAM_BASE_URL": self.fake.url,
                "COHORTBOT_STORAGE_URL": self.db_url,
                "COHORTBOT_STORAGE_FILES_DIR": str(self.workdir / "files"),
                "COHORTBOT_BOT_INSTANCE_ID": self.instance,
                # The system clock: what a test sends must arrive whatever the hour it runs at.
                "COHORTBOT_BOT_QUIET_HOURS": "off",
                "COHORTBOT_LOG_LEVEL": "INFO",
                # no dashboard: parallel tests would contend for its port
                "COHORTBOT_WEB_ENABLED": "false",
                "PYTHONPATH": str(ROOT),
                "PTB_TIMEDELTA": "true",
            }
        )
        return env

    async def start(self) -> None:
        self.runs += 1
        log = self.workdir / f"{self.instance}-{self.runs}.log"
        self.logs.append(log)
        with log.open("wb") as out:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                "run",
                cwd=self.workdir,
                env=self.env(),
                stdout=out,
                stderr=asyncio.subprocess.STDOUT,
            )

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    async def kill(self) -> None:
        """SIGKILL: no clean-up of any kind."""
        if self.proc is not None and self.proc.returncode is None:
            self.proc.send_signal(signal.SIGKILL)
            await self.proc.wait()

    async def stop(self, within: float = 30.0) -> int:
        """SIGTERM and wait for a clean exit (SIGKILL if it does not come)."""
        if self.proc is None:
            return 0
        if self.proc.returncode is not None:
            return self.proc.returncode
        self.proc.send_signal(signal.SIGTERM)
        try:
            return await asyncio.wait_for(self.proc.wait(), within)
        except TimeoutError:
            await self.kill()
            return -signal.SIGKILL

    def log_text(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in self.logs if p.exists())


async def wait_for(fake: FakeTelegram, predicate: object, within: float, what: str) -> None:
    """Bounded wait on the fake's records; the failure names what did not happen."""
    assert callable(predicate)
    try:
        await fake.wait_until(predicate, within)
    except TimeoutError:
        raise AssertionError(f"not within {within:.0f} s: {what}") from None


async def started_users(fake: FakeTelegram, users: Iterable[int]) -> None:
    """Telegram users who pressed Start long ago (the bot may write to them); their /start
    updates are confirmed, as if the bot had handled them before."""
    for uid in users:
        fake.add_user(uid, f"u{uid}", language_code="en")
        fake.send_private(uid, "/start")
    pending = fake.pending_updates
    if not pending:
        return
    offset = int(pending[-1]["update_id"]) + 1
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{fake.url}/bot{fake.token}/getUpdates", params={"offset": offset}) as answer,
    ):
        await answer.read()


async def seed_members(db_url: str, cohort_name: str, count: int) -> list[int]:
    """`count` participants of the cohort with Telegram identities (user ids FIRST_MEMBER...),
    inserted in bulk while the bot runs. Returns their Telegram user ids."""
    db = Database(db_url)
    try:
        async with db.transaction() as session:
            found = await session.execute(select(Cohort.id).where(Cohort.name == cohort_name))
            cohort_id = int(found.scalar_one())
        now = SystemClock().now()  # when they joined: data, not timing
        await seed_people(
            db, count, now, platform="telegram", cohort_id=cohort_id, first_external=FIRST_MEMBER
        )
    finally:
        await db.close()
    return list(range(FIRST_MEMBER, FIRST_MEMBER + count))


def copies(fake: FakeTelegram, marker: str, chats: Iterable[int]) -> Counter[int]:
    """How many messages containing `marker` each chat received."""
    wanted = set(chats)
    counted: Counter[int] = Counter({chat: 0 for chat in wanted})
    for sent in list(fake.sent):
        if sent.chat_id in wanted and marker in (sent.text or ""):
            counted[sent.chat_id] += 1
    return counted


def arrived(fake: FakeTelegram, marker: str) -> int:
    return sum(1 for sent in list(fake.sent) if marker in (sent.text or ""))


def last_to(fake: FakeTelegram, chat: int) -> SentMessage | None:
    return fake.last_message(chat)
