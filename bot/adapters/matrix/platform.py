"""The Matrix platform: matrix-nio 0.26 with end-to-end encryption (vodozemac, no libolm).

- Login by password or access token; the device id is kept (config, else the StateStore) so a
  restart is the same device: same E2EE identity, same transaction-id scope.
- Every start makes sure the device is cross-signed by the account's own identity
  (crosssigning.py): without that, Element no longer talks to it.
- The key store lives in `store_path` (nio's SqliteStore), encrypted with `pickle_key`.
- Our own sync loop (not nio's sync_forever, which spins on errors): the first sync after a
  start carries full state (nio keeps no room list on disk); the sync token is saved through
  the StateStore only after every inbound event of the batch was handled (committed), so a
  crash replays a batch (the pipeline drops duplicates by event id) and never loses one.
- Replies are m.notice with an HTML body; the outbox idempotency key is the transaction id, so
  a resend is dropped by the homeserver; a 429 comes back as RETRY_AFTER (nio is told not to
  sleep on it), and later messages keep the pace it taught (pacing.py).
- Never logs message text, tokens or keys; nio's own DEBUG logging (which dumps responses) is
  pinned to WARNING.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import mimetypes
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import vodozemac
from nio import (
    AsyncClient,
    AsyncClientConfig,
    EnableEncryptionBuilder,
    EncryptionError,
    InviteMemberEvent,
    JoinResponse,
    LocalProtocolError,
    LoginResponse,
    MatrixRoom,
    MegolmEvent,
    ProfileGetDisplayNameResponse,
    RoomCreateResponse,
    RoomMessageText,
    RoomPreset,
    RoomSendResponse,
    SendRetryError,
    SyncError,
    SyncResponse,
    UploadResponse,
    WhoamiResponse,
)
from nio.store import SqliteStore

from bot import recovery_key
from bot.adapters.matrix.crosssigning import CrossSigningResult, cross_sign
from bot.adapters.matrix.direct import DirectAccountData
from bot.adapters.matrix.discreet import SecureRooms, is_encrypted
from bot.adapters.matrix.pacing import Pacing
from bot.adapters.matrix.rooms import DirectRooms, RoomFacts, is_group
from bot.adapters.matrix.text import (
    MAX_EVENT_TEXT,
    file_content,
    inbound_text,
    notice_content,
    split_text,
    txn_id,
)
from bot.adapters.matrix.undecryptable import REPORTED_NS, Waiting, WaitingRoom
from bot.adapters.matrix.upgrades import RoomUpgrades
from bot.clock import Clock
from bot.config import MatrixConfig
from bot.errors import ConfigError
from bot.i18n import Catalogs, Translator, _
from bot.messages import Address, Attachment, Inbound, Outbound, RateLimits, SendResult, SendStatus
from bot.platform import Capabilities, ChatMoves, InboundHandler, StateStore
from storage.files import private_dir, tighten

log = logging.getLogger(__name__)

NAME = "matrix"
STATE_NS = "matrix"
USER_PREFIX = "user:"
_NETWORK_ERRORS = (aiohttp.ClientError, asyncio.TimeoutError, TimeoutError, OSError)
_PICKLE_ERRORS = (vodozemac.PickleException, vodozemac.LibolmPickleException)
_PERMANENT_CODES = frozenset(
    {"M_TOO_LARGE", "M_BAD_JSON", "M_NOT_JSON", "M_INVALID_PARAM", "M_UNRECOGNIZED"}
)


def check_config(config: MatrixConfig) -> None:
    """Refuse what would run but silently not work: nio without a store path never encrypts
    nor decrypts, and its default pickle key ("DEFAULT_KEY") protects nothing."""
    if not config.store_path:
        raise ConfigError("matrix.store_path", "needed for end-to-end encryption (the key store)")
    if not config.pickle_key:
        raise ConfigError(
            "matrix.pickle_key",
            "needed to encrypt the key store in matrix.store_path: set a long random secret "
            "(COHORTBOT_MATRIX_PICKLE_KEY)",
        )
    if config.recovery_key:
        try:
            recovery_key.decode(config.recovery_key)
        except recovery_key.RecoveryKeyError as error:
            raise ConfigError("matrix.recovery_key", str(error)) from None


@dataclass(frozen=True)
class MatrixTuning:
    """Timing of the sync loop; tests shorten it, production keeps the defaults."""

    poll_ms: int = 30_000  # one sync long-polls this long when nothing happens
    short_poll_ms: int = 2_000  # while an undecryptable event waits for its key
    backoff_max_s: float = 60.0
    room_wait_s: float = 20.0  # how long a send waits for a new DM room to appear in sync
    ready_wait_s: float = 30.0  # how long a send waits for the first sync after a start
    stop_wait_s: float = 30.0  # how long stop() lets the current batch finish
    request_timeout_s: float = 30.0
    undecryptable_grace: timedelta = timedelta(seconds=8)
    undecryptable_keep: timedelta = timedelta(minutes=30)
    undecryptable_limit: int = 200


@dataclass(frozen=True)
class _Received:
    room_id: str
    event: Any  # RoomMessageText
    facts: RoomFacts
    display_name: str | None


class _SendProblem(Exception):
    def __init__(self, result: SendResult) -> None:
        super().__init__(result.reason)
        self.result = result


class _SyncFailed(Exception):
    def __init__(self, code: str | None, retry_after_s: float | None) -> None:
        super().__init__(code)
        self.code = code
        self.retry_after_s = retry_after_s


def _error_result(response: Any, *, private: bool) -> SendResult:
    """A nio error response (RoomSendError, UploadError, RoomCreateError) as a SendResult."""
    code = getattr(response, "status_code", None)
    reason = f"matrix {code}"
    if code in ("M_LIMIT_EXCEEDED", 429, "429"):
        retry_ms = getattr(response, "retry_after_ms", None)
        seconds = retry_ms / 1000.0 if isinstance(retry_ms, int | float) and retry_ms > 0 else 5.0
        return SendResult(SendStatus.RETRY_AFTER, retry_after=seconds, reason=reason)
    if code == "M_FORBIDDEN":
        return SendResult(SendStatus.BLOCKED if private else SendStatus.PERMANENT, reason=reason)
    if code in _PERMANENT_CODES:
        return SendResult(SendStatus.PERMANENT, reason=reason)
    return SendResult(SendStatus.TRANSIENT, reason=reason)


def _synced(client: AsyncClient, room_id: str) -> Callable[[], bool]:
    """Whether the room has come back through sync (the client has its state)."""
    return lambda: room_id in client.rooms


def _mime_type(attachment: Attachment) -> str:
    if attachment.mime_type != "application/octet-stream":
        return attachment.mime_type
    guessed, _encoding = mimetypes.guess_type(attachment.filename)
    return guessed or attachment.mime_type


def _prepare_store(store_path: str) -> Path:
    """The key store's directory, 0700 even if it existed looser, its files 0600."""
    store_dir = Path(store_path).expanduser()
    private_dir(store_dir)
    for item in store_dir.iterdir():
        tighten(item)
    return store_dir


