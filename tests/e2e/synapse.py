"""A real Synapse homeserver run as a subprocess for the Matrix end-to-end tests.

Synapse lives in its own venv (``scripts/setup-synapse.sh``), never in the project's:
its pinned dependencies (Twisted, pydantic, ...) must not leak into the bot's environment.
The server is local-only: one HTTP listener on 127.0.0.1 serving the client and admin
APIs, no TLS, no federation, SQLite, every rate limit relaxed (tests that want a 429 use
``override_ratelimit``). All of its files live in ``workdir``.
"""

from __future__ import annotations

import base64
import ctypes
import ctypes.util
import hashlib
import hmac
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Final

# Far above anything a test does; Synapse ignores keys it does not know, so keys that a
# newer or older release lacks are harmless.
_UNLIMITED: Final[Mapping[str, float]] = {"per_second": 10_000.0, "burst_count": 100_000.0}

_RATE_LIMITS: Final[Mapping[str, object]] = {
    "rc_message": _UNLIMITED,
    "rc_registration": _UNLIMITED,
    "rc_registration_token_validity": _UNLIMITED,
    "rc_login": {
        "address": _UNLIMITED,
        "account": _UNLIMITED,
        "failed_attempts": _UNLIMITED,
    },
    "rc_admin_redaction": _UNLIMITED,
    "rc_joins": {"local": _UNLIMITED, "remote": _UNLIMITED},
    "rc_joins_per_room": _UNLIMITED,
    "rc_key_requests": _UNLIMITED,
    "rc_3pid_validation": _UNLIMITED,
    "rc_invites": {
        "per_room": _UNLIMITED,
        "per_user": _UNLIMITED,
        "per_issuer": _UNLIMITED,
    },
    "rc_third_party_invite": _UNLIMITED,
    "rc_media_create": _UNLIMITED,
    "rc_presence": {"per_user": _UNLIMITED},
    "rc_delayed_event_mgmt": _UNLIMITED,
    "rc_room_creation": _UNLIMITED,
    "rc_reports": _UNLIMITED,
    "rc_user_directory": _UNLIMITED,
    "rc_profile": _UNLIMITED,
}

_POLL_INTERVAL_S: Final = 0.1
_HTTP_TIMEOUT_S: Final = 10.0
_STOP_TIMEOUT_S: Final = 20.0
_ADMIN_LOCALPART: Final = "harness-admin"


class SynapseHarnessError(RuntimeError):
    """Synapse could not be started, or one of its APIs answered unexpectedly."""


@dataclass(frozen=True)
class RegisteredUser:
    user_id: str
    access_token: str
    device_id: str


def synapse_python(venv: Path) -> Path:
    return venv / "bin" / "python"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _die_with_parent() -> None:
    """Runs in the child before exec: if the test process dies hard (pytest-timeout's
    thread method, SIGKILL), the kernel sends Synapse SIGTERM instead of orphaning it."""
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    pr_set_pdeathsig = 1
    libc.prctl(pr_set_pdeathsig, signal.SIGTERM)


def _signing_key_line() -> str:
    # Synapse's own format: "<algorithm> <version> <unpadded base64 of the 32-byte seed>".
    seed = base64.b64encode(secrets.token_bytes(32)).decode("ascii").rstrip("=")
    return f"ed25519 a_{secrets.token_hex(2)} {seed}\n"


def _log_config(log_path: Path) -> dict[str, Any]:
    return {
        "version": 1,
        "formatters": {
            "precise": {
                "format": "%(asctime)s - %(name)s - %(lineno)d - %(levelname)s"
                " - %(request)s - %(message)s"
            }
        },
        "filters": {"context": {"()": "synapse.logging.context.LoggingContextFilter"}},
        "handlers": {
            "file": {
                "class": "logging.FileHandler",
                "formatter": "precise",
                "filters": ["context"],
                "filename": str(log_path),
                "encoding": "utf8",
            }
        },
        "loggers": {"synapse.storage.SQL": {"level": "INFO"}},
        "root": {"level": "INFO", "handlers": ["file"]},
        "disable_existing_loggers": False,
    }


