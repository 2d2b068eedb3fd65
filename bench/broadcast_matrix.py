"""A coordinator broadcast on Matrix, through a real Synapse (tests/e2e/synapse.py, started here
with Synapse's own default rate limits), each recipient in an encrypted DM with the bot:

    .venv/bin/python -m bench.broadcast --platform matrix [--size 201]
                     [--limits exempt,default] [--stops kill@0.5] [--samples 2]

For each `--limits` mode a fresh bot account announces to SIZE people (the coordinator
included, who is not counted below):
- `exempt`: the bot's account exempted from rate limits with the admin API `override_ratelimit`
  (messages_per_second 0), as the README's deployment section says to do;
- `default`: Synapse's default `rc_message` (0.2 messages/s, burst 10) -- an unexempted bot.
The bot (the real adapter, pipeline, outbox and delivery, SQLite) runs in a child process that
is SIGKILLed when half the recipients were reached, and restarted.

The DM rooms exist before the broadcast (people who talked to the bot before), made by the bot's
account while it is exempted (Synapse's default `rc_room_creation` allows 10 rooms and then one
a minute). Each recipient has one device with published identity and one-time keys (vodozemac),
so sharing the room key of each new room costs what it costs with real people: a one-time key
claimed, an Olm message sent to the device, then the message; `--samples` of them are real nio
clients that must decrypt the announcement.

Prints JSON lines: messages per second (overall and per run of the bot), 429s received and
whether each `retry_after_ms` was honoured (no send before it ran out), the time spent sharing
room keys (per new room), lost (goal 0) and duplicated (goal 0: the outbox key is the transaction
id, so a message resent after the SIGKILL is dropped by Synapse), and peak memory. Needs Synapse
(scripts/setup-synapse.sh, or COHORTBOT_SYNAPSE_VENV); without it, says so and exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import secrets
import signal
import sqlite3
import statistics
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil
from sqlalchemy import insert, select

from bench.common import emit, peak_rss_mib
from bot.adapters.matrix import MatrixPlatform
from bot.adapters.matrix.rooms import ROOM_NS, USER_NS
from bot.app import build_app, open_database
from bot.clock import SystemClock
from bot.config import Config, load_config
from bot.messages import Address, Inbound, Outbound, SendResult, SendStatus
from storage.engine import Database
from storage.models import Cohort, Identity, KeyValue, Membership, OutboxMessage, Person
from storage.repositories.chats import DbChatMoves
from storage.repositories.kv import DbStateStore
from tests.e2e.devices import publish_device
from tests.e2e.synapse import RegisteredUser, SynapseServer

ROOT = Path(__file__).resolve().parents[1]
TEXT = "Benchmark broadcast: please ignore"
PICKLE_KEY = "bench-pickle-key-not-secret"


# The bot process ---------------------------------------------------------------------------
@dataclass
class Stats:
    """What the bot's adapter did, counted in the child process."""

    sends: int = 0
    sent: int = 0
    retry_after_s: list[float] = field(default_factory=list)  # the homeserver's 429s
    paced: int = 0  # answered RETRY_AFTER by the adapter's pacing, without a request
    early_retries: int = 0  # sends started before a 429's retry_after had run out
    shares: int = 0
    share_s: float = 0.0
    claims: int = 0
    claim_s: float = 0.0
    room_sends: int = 0
    room_send_s: float = 0.0
    quiet_until: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if k != "quiet_until"}


class MeasuredMatrix(MatrixPlatform):
    """The production adapter, with its homeserver calls timed (the bench's own accounting)."""

    stats: Stats

    async def _login(self) -> Any:
        client = await super()._login()
        stats = self.stats

        def timed(name: str, method: Any) -> Any:
            async def call(*args: Any, **kwargs: Any) -> Any:
                began = time.perf_counter()
                try:
                    return await method(*args, **kwargs)
                finally:
                    setattr(stats, f"{name}s", getattr(stats, f"{name}s") + 1)
                    setattr(
                        stats,
                        f"{name}_s",
                        getattr(stats, f"{name}_s") + time.perf_counter() - began,
                    )

            return call

        client.share_group_session = timed("share", client.share_group_session)
        client.keys_claim = timed("claim", client.keys_claim)
        client.room_send = timed("room_send", client.room_send)
        return client

    async def send(self, message: Outbound) -> SendResult:
        stats = self.stats
        if time.monotonic() < stats.quiet_until:
            stats.early_retries += 1
        stats.sends += 1
        result = await super().send(message)
        if result.status is SendStatus.SENT:
            stats.sent += 1
        elif result.status is SendStatus.RETRY_AFTER and result.reason == "matrix pacing":
            stats.paced += 1
        elif result.status is SendStatus.RETRY_AFTER and result.retry_after is not None:
            stats.retry_after_s.append(result.retry_after)
            stats.quiet_until = time.monotonic() + result.retry_after
        return result