def _store_exists(store_dir: Path, user_id: str, device_id: str) -> bool:
    return (store_dir / f"{user_id}_{device_id}.db").exists()


class MatrixPlatform:
    name = NAME

    def __init__(
        self,
        config: MatrixConfig,
        clock: Clock,
        state: StateStore,
        *,
        language: str = "en",
        tuning: MatrixTuning | None = None,
        chat_moves: ChatMoves | None = None,
    ) -> None:
        check_config(config)
        self.config = config
        self.clock = clock
        self.state = state
        self.language = language
        self.tuning = tuning or MatrixTuning()
        self.rooms = DirectRooms(state)
        self.direct = DirectAccountData()  # m.direct: how clients know a room is a DM
        self.secure = SecureRooms(state)  # discreet mode: encrypted DMs for protected messages
        self.upgrades = RoomUpgrades(state, self.rooms, chat_moves, self.direct)
        self._client: AsyncClient | None = None
        self._on_inbound: InboundHandler | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._ready = asyncio.Event()
        self._round_done = asyncio.Event()
        self._token: str | None = None
        self._skip_history = False
        self._synced_once = False
        self._batch: list[_Received] = []
        self._undecryptable_batch: list[Waiting] = []
        self._invites: dict[str, tuple[str, bool]] = {}  # room -> (inviter, is_direct)
        self._refused_invites: set[str] = set()
        self._joined_unsynced: set[str] = set()  # joined, but not yet back through sync
        self._waiting = WaitingRoom(
            grace=self.tuning.undecryptable_grace,
            keep=self.tuning.undecryptable_keep,
            limit=self.tuning.undecryptable_limit,
        )
        self._names: tuple[str, ...] = ()
        self._lock = asyncio.Lock()  # key upkeep and sends never interleave (keys_query races)
        self._pacing = Pacing()
        self._dm_locks: dict[str, asyncio.Lock] = {}
        self._translators: dict[str, Translator] = {}
        self.cross_signing: CrossSigningResult | None = None  # how the last start went

    # Platform protocol --------------------------------------------------------------------------
    @property
    def capabilities(self) -> Capabilities:
        return Capabilities(
            buttons=False,
            html=True,
            files=True,
            max_text=MAX_EVENT_TEXT,
            limits=RateLimits(per_second_global=10.0),
        )

    @property
    def device_id(self) -> str | None:
        return None if self._client is None else str(self._client.device_id)

    @property
    def identity_keys(self) -> dict[str, str]:
        """This device's public E2EE keys (curve25519, ed25519): the same after a restart."""
        if self._client is None or self._client.olm is None:
            return {}
        return dict(self._client.olm.account.identity_keys)

    def knows_room(self, room_id: str) -> bool:
        """The bot is in this room and has its state (from sync)."""
        return self._client is not None and room_id in self._client.rooms

    async def start(self, on_inbound: InboundHandler) -> None:
        """Log in, load the key store, run the first (full-state) sync; then keep syncing in the
        background. Returns once the first sync has been handled."""
        if self._task is not None:
            raise RuntimeError("the Matrix platform is already running")
        for noisy in ("nio", "peewee"):  # nio logs whole responses (messages, tokens) at DEBUG
            logging.getLogger(noisy).setLevel(logging.WARNING)
        self._on_inbound = on_inbound
        self._stopping.clear()
        self._ready.clear()
        self._synced_once = False
        self._client = await self._login()
        try:
            self.cross_signing = await cross_sign(self._client, self.state, self.config)
        except BaseException:
            await self._close_client()
            raise
        self._token = await self.state.get(STATE_NS, self._token_key)
        self._skip_history = self._token is None  # first run ever: do not answer old messages
        self._names = await self._own_names()
        task = asyncio.create_task(self._run(), name="matrix-sync")
        self._task = task
        ready = asyncio.ensure_future(self._ready.wait())
        try:
            await asyncio.wait({ready, task}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            ready.cancel()
        if task.done():
            self._task = None
            await self._close_client()
            task.result()  # raises what stopped the loop
            raise RuntimeError("the Matrix sync loop ended during start")
        log.info("matrix started", extra={"device_id": self.device_id})

    async def stop(self) -> None:
        """Let the current batch finish (its sync token is saved), stop syncing, close."""
        self._stopping.set()
        task, self._task = self._task, None
        if task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(task), timeout=self.tuning.stop_wait_s)
            except TimeoutError:
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._close_client()
        self._ready.clear()
        self._on_inbound = None

    async def send(self, message: Outbound) -> SendResult:
        if not await self._wait_ready():
            return SendResult(SendStatus.TRANSIENT, reason="matrix not connected")
        try:
            room_id = await self._target_room(message.to)
            if message.protect and not is_encrypted(self._client_or_fail().rooms.get(room_id)):
                return await self._send_discreetly(room_id, message)
            return await self._send_to_room(room_id, message)
        except _SendProblem as problem:
            return problem.result
        except _NETWORK_ERRORS as error:
            return SendResult(SendStatus.TRANSIENT, reason=f"matrix {type(error).__name__}")
        except (LocalProtocolError, SendRetryError, EncryptionError) as error:
            log.warning("matrix send failed", extra={"error": type(error).__name__})
            return SendResult(SendStatus.TRANSIENT, reason=f"matrix {type(error).__name__}")

    # Login and the key store ------------------------------------------------------------------
    @property
    def _token_key(self) -> str:
        return f"sync_token:{self.config.user_id}:{self.device_id}"

    @property
    def _device_key(self) -> str:
        return f"device:{self.config.user_id}"

    def _client_config(self) -> AsyncClientConfig:
        return AsyncClientConfig(
            encryption_enabled=True,
            store=SqliteStore,
            store_name="",  # "<user_id>_<device_id>.db"
            pickle_key=self.config.pickle_key,
            store_sync_tokens=False,  # saved by us, after the batch is handled
            max_limit_exceeded=0,  # a 429 comes back to us at once instead of a silent sleep
            max_timeouts=2,
            request_timeout=self.tuning.request_timeout_s,
        )

    async def _known_device(self, store_dir: Path) -> str | None:
        if self.config.device_id:
            return self.config.device_id
        stored = await self.state.get(STATE_NS, self._device_key)
        if not stored:
            return None
        if not await asyncio.to_thread(_store_exists, store_dir, self.config.user_id, stored):
            # Reusing a device id without its keys would publish new keys under an old
            # identity; a new device is the honest choice.
            log.warning("matrix key store for the known device is missing: new device")
            return None
        return stored

    async def _login(self) -> AsyncClient:
        config = self.config
        store_dir = await asyncio.to_thread(_prepare_store, config.store_path)
        device_id = await self._known_device(store_dir)
        client = AsyncClient(
            config.homeserver,
            config.user_id,
            device_id=device_id,
            store_path=str(store_dir),
            config=self._client_config(),
        )
        try:
            if config.access_token:
                await self._restore(client, device_id)
            else:
                response = await client.login(config.password, device_name="cohortbot")
                if not isinstance(response, LoginResponse):
                    raise ConfigError(
                        "matrix.password",
                        f"the homeserver refused the login ({response.status_code})",
                    )
        except _PICKLE_ERRORS:
            await self._close(client)
            raise ConfigError(
                "matrix.pickle_key", f"does not match the key store in {store_dir}"
            ) from None
        except BaseException:
            await self._close(client)
            raise
        if client.olm is None:
            await self._close(client)
            raise RuntimeError(
                "Matrix end-to-end encryption did not start (is vodozemac installed?)"
            )
        if client.device_id != await self.state.get(STATE_NS, self._device_key):
            await self.state.put(STATE_NS, self._device_key, str(client.device_id))
        return client

    async def _restore(self, client: AsyncClient, device_id: str | None) -> None:
        config = self.config
        if device_id is None:
            client.access_token = config.access_token
            who = await client.whoami()
            if not isinstance(who, WhoamiResponse) or not who.device_id:
                raise ConfigError("matrix.access_token", "the homeserver did not accept it")
            if who.user_id != config.user_id:
                raise ConfigError("matrix.user_id", "is not the user of matrix.access_token")
            device_id = str(who.device_id)
        client.restore_login(config.user_id, device_id, config.access_token)

    async def _own_names(self) -> tuple[str, ...]:
        """How people address the bot in a room ("Cohort Bot: !help")."""
        assert self._client is not None
        user_id = self.config.user_id
        names = [user_id, user_id.split(":", 1)[0], user_id.split(":", 1)[0].lstrip("@")]
        with contextlib.suppress(*_NETWORK_ERRORS):
            profile = await self._client.get_displayname()
            if isinstance(profile, ProfileGetDisplayNameResponse) and profile.displayname:
                names.append(str(profile.displayname))
        return tuple(names)

    @staticmethod
    async def _close(client: AsyncClient) -> None:
        with contextlib.suppress(*_NETWORK_ERRORS):
            await client.close()
        if client.store is not None:
            client.store.database.close()

    async def _close_client(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await self._close(client)

    # The sync loop ----------------------------------------------------------------------------
    async def _run(self) -> None:
        client = self._client
        assert client is not None
        client.add_event_callback(self._on_text, (RoomMessageText,))
        client.add_event_callback(self._on_undecryptable, (MegolmEvent,))
        client.add_event_callback(self._on_invite, (InviteMemberEvent,))
        failures = 0
        while not self._stopping.is_set():
            try:
                await self._round(client)
                failures = 0
                continue
            except _SyncFailed as failed:
                delay = failed.retry_after_s or self._backoff(failures)
                log.warning("matrix sync refused", extra={"code": failed.code, "retry_in": delay})
            except _NETWORK_ERRORS as error:
                delay = self._backoff(failures)
                log.warning(
                    "matrix sync failed", extra={"error": type(error).__name__, "retry_in": delay}
                )
            except Exception:  # a bug or a database outage: log it, keep the bot alive
                delay = self._backoff(failures)
                log.exception("matrix sync round failed", extra={"retry_in": delay})
            failures += 1
            await self._pause(delay)

    def _backoff(self, failures: int) -> float:
        return float(min(self.tuning.backoff_max_s, 2.0**failures))

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)

    async def _round(self, client: AsyncClient) -> None:
        self._batch = []
        self._undecryptable_batch = []
        response = await self._sync(client)
        if response is None:
            return  # stopping
        if isinstance(response, SyncError) or not isinstance(response, SyncResponse):
            retry_ms = getattr(response, "retry_after_ms", None)
            raise _SyncFailed(
                getattr(response, "status_code", None),
                retry_ms / 1000.0 if isinstance(retry_ms, int | float) and retry_ms > 0 else None,
            )
        await self._key_upkeep(client)
        await self._join_invites(client)
        self._joined_unsynced.update(await self.upgrades.follow(client))
        batch, undecryptable = self._batch, self._undecryptable_batch
        if not self._skip_history:
            for item in batch:
                await self._deliver(item)
            await self._undecryptable_arrived(client, undecryptable)
        await self._retry_undecryptable(client)
        next_batch = str(response.next_batch)
        if next_batch != self._token:
            await self.state.put(STATE_NS, self._token_key, next_batch)
            self._token = next_batch
        self._joined_unsynced -= set(client.rooms)
        self._skip_history = False
        self._synced_once = True
        self._ready.set()
        done, self._round_done = self._round_done, asyncio.Event()
        done.set()

    async def _sync(self, client: AsyncClient) -> Any:
        """One sync, cut short by stop(). The first one after a start carries full state."""
        full_state = True if not self._synced_once else None
        # nio ignores a response whose next_batch equals the one it holds. After a failed round
        # we sync again from our saved token, so nio's idea of the position must be ours; and
        # the full-state sync must never be ignored (with nothing new since the token, the
        # server answers with that same token, and nio would then know no rooms at all).
        client.next_batch = None if full_state else self._token
        waiting = self._waiting.has_unreported()
        timeout = self.tuning.short_poll_ms if waiting else self.tuning.poll_ms
        sync = asyncio.ensure_future(
            client.sync(timeout=timeout, since=self._token, full_state=full_state)
        )
        stopping = asyncio.ensure_future(self._stopping.wait())
        try:
            await asyncio.wait({sync, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopping.cancel()
            if not sync.done():
                sync.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await sync
        if sync.cancelled():
            return None
        return sync.result()

    async def _key_upkeep(self, client: AsyncClient) -> None:
        """What sync_forever does between syncs: publish and fetch keys, and send queued Olm
        messages (without which a broken session never recovers)."""
        async with self._lock:
            if client.should_upload_keys:
                await client.keys_upload()
            if client.should_query_keys:
                await client.keys_query()
            if client.should_claim_keys:
                await client.keys_claim(client.get_users_for_key_claiming())
            await client.send_to_device_messages()

    async def _join_invites(self, client: AsyncClient) -> None:
        for room_id in list(client.invited_rooms):
            if room_id in self._refused_invites:
                continue
            inviter, direct = self._invites.get(room_id, ("", False))
            response = await client.join(room_id)
            if isinstance(response, JoinResponse):
                self._invites.pop(room_id, None)  # a direct one is remembered just below
                log.info("matrix joined a room", extra={"room_id": room_id, "direct": direct})
                self._joined_unsynced.add(room_id)
                if direct and inviter:
                    await self.rooms.remember(inviter, room_id)
                    await self.direct.record(client, inviter, room_id)
                continue
            code = getattr(response, "status_code", None)
            log.warning("matrix join failed", extra={"room_id": room_id, "code": code})
            if code != "M_LIMIT_EXCEEDED":
                self._refused_invites.add(room_id)

    # Callbacks (during sync): collect only; the round handles them after key upkeep ------------
    def _facts(self, room: MatrixRoom) -> RoomFacts:
        return RoomFacts(
            member_count=int(room.member_count),
            named=bool(room.is_named),
            direct_invite=self._invites.get(room.room_id, ("", False))[1],
            encrypted=is_encrypted(room),
        )

    @staticmethod
    def _display_name(room: MatrixRoom, user_id: str) -> str | None:
        user = room.users.get(user_id)
        name = getattr(user, "display_name", None)
        return str(name) if name else None

    async def _on_text(self, room: MatrixRoom, event: RoomMessageText) -> None:
        if self._client is None or event.sender == self._client.user_id:
            return
        self._batch.append(
            _Received(
                room.room_id, event, self._facts(room), self._display_name(room, event.sender)
            )
        )

    async def _on_undecryptable(self, room: MatrixRoom, event: MegolmEvent) -> None:
        if self._client is None or event.sender == self._client.user_id:
            return
        self._undecryptable_batch.append(
            Waiting(
                room_id=room.room_id,
                event_id=str(event.event_id),
                sender=str(event.sender),
                session_id=str(event.session_id),
                event=event,
                facts=self._facts(room),
                display_name=self._display_name(room, event.sender),
                first_seen=self.clock.now(),
            )
        )

    async def _on_invite(self, room: MatrixRoom, event: InviteMemberEvent) -> None:
        if self._client is None or event.state_key != self._client.user_id:
            return
        if event.membership == "invite":
            content = event.content if isinstance(event.content, dict) else {}
            self._invites[room.room_id] = (str(event.sender), bool(content.get("is_direct")))

    # Inbound ----------------------------------------------------------------------------------
    async def _deliver(self, item: _Received) -> None:
        inbound = await self._inbound(item)
        if inbound is not None and self._on_inbound is not None:
            await self._on_inbound(inbound)

    async def _inbound(self, item: _Received) -> Inbound | None:
        event = item.event
        source = event.source if isinstance(event.source, dict) else {}
        content = source.get("content")
        text = inbound_text(content if isinstance(content, dict) else {}, event.body, self._names)
        if not text:
            return None
        sender = str(event.sender)
        partner = await self.rooms.partner(item.room_id)
        group = is_group(item.facts, sender, partner)
        if group and partner is not None and item.facts.member_count > 2:
            await self.rooms.forget(item.room_id)  # no longer private: never send DMs there
        elif not group:
            await self.rooms.remember(sender, item.room_id)
        return Inbound(
            platform=NAME,
            update_id=str(event.event_id),
            user_id=sender,
            chat=Address(NAME, item.room_id, is_group=group),
            text=text,
            received_at=datetime.fromtimestamp(event.server_timestamp / 1000, UTC),
            display_name=item.display_name,
            encrypted=item.facts.encrypted,
        )

    # Undecryptable events ---------------------------------------------------------------------
    async def _undecryptable_arrived(self, client: AsyncClient, items: list[Waiting]) -> None:
        for item in items:
            if not self._waiting.add(item):
                continue
            log.warning(
                "matrix event not decryptable yet",
                extra={"room_id": item.room_id, "event_id": item.event_id},
            )
            with contextlib.suppress(LocalProtocolError, *_NETWORK_ERRORS):
                await client.request_room_key(item.event)  # LocalProtocolError: already asked

    async def _retry_undecryptable(self, client: AsyncClient) -> None:
        now = self.clock.now()
        for item in self._waiting:
            try:
                decrypted = client.decrypt_event(item.event)
            except (EncryptionError, LocalProtocolError):
                continue
            self._waiting.remove(item.event_id)
            if isinstance(decrypted, RoomMessageText):
                log.info("matrix event decrypted late", extra={"event_id": item.event_id})
                await self._deliver(
                    _Received(item.room_id, decrypted, item.facts, item.display_name)
                )
        for item in self._waiting.due_for_report(now):
            item.reported = True
            if await self.state.get(REPORTED_NS, item.report_key):
                continue
            if await self._report_undecryptable(item):
                await self.state.put(REPORTED_NS, item.report_key, now.isoformat())
        self._waiting.expire(now)

    def _t(self, msgid: str, language: str | None = None, **params: object) -> str:
        """A line the adapter writes itself: in `language` (the reader's, when the core said),
        else the bot's default language."""
        wanted = language or self.language
        translator = self._translators.get(wanted)
        if translator is None:
            translator = Catalogs((wanted, self.language)).translator(wanted)
            self._translators[wanted] = translator
        return translator.t(msgid, **params)

    async def _report_undecryptable(self, item: Waiting) -> bool:
        """Tell the sender (in the room where it happened) that the bot could not read them."""
        partner = await self.rooms.partner(item.room_id)
        if is_group(item.facts, item.sender, partner):
            name = item.display_name or item.sender
            text = self._t(_("matrix.undecryptable_group"), name=name)
        else:
            text = self._t(_("matrix.undecryptable_private"))
        try:
            result = await self._room_send(
                item.room_id,
                notice_content(text),
                txn_id(f"undecryptable:{item.event_id}"),
                private=False,
            )
        except (*_NETWORK_ERRORS, LocalProtocolError, SendRetryError, EncryptionError):
            return False
        return result.status is SendStatus.SENT

    # Sending ----------------------------------------------------------------------------------
    async def _wait_ready(self) -> bool:
        if self._ready.is_set() and self._client is not None:
            return True
        if self._on_inbound is None:  # not started (or stopped)
            return False
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._ready.wait(), timeout=self.tuning.ready_wait_s)
        return self._ready.is_set() and self._client is not None

    async def _wait_for(self, condition: Callable[[], bool], seconds: float) -> bool:
        """Wait (through sync rounds) until `condition` holds, at most `seconds`."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while not condition():
            remaining = deadline - loop.time()
            if remaining <= 0 or self._task is None:
                return False
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._round_done.wait(), timeout=remaining)
        return True

    def _client_or_fail(self) -> AsyncClient:
        if self._client is None:
            raise _SendProblem(SendResult(SendStatus.TRANSIENT, reason="matrix not connected"))
        return self._client

    async def _target_room(self, to: Address) -> str:
        """The room to send to. `user:@alice:server` means alice's DM, made when missing; a
        private address whose room is no longer private goes to a fresh DM instead."""
        client = self._client_or_fail()
        if to.chat_id.startswith(USER_PREFIX):
            return await self._dm_with(to.chat_id[len(USER_PREFIX) :])
        room_id = to.chat_id
        redirect = await self.upgrades.redirect(client.rooms.get(room_id))
        if redirect is not None:
            raise _SendProblem(redirect)
        if room_id in self._joined_unsynced:  # joined moments ago: wait for its state
            await self._wait_for(lambda: room_id in client.rooms, self.tuning.room_wait_s)
        room = client.rooms.get(room_id)
        if to.is_group:
            if room is None:
                raise _SendProblem(SendResult(SendStatus.PERMANENT, reason="matrix not in room"))
            return room_id
        partner = await self.rooms.partner(room_id)
        if room is None or room.member_count > 2:
            if partner is None:
                raise _SendProblem(
                    SendResult(SendStatus.PERMANENT, reason="matrix room not private")
                )
            await self.rooms.forget(room_id)
            return await self._dm_with(partner)
        if partner is not None and partner not in room.users:
            raise _SendProblem(SendResult(SendStatus.BLOCKED, reason="matrix left the DM"))
        return room_id

    async def _dm_with(self, user_id: str, *, encrypted: bool = False) -> str:
        """The DM with `user_id`, made when missing. `encrypted`: only an end-to-end encrypted
        one will do (discreet mode); an unencrypted DM stays as it is, beside the new one."""
        client = self._client_or_fail()
        lock = self._dm_locks.setdefault(user_id, asyncio.Lock())
        async with lock:
            known = await self.rooms.room_for(user_id)
            secure = await self.secure.room_for(user_id) if encrypted else None
            for candidate in dict.fromkeys(r for r in (known, secure) if r is not None):
                # A DM made moments ago may not have come back through sync yet.
                await self._wait_for(_synced(client, candidate), self.tuning.room_wait_s)
                room = client.rooms.get(candidate)
                if room is not None and room.member_count <= 2:
                    if encrypted and not is_encrypted(room):
                        continue
                    if user_id not in room.users:  # they left or refused: do not invite again
                        raise _SendProblem(
                            SendResult(SendStatus.BLOCKED, reason="matrix left the DM")
                        )
                    return candidate
                if candidate == known:
                    await self.rooms.forget(known)
            created = await client.room_create(
                invite=[user_id],
                is_direct=True,
                preset=RoomPreset.trusted_private_chat,
                initial_state=[EnableEncryptionBuilder().as_dict()],
            )
            if not isinstance(created, RoomCreateResponse):
                raise _SendProblem(_error_result(created, private=True))
            room_id = str(created.room_id)
            await self.rooms.remember(user_id, room_id)
            if encrypted:
                await self.secure.remember(user_id, room_id)
            await self.direct.record(client, user_id, room_id)
            log.info("matrix created a DM room", extra={"room_id": room_id})
        if not await self._wait_for(
            lambda: room_id in client.rooms and user_id in client.rooms[room_id].users,
            self.tuning.room_wait_s,
        ):
            raise _SendProblem(SendResult(SendStatus.TRANSIENT, reason="matrix DM not synced yet"))
        return room_id

    async def _send_discreetly(self, room_id: str, message: Outbound) -> SendResult:
        """A protected message whose room is not end-to-end encrypted (see discreet.py): in a
        group only a neutral line; privately, the message goes to an encrypted DM and the
        unencrypted room gets only the invitation to it."""
        if message.to.is_group:
            line = notice_content(self._t(_("matrix.discreet_group"), message.language))
            return await self._room_send(
                room_id, line, txn_id(message.key, "discreet"), private=False
            )
        chat = message.to.chat_id
        partner = (
            chat[len(USER_PREFIX) :]
            if chat.startswith(USER_PREFIX)
            else await self.rooms.partner(room_id)
        )
        if partner is None:
            return SendResult(SendStatus.PERMANENT, reason="matrix room not encrypted")
        secure = await self._dm_with(partner, encrypted=True)
        if not await self.secure.invited(room_id, secure):
            invitation = notice_content(self._t(_("matrix.discreet_invitation"), message.language))
            result = await self._room_send(
                room_id, invitation, txn_id(f"discreet:{secure}"), private=True
            )
            if result.status is not SendStatus.SENT:
                return result
            await self.secure.mark_invited(room_id, secure)
        return await self._send_to_room(secure, message)

    async def _send_to_room(self, room_id: str, message: Outbound) -> SendResult:
        private = not message.to.is_group
        pieces = split_text(message.text) if message.text else []
        result = SendResult.sent()
        for index, piece in enumerate(pieces):
            last = index == len(pieces) - 1
            content = notice_content(piece, message.choices if last else ())
            part = f"p{index + 1}" if len(pieces) > 1 else ""
            result = await self._room_send(
                room_id, content, txn_id(message.key, part), private=private
            )
            if result.status is not SendStatus.SENT:
                return result
        if message.attachment is not None:
            result = await self._send_file(
                room_id, message.attachment, txn_id(message.key, "file"), private=private
            )
        return result

    async def _room_send(
        self, room_id: str, content: dict[str, Any], txn: str, *, private: bool
    ) -> SendResult:
        client = self._client_or_fail()
        async with self._lock:
            wait = self._pacing.wait(self.clock.now())
            if wait > 0:  # the homeserver's rate limit, learned from its 429s
                return SendResult(SendStatus.RETRY_AFTER, retry_after=wait, reason="matrix pacing")
            response = await client.room_send(
                room_id, "m.room.message", content, tx_id=txn, ignore_unverified_devices=True
            )
            if isinstance(response, RoomSendResponse):
                self._pacing.sent(self.clock.now())
                return SendResult.sent(str(response.event_id))
            result = _error_result(response, private=private)
            if result.status is SendStatus.RETRY_AFTER and result.retry_after is not None:
                self._pacing.limited(self.clock.now(), result.retry_after)
            return result

    async def _send_file(
        self, room_id: str, attachment: Attachment, txn: str, *, private: bool
    ) -> SendResult:
        client = self._client_or_fail()
        room = client.rooms.get(room_id)
        encrypt = bool(room is not None and room.encrypted)
        mime_type = _mime_type(attachment)
        size = len(attachment.content)
        uploaded, keys = await client.upload(
            io.BytesIO(attachment.content),
            content_type=mime_type,
            filename=attachment.filename,
            encrypt=encrypt,
            filesize=size,
        )
        if not isinstance(uploaded, UploadResponse):
            return _error_result(uploaded, private=private)
        content = file_content(
            attachment.filename,
            mime_type,
            size,
            str(uploaded.content_uri),
            keys if encrypt else None,
        )
        return await self._room_send(room_id, content, txn, private=private)
