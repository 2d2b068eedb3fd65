"""A bystander's reply latency while someone floods the bot: nobody's queue may hold up anyone
else's replies. Goal: p99 <= 2 s under every flood.

    .venv/bin/python -m bench.fairness [--seconds 20] [--db URL] [--only NAME,...]

The real program (`python -m bot run`) against the fake Bot API with Telegram's limits on (30
messages a second, one a second per private chat, 20 a minute per group). Throughout each
flood, bystanders (a rotation of people, so their own chats' limits never bind) send /help
twice a second; the latency of each is the time from their message reaching the Bot API to
the bot's reply reaching it. The floods:

- help_burst: one person sends 200 x /help at once;
- start_flood: one person sends /start just inside the per-person limit (0.45/s) throughout;
- long_texts: one person sends 150 messages of 4,050 characters;
- group_unknown: someone who is not a member sends 40 unknown commands in a group;
- hung_sends: every send to one person's chat hangs (the request is never answered), while
  they keep asking;
- broadcast: a coordinator announces to 600 members.

Prints one JSON line per flood: bystander latency p50, p99 and max, how many answered, and how
many never were within the run."""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.common import emit, machine
from tests.fakes.telegram_api import FakeTelegram, Limits, SentMessage
from tests.scale.helpers import (
    COORD,
    FIRST_MEMBER,
    STARTUP,
    TOKEN,
    BotProcess,
    migrated,
    seed_members,
    started_users,
    wait_for,
)

ATTACKER = 7_000
BYSTANDERS = list(range(8_000, 8_020))
GROUP = -100_555
MEMBERS = 600
HELP_MARK = "/timezone"  # in every /help answer


@dataclass
class Watch:
    """Bystanders' questions and the answers that reached the Bot API."""

    asked: dict[int, float] = field(default_factory=dict)  # chat -> when its /help arrived
    latencies: list[float] = field(default_factory=list)

    def on_sent(self, message: SentMessage) -> None:
        began = self.asked.pop(message.chat_id, None)
        if began is not None and HELP_MARK in (message.text or ""):
            self.latencies.append(time.monotonic() - began)
        elif began is not None:
            self.asked[message.chat_id] = began


async def bystanders(fake: FakeTelegram, watch: Watch, seconds: float) -> int:
    """/help from the next bystander every half second for `seconds`; returns how many asked."""
    asked = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        uid = BYSTANDERS[asked % len(BYSTANDERS)]
        if uid not in watch.asked:  # still waiting for the last answer: counted as unanswered
            watch.asked[uid] = time.monotonic()
            fake.send_private(uid, "/help")
        asked += 1
        await asyncio.sleep(0.5)  # the bystanders' pace, in real time
    return asked


Flood = Callable[[FakeTelegram, float], Coroutine[Any, Any, None]]


async def help_burst(fake: FakeTelegram, seconds: float) -> None:
    for _ in range(200):
        fake.send_private(ATTACKER, "/help")


async def start_flood(fake: FakeTelegram, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        fake.send_private(ATTACKER, "/start")
        await asyncio.sleep(1 / 0.45)  # just inside 30 a minute


async def long_texts(fake: FakeTelegram, seconds: float) -> None:
    for i in range(150):
        fake.send_private(ATTACKER, f"{i} " + "x" * 4_050)


async def group_unknown(fake: FakeTelegram, seconds: float) -> None:
    for i in range(40):
        fake.send_group(GROUP, ATTACKER, f"/nosuchcommand{i}", title="Public group")


async def hung_sends(fake: FakeTelegram, seconds: float) -> None:
    fake.hang(ATTACKER)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        fake.send_private(ATTACKER, "/help")
        await asyncio.sleep(1.0)


async def broadcast(fake: FakeTelegram, seconds: float) -> None:
    before = len(fake.messages_to(COORD))
    fake.send_private(COORD, '/announce "Fairness benchmark: please ignore"')
    await fake.wait_until(lambda: len(fake.messages_to(COORD)) > before, STARTUP)
    fake.send_private(COORD, "1")


FLOODS: dict[str, Flood] = {
    "help_burst": help_burst,
    "start_flood": start_flood,
    "long_texts": long_texts,
    "group_unknown": group_unknown,
    "hung_sends": hung_sends,
    "broadcast": broadcast,
}


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def run(args: argparse.Namespace) -> None:
    watch = Watch()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        db_url = args.db or f"sqlite+aiosqlite:///{workdir / 'bot.db'}"
        await migrated(db_url)
        async with FakeTelegram(token=TOKEN, limits=Limits(), on_sent=watch.on_sent) as fake:
            members = range(FIRST_MEMBER, FIRST_MEMBER + MEMBERS)
            await started_users(fake, [COORD, ATTACKER, *BYSTANDERS, *members])
            fake.bot_added_to_group(GROUP, COORD, "Public group")
            bot = BotProcess(fake, db_url, workdir, instance="fairness")
            await bot.start()
            try:
                fake.send_private(COORD, '/newcohort "Fairness" UTC')
                await wait_for(fake, lambda: fake.messages_to(COORD), STARTUP, "the bot answers")
                await seed_members(db_url, "Fairness", MEMBERS)
                wanted = [n for n in FLOODS if not args.only or n in args.only.split(",")]
                for name in wanted:
                    watch.asked.clear()
                    watch.latencies.clear()
                    flood = asyncio.create_task(FLOODS[name](fake, args.seconds))
                    asked = await bystanders(fake, watch, args.seconds)
                    await flood
                    fake.unhang(ATTACKER)
                    await asyncio.sleep(2.0)  # answers still on their way are counted
                    found = watch.latencies
                    emit(
                        "fairness.bystander",
                        flood=name,
                        asked=asked,
                        answered=len(found),
                        unanswered=len(watch.asked),
                        p50_s=round(statistics.median(found), 2) if found else None,
                        p99_s=round(percentile(found, 0.99), 2) if found else None,
                        max_s=round(max(found), 2) if found else None,
                        goal_p99_s=2.0,
                    )
            finally:
                await bot.stop()
    emit("fairness.machine", **machine())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each flood")
    parser.add_argument("--db", default="", help="database URL (default: a temporary SQLite)")
    parser.add_argument("--only", default="", help="comma-separated flood names")
    args = parser.parse_args()
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