def child_config(args: argparse.Namespace) -> Config:
    return load_config(
        None,
        env={
            "COHORTBOT_STORAGE_URL": args.db,
            "COHORTBOT_STORAGE_FILES_DIR": str(Path(args.workdir) / "files"),
            "COHORTBOT_MATRIX_HOMESERVER": args.homeserver,
            "COHORTBOT_MATRIX_USER_ID": args.user,
            "COHORTBOT_MATRIX_PASSWORD": args.password,
            "COHORTBOT_MATRIX_STORE_PATH": str(Path(args.workdir) / "matrix-store"),
            "COHORTBOT_MATRIX_PICKLE_KEY": PICKLE_KEY,
            "COHORTBOT_BOT_COMMANDS_PER_MINUTE": "1000000",
            # The system clock: the coordinator's report must not wait for the end of a night.
            "COHORTBOT_BOT_QUIET_HOURS": "off",
        },
    )


def coordinator_says(coordinator: str, room: str, text: str, n: int) -> Inbound:
    return Inbound(
        platform="matrix",
        update_id=f"$bench-{n}",
        user_id=coordinator,
        chat=Address("matrix", room),
        text=text,
        received_at=datetime.now(UTC),
        display_name="Coordinator",
    )


async def seed_members(db: Database, cohort_id: int, rooms: dict[str, str], now: datetime) -> None:
    """Members who talked to the bot in their DMs before (identity, DM registry)."""
    users = list(rooms)
    async with db.transaction() as session:
        found = await session.execute(
            insert(Person).returning(Person.id, sort_by_parameter_order=True),
            [{"language": None, "created_at": now, "quiet_start": "off"}] * len(users),
        )
        ids = [int(pid) for pid in found.scalars()]
        await session.execute(
            insert(Identity),
            [
                {
                    "person_id": pid,
                    "platform": "matrix",
                    "external_id": user,
                    "display_name": user.split(":")[0].lstrip("@"),
                    "private_chat_id": rooms[user],
                    "reachable": True,
                    "last_seen_at": now,
                }
                for pid, user in zip(ids, users, strict=True)
            ],
        )
        await session.execute(
            insert(Membership),
            [
                {"cohort_id": cohort_id, "person_id": pid, "role": "participant", "joined_at": now}
                for pid in ids
            ],
        )
        await session.execute(
            insert(KeyValue),
            [
                {"namespace": ns, "key": key, "value": value, "updated_at": now}
                for user, room in rooms.items()
                for ns, key, value in ((USER_NS, user, room), (ROOM_NS, room, user))
            ],
        )


async def child(args: argparse.Namespace) -> None:
    """The bot: on the first run it creates the cohort and announces; then it serves until the
    delivery report reached the coordinator, printing its figures every second."""
    plan = args.plan_data
    coordinator, coordinator_room = plan["coordinator"], plan["coordinator_room"]
    clock = SystemClock()
    config = child_config(args)
    db = await open_database(config)
    platform = MeasuredMatrix(
        config.matrix, clock, DbStateStore(db, clock), chat_moves=DbChatMoves(db)
    )
    platform.stats = Stats()
    app = await build_app(config, clock, {"matrix": platform}, db=db)
    if args.phase == "first":
        await app.runtime.handle(
            coordinator_says(coordinator, coordinator_room, '!newcohort "Bench" UTC', 1)
        )
        async with db.transaction() as session:
            cohort_id = int((await session.execute(select(Cohort.id))).scalar_one())
        await seed_members(db, cohort_id, plan["members"], clock.now())
    await app.runtime.serve()
    if args.phase == "first":
        await app.runtime.handle(
            coordinator_says(coordinator, coordinator_room, f'!announce "{TEXT}"', 2)
        )
        await app.runtime.handle(coordinator_says(coordinator, coordinator_room, "1", 3))
    process = psutil.Process()
    while True:
        async with db.transaction() as session:
            report = await session.execute(
                select(OutboxMessage.status).where(OutboxMessage.idempotency_key.like("b:%:report"))
            )
            status = report.scalar_one_or_none()
        print(
            json.dumps(
                {
                    "rss_mib": round(process.memory_info().rss / 2**20, 1),
                    "peak": peak_rss_mib(),
                    "stats": platform.stats.as_dict(),
                }
            ),
            flush=True,
        )
        if status == "sent":
            break
        await asyncio.sleep(1.0)  # a status poll in a benchmark
    await app.close()