class SynapseServer:
    """One Synapse process. ``start()`` / ``stop()``, or use it as a context manager."""

    def __init__(
        self,
        venv: Path,
        workdir: Path,
        *,
        server_name: str = "cohort.test",
        extra_config: Mapping[str, object] | None = None,
        startup_timeout_s: float = 90.0,
        relaxed_limits: bool = True,
    ) -> None:
        self._venv = venv
        self._workdir = workdir
        self._server_name = server_name
        self._extra_config: Mapping[str, object] = dict(extra_config or {})
        self._startup_timeout_s = startup_timeout_s
        self._relaxed_limits = relaxed_limits  # False: Synapse's own default rate limits
        self._shared_secret = secrets.token_hex(32)
        self._port: int | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._stdio: IO[bytes] | None = None
        self._admin: RegisteredUser | None = None

    # -- properties ---------------------------------------------------------------------

    @property
    def server_name(self) -> str:
        return self._server_name

    @property
    def base_url(self) -> str:
        if self._port is None:
            raise SynapseHarnessError("Synapse is not started")
        return f"http://127.0.0.1:{self._port}"

    @property
    def log_path(self) -> Path:
        return self._workdir / "homeserver.log"

    @property
    def stdio_path(self) -> Path:
        return self._workdir / "synapse.stdio.log"

    @property
    def config_path(self) -> Path:
        return self._workdir / "homeserver.yaml"

    def user_id(self, localpart: str) -> str:
        return f"@{localpart}:{self._server_name}"

    # -- lifecycle ----------------------------------------------------------------------

    def start(self) -> None:
        if self._process is not None:
            raise SynapseHarnessError("Synapse is already started")
        python = synapse_python(self._venv)
        if not python.exists():
            raise SynapseHarnessError(
                f"no Synapse venv at {self._venv}: run scripts/setup-synapse.sh"
            )
        self._workdir.mkdir(parents=True, exist_ok=True)
        self._port = _free_port()
        self._write_config()
        self._stdio = self.stdio_path.open("wb")
        self._process = subprocess.Popen(
            [str(python), "-m", "synapse.app.homeserver", "--config-path", str(self.config_path)],
            cwd=self._workdir,
            stdin=subprocess.DEVNULL,
            stdout=self._stdio,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )
        try:
            self._wait_until_ready()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=_STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=_STOP_TIMEOUT_S)
        if self._stdio is not None:
            self._stdio.close()
            self._stdio = None
        self._admin = None

    def __enter__(self) -> SynapseServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def log_tail(self, lines: int = 60) -> str:
        parts = []
        for path in (self.stdio_path, self.log_path):
            if path.exists():
                text = path.read_text(encoding="utf-8", errors="replace").splitlines()
                parts.append(f"--- {path} (last {lines} lines) ---")
                parts.extend(text[-lines:])
        return "\n".join(parts) if parts else "(no Synapse log written)"

    # -- admin APIs ---------------------------------------------------------------------

    def register(self, localpart: str, password: str, admin: bool = False) -> str:
        """Create a user through the shared-secret admin API; returns the full user id."""
        return self.register_user(localpart, password, admin=admin).user_id

    def register_user(self, localpart: str, password: str, admin: bool = False) -> RegisteredUser:
        nonce_reply = self._request("GET", "/_synapse/admin/v1/register")
        nonce = str(nonce_reply["nonce"])
        mac = hmac.new(self._shared_secret.encode("utf-8"), digestmod=hashlib.sha1)
        for part in (nonce, localpart, password):
            mac.update(part.encode("utf-8"))
            mac.update(b"\x00")
        mac.update(b"admin" if admin else b"notadmin")
        reply = self._request(
            "POST",
            "/_synapse/admin/v1/register",
            {
                "nonce": nonce,
                "username": localpart,
                "password": password,
                "admin": admin,
                "mac": mac.hexdigest(),
            },
        )
        return RegisteredUser(
            user_id=str(reply["user_id"]),
            access_token=str(reply["access_token"]),
            device_id=str(reply["device_id"]),
        )

    def override_ratelimit(self, user_id: str, messages_per_second: int, burst_count: int) -> None:
        """Give one user its own message rate limit (0 and 0 = unlimited).

        Lets a test see a real 429 M_LIMIT_EXCEEDED while the server stays relaxed.
        """
        path = f"/_synapse/admin/v1/users/{urllib.parse.quote(user_id)}/override_ratelimit"
        self._request(
            "POST",
            path,
            {"messages_per_second": messages_per_second, "burst_count": burst_count},
            access_token=self._admin_token(),
        )

    def clear_ratelimit_override(self, user_id: str) -> None:
        """Back to the server's rate limits for this user."""
        path = f"/_synapse/admin/v1/users/{urllib.parse.quote(user_id)}/override_ratelimit"
        self._request("DELETE", path, access_token=self._admin_token())

    def admin_api(
        self, method: str, path: str, body: Mapping[str, object] | None = None
    ) -> dict[str, Any]:
        """One admin API call (``path`` after ``/_synapse/admin``) as the harness's admin."""
        return self._request(
            method, "/_synapse/admin" + path, body, access_token=self._admin_token()
        )

    def client_api(
        self,
        method: str,
        path: str,
        body: Mapping[str, object] | None = None,
        *,
        access_token: str | None = None,
    ) -> dict[str, Any]:
        """One client-server API call (``path`` after ``/_matrix/client/v3``) as a user."""
        return self._request(method, "/_matrix/client/v3" + path, body, access_token=access_token)

    def login(self, user_id: str, password: str) -> RegisteredUser:
        """A new device (and access token) for an existing user."""
        reply = self.client_api(
            "POST",
            "/login",
            {
                "type": "m.login.password",
                "identifier": {"type": "m.id.user", "user": user_id},
                "password": password,
            },
        )
        return RegisteredUser(
            str(reply["user_id"]), str(reply["access_token"]), str(reply["device_id"])
        )

    def _admin_token(self) -> str:
        if self._admin is None:
            self._admin = self.register_user(
                _ADMIN_LOCALPART, secrets.token_urlsafe(16), admin=True
            )
        return self._admin.access_token

    # -- internals ----------------------------------------------------------------------

    def _config(self) -> dict[str, Any]:
        workdir = self._workdir
        config: dict[str, Any] = {
            "server_name": self._server_name,
            "public_baseurl": f"http://127.0.0.1:{self._port}/",
            "pid_file": str(workdir / "homeserver.pid"),
            "listeners": [
                {
                    "port": self._port,
                    "bind_addresses": ["127.0.0.1"],
                    "type": "http",
                    "tls": False,
                    "x_forwarded": False,
                    "resources": [{"names": ["client"], "compress": False}],
                }
            ],
            "database": {
                "name": "sqlite3",
                "args": {"database": str(workdir / "homeserver.db")},
            },
            "log_config": str(workdir / "log.config"),
            "media_store_path": str(workdir / "media_store"),
            "signing_key_path": str(workdir / "signing.key"),
            "registration_shared_secret": self._shared_secret,
            "macaroon_secret_key": secrets.token_hex(32),
            "form_secret": secrets.token_hex(32),
            "enable_registration": False,
            "report_stats": False,
            "enable_metrics": False,
            "federation_domain_whitelist": [],
            "trusted_key_servers": [],
            "suppress_key_server_warning": True,
            "url_preview_enabled": False,
            "presence": {"enabled": False},
            "serve_server_wellknown": False,
            "caches": {"global_factor": 0.5},
            **(_RATE_LIMITS if self._relaxed_limits else {}),
        }
        config.update(self._extra_config)
        return config

    def _write_config(self) -> None:
        (self._workdir / "signing.key").write_text(_signing_key_line(), encoding="ascii")
        (self._workdir / "log.config").write_text(
            json.dumps(_log_config(self.log_path), indent=2), encoding="utf-8"
        )
        # YAML is a superset of JSON: no YAML library needed on this side.
        self.config_path.write_text(json.dumps(self._config(), indent=2), encoding="utf-8")

    def _wait_until_ready(self) -> None:
        attempts = int(self._startup_timeout_s / _POLL_INTERVAL_S)
        url = f"{self.base_url}/_matrix/client/versions"
        for _ in range(attempts):
            process = self._process
            if process is None or process.poll() is not None:
                code = None if process is None else process.returncode
                raise SynapseHarnessError(
                    f"Synapse exited during startup (exit code {code})\n{self.log_tail()}"
                )
            try:
                with urllib.request.urlopen(url, timeout=1.0) as reply:
                    if reply.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(_POLL_INTERVAL_S)  # polling an external process, not business timing
        raise SynapseHarnessError(
            f"Synapse did not answer {url} within {self._startup_timeout_s:.0f} s\n"
            f"{self.log_tail()}"
        )

    def _request(
        self,
        method: str,
        path: str,
        body: Mapping[str, object] | None = None,
        *,
        access_token: str | None = None,
    ) -> dict[str, Any]:
        headers = {"Content-Type": "application/json"}
        if access_token is not None:
            headers["Authorization"] = f"Bearer {access_token}"
        data = None if body is None else json.dumps(body).encode("utf-8")
        request = urllib.request.Request(
            self.base_url + path, data=data, method=method, headers=headers
        )
        try:
            with urllib.request.urlopen(request, timeout=_HTTP_TIMEOUT_S) as reply:
                payload: dict[str, Any] = json.loads(reply.read())
                return payload
        except urllib.error.HTTPError as error:
            detail = error.read().decode("utf-8", errors="replace")
            raise SynapseHarnessError(f"{method} {path} -> HTTP {error.code}: {detail}") from error