# The people --------------------------------------------------------------------------------
def register(synapse: SynapseServer, prefix: str) -> tuple[RegisteredUser, str]:
    password = secrets.token_urlsafe(12)
    account = synapse.register_user(f"{prefix}-{secrets.token_hex(4)}", password)
    return account, password


def open_dm(synapse: SynapseServer, bot: RegisteredUser, person: RegisteredUser) -> str:
    """An encrypted DM made by the bot's account, joined by the person."""
    created = synapse.client_api(
        "POST",
        "/createRoom",
        {
            "preset": "trusted_private_chat",
            "is_direct": True,
            "invite": [person.user_id],
            "initial_state": [
                {
                    "type": "m.room.encryption",
                    "state_key": "",
                    "content": {"algorithm": "m.megolm.v1.aes-sha2"},
                }
            ],
        },
        access_token=bot.access_token,
    )
    room = str(created["room_id"])
    synapse.client_api(
        "POST", f"/rooms/{urllib.parse.quote(room)}/join", {}, access_token=person.access_token
    )
    return room


def bot_events(synapse: SynapseServer, room: str, bot_user: str) -> list[dict[str, Any]]:
    """The bot's events in a room, oldest first (admin API: works without decrypting)."""
    path = f"/v1/rooms/{urllib.parse.quote(room)}/messages?dir=f&limit=100"
    chunk = synapse.admin_api("GET", path).get("chunk", [])
    return [e for e in chunk if e.get("sender") == bot_user and e.get("type") == "m.room.encrypted"]


# The driver --------------------------------------------------------------------------------
@dataclass
class Run:
    process: asyncio.subprocess.Process
    peak_mib: float = 0.0
    stats: dict[str, Any] = field(default_factory=dict)
    reader: asyncio.Task[None] | None = None

    async def read(self) -> None:
        assert self.process.stdout is not None
        async for line in self.process.stdout:
            with contextlib.suppress(ValueError):
                status = json.loads(line)
                self.peak_mib = max(self.peak_mib, float(status.get("peak", 0)))
                self.stats = status.get("stats", self.stats)


async def spawn(args: argparse.Namespace, scenario: dict[str, str], phase: str) -> Run:
    command = [
        sys.executable, "-m", "bench.broadcast_matrix", "--child", "--phase", phase,
        "--db", scenario["db"], "--homeserver", scenario["homeserver"],
        "--user", scenario["user"], "--password", scenario["password"],
        "--workdir", scenario["workdir"], "--plan", scenario["plan"],
    ]  # fmt: skip
    log = Path(scenario["workdir"]) / f"bot-{phase}.log"  # its warnings, not in the figures
    with log.open("ab") as stderr:
        process = await asyncio.create_subprocess_exec(
            *command, stdout=asyncio.subprocess.PIPE, stderr=stderr, cwd=ROOT
        )
    run = Run(process)
    run.reader = asyncio.create_task(run.read())
    return run


def sent_count(db_path: str) -> int:
    if not Path(db_path).exists():
        return 0
    with contextlib.closing(sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)) as conn:
        try:
            row = conn.execute(
                "SELECT count(*) FROM outbox WHERE status = 'sent' AND broadcast_id IS NOT NULL"
            ).fetchone()
        except sqlite3.OperationalError:  # not migrated yet, or busy
            return 0
    return int(row[0])


async def wait_until(condition: Any, within: float, run: Run) -> bool:
    deadline = time.monotonic() + within
    while not condition():
        if run.process.returncode is not None or time.monotonic() > deadline:
            return bool(condition())
        await asyncio.sleep(0.2)  # polling the bot's database from the driver
    return True


def rate(stamps: Sequence[float]) -> dict[str, Any]:
    if len(stamps) < 2:
        return {"messages": len(stamps), "seconds": 0.0, "per_second": 0.0}
    span = max(stamps) - min(stamps)
    return {
        "messages": len(stamps),
        "seconds": round(span, 1),
        "per_second": round((len(stamps) - 1) / span, 2) if span else 0.0,
    }


def _before(stamps: Sequence[float], at: float) -> float:
    return max((s for s in stamps if s < at), default=at)


def _after(stamps: Sequence[float], at: float) -> float:
    return min((s for s in stamps if s >= at), default=at)


def merged(stats: Sequence[dict[str, Any]]) -> dict[str, Any]:
    total: dict[str, Any] = {}
    for part in stats:
        for key, value in part.items():
            if isinstance(value, list):
                total[key] = [*total.get(key, []), *value]
            else:
                total[key] = total.get(key, 0) + value
    return total


async def sample_peers(
    synapse: SynapseServer, people: Sequence[RegisteredUser], workdir: Path
) -> list[Any]:
    """Real nio clients on these people's devices (they publish their own keys)."""
    from nio import AsyncClient, AsyncClientConfig, MegolmEvent, RoomMessageNotice

    from tests.e2e.matrix_peer import Peer

    peers = []
    for person in people:
        store = workdir / f"peer-{person.device_id}"
        store.mkdir(parents=True)
        client = AsyncClient(
            synapse.base_url,
            person.user_id,
            device_id=person.device_id,
            store_path=str(store),
            config=AsyncClientConfig(encryption_enabled=True, max_limit_exceeded=0),
        )
        client.restore_login(person.user_id, person.device_id, person.access_token)
        peer = Peer(client, "", store)
        client.add_event_callback(peer.record, (RoomMessageNotice, MegolmEvent))
        await peer.sync()
        peers.append(peer)
    return peers


async def scenario(
    args: argparse.Namespace,
    synapse: SynapseServer,
    people: list[RegisteredUser],
    samples: Sequence[Any],
    limits: str,
    tmp: Path,
) -> None:
    workdir = tmp / limits
    workdir.mkdir()
    bot, password = register(synapse, f"bench-bot-{limits}")
    synapse.override_ratelimit(bot.user_id, 0, 0)  # while the DMs are made
    watch = time.monotonic()
    rooms = {person.user_id: open_dm(synapse, bot, person) for person in people}
    setup_s = time.monotonic() - watch
    if limits == "default":
        synapse.clear_ratelimit_override(bot.user_id)
    coordinator, *members = people
    plan = workdir / "plan.json"
    plan.write_text(
        json.dumps(
            {
                "coordinator": coordinator.user_id,
                "coordinator_room": rooms[coordinator.user_id],
                "members": {m.user_id: rooms[m.user_id] for m in members},
            }
        )
    )
    db_path = str(workdir / "bot.db")
    info = {
        "db": f"sqlite+aiosqlite:///{db_path}",
        "homeserver": synapse.base_url,
        "user": bot.user_id,
        "password": password,
        "workdir": str(workdir),
        "plan": str(plan),
    }
    budget = 60 + len(members) * (10 if limits == "default" else 1)
    began = time.time()
    runs = [await spawn(args, info, "first")]
    kills: list[float] = []
    for number, fraction in enumerate(args.kill_at, start=1):
        reach = max(1, int(fraction * len(members)))
        await wait_until(lambda reach=reach: sent_count(db_path) >= reach, budget, runs[-1])
        if runs[-1].process.returncode is None:
            runs[-1].process.send_signal(signal.SIGKILL)
        await runs[-1].process.wait()
        kills.append(time.time())
        runs.append(await spawn(args, info, f"restart{number}"))
    await wait_until(lambda: False, budget, runs[-1])  # until the child is done (report sent)
    finished = runs[-1].process.returncode == 0
    if runs[-1].process.returncode is None:
        runs[-1].process.kill()
    await runs[-1].process.wait()
    for run in runs:
        if run.reader is not None:
            await run.reader
    wall = time.time() - began

    events = {m.user_id: bot_events(synapse, rooms[m.user_id], bot.user_id) for m in members}
    stamps = sorted(e["origin_server_ts"] / 1000 for found in events.values() for e in found)
    bounds = [began, *kills, float("inf")]
    runs_rate = [rate([s for s in stamps if a <= s < b]) for a, b in itertools.pairwise(bounds)]
    gaps = [round(_after(stamps, b) - _before(stamps, b), 1) for b in kills]
    busy = sum(r["seconds"] for r in runs_rate)
    stats = merged([run.stats for run in runs])
    retry = stats.get("retry_after_s", [])
    decrypted = 0
    for peer in samples:
        room = rooms[peer.user_id]
        with contextlib.suppress(AssertionError):
            await peer.wait_for(
                lambda p=peer, r=room: any(TEXT in b for b in p.bodies(r, bot.user_id)),
                "the announcement",
                syncs=20,
            )
        decrypted += any(TEXT in b for b in peer.bodies(room, bot.user_id))
    emit(
        "broadcast_matrix.throughput",
        limits=limits,
        recipients=len(members),
        delivered=sum(1 for found in events.values() if found),
        per_second_overall=round((len(stamps) - len(runs_rate)) / busy, 2) if busy else 0.0,
        runs=runs_rate,
        restart_gaps_seconds=gaps,
        wall_seconds=round(wall, 1),
        dm_setup_seconds=round(setup_s, 1),
        finished=finished,
    )
    emit(
        "broadcast_matrix.429",
        limits=limits,
        received=len(retry),
        retry_after_ms={
            "min": round(min(retry) * 1000) if retry else None,
            "median": round(statistics.median(retry) * 1000) if retry else None,
            "max": round(max(retry) * 1000) if retry else None,
        },
        sent_before_retry_after_ran_out=stats.get("early_retries", 0),
        answered_by_pacing_without_a_request=stats.get("paced", 0),
    )
    shares = max(1, int(stats.get("shares", 0)))
    share_s, send_s = float(stats.get("share_s", 0.0)), float(stats.get("room_send_s", 0.0))
    emit(
        "broadcast_matrix.room_keys",
        limits=limits,
        rooms_keyed=int(stats.get("shares", 0)),
        key_share_ms_per_room=round(share_s / shares * 1000, 1),
        one_time_key_claims=int(stats.get("claims", 0)),
        claim_ms_per_room=round(float(stats.get("claim_s", 0.0)) / shares * 1000, 1),
        # room_send includes the key share of a new room (nio shares inside room_send)
        room_send_ms_each=round(send_s / max(1, int(stats.get("room_sends", 0))) * 1000, 1),
        key_share_part_of_room_send=round(share_s / send_s, 2) if send_s else None,
    )
    copies = {user: len(found) for user, found in events.items()}
    emit(
        "broadcast_matrix.resume",
        limits=limits,
        stops=[f"SIGKILL at {f}" for f in args.kill_at],
        lost=sum(1 for n in copies.values() if n == 0),
        duplicated=sum(n - 1 for n in copies.values() if n > 1),
        decrypted_by_sample_clients=f"{decrypted}/{len(samples)}",
        bot_peak_rss_mib=[run.peak_mib for run in runs],
    )


async def driver(args: argparse.Namespace) -> None:
    venv = Path(os.environ.get("COHORTBOT_SYNAPSE_VENV", ROOT / ".venv-synapse"))
    if not (venv / "bin" / "python").exists():
        emit("broadcast_matrix", skipped=f"no Synapse at {venv}: run scripts/setup-synapse.sh")
        return
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        synapse = SynapseServer(
            venv,
            tmp / "synapse",
            relaxed_limits=False,  # Synapse's defaults: rc_message 0.2/s, burst 10, ...
            extra_config={"bcrypt_rounds": 4},  # registering people fast; no rate limit changed
        )
        synapse.start()
        try:
            watch = time.monotonic()
            people = [register(synapse, "bench-person")[0] for _ in range(args.size)]
            for person in people[1 + args.samples :]:  # samples publish their own, with nio
                publish_device(synapse, person)
            emit(
                "broadcast_matrix.setup",
                people=len(people),
                register_and_keys_seconds=round(time.monotonic() - watch, 1),
            )
            samples = await sample_peers(synapse, people[1 : 1 + args.samples], tmp)
            try:
                for limits in args.limits:
                    await scenario(args, synapse, people, samples, limits, tmp)
            finally:
                for peer in samples:
                    await peer.close()
        finally:
            synapse.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=201, help="people (the coordinator included)")
    parser.add_argument("--limits", default="exempt,default", help="exempt, default, or both")
    parser.add_argument("--stops", default="kill@0.5", help="kill@FRACTION,... ('' = never)")
    parser.add_argument("--samples", type=int, default=2, help="recipients that are nio clients")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    for hidden in ("phase", "db", "homeserver", "user", "password", "workdir", "plan"):
        parser.add_argument(f"--{hidden}", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        args.plan_data = json.loads(Path(args.plan).read_text())
        asyncio.run(child(args))
        return
    args.limits = [m.strip() for m in args.limits.split(",") if m.strip()]
    args.kill_at = sorted(float(p.partition("@")[2]) for p in args.stops.split(",") if p.strip())
    asyncio.run(driver(args))


if __name__ == "__main__":
    main()
