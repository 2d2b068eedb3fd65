"""Fixtures that run a real Synapse for the Matrix end-to-end tests.

Synapse is installed by ``scripts/setup-synapse.sh`` into ``<repo>/.venv-synapse`` (or
``$COHORTBOT_SYNAPSE_VENV``). Without it these tests are skipped, unless
``COHORTBOT_REQUIRE_SYNAPSE=1`` (CI), where a missing Synapse is a failure.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from pathlib import Path

import pytest

from .matrix_bot import BotProcess
from .matrix_peer import Peer, make_peer
from .synapse import SynapseServer, synapse_python

SynapseFactory = Callable[..., SynapseServer]

_E2E_DIR = Path(__file__).resolve().parent


def synapse_venv() -> Path:
    configured = os.environ.get("COHORTBOT_SYNAPSE_VENV")
    if configured:
        return Path(configured)
    return _E2E_DIR.parents[1] / ".venv-synapse"


def _missing_synapse_reason(venv: Path) -> str | None:
    python = synapse_python(venv)
    if not python.exists():
        return f"Synapse not installed: run scripts/setup-synapse.sh (no venv at {venv})"
    probe = subprocess.run(
        [str(python), "-c", "import synapse.app.homeserver"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if probe.returncode != 0:
        return (
            f"Synapse not installed: run scripts/setup-synapse.sh "
            f"({venv} cannot import synapse: {probe.stderr.strip()[-300:]})"
        )
    return None


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "e2e: needs a real Synapse (scripts/setup-synapse.sh)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if _E2E_DIR in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def synapse_venv_path() -> Path:
    venv = synapse_venv()
    reason = _missing_synapse_reason(venv)
    if reason is not None:
        if os.environ.get("COHORTBOT_REQUIRE_SYNAPSE") == "1":
            pytest.fail(f"{reason} (COHORTBOT_REQUIRE_SYNAPSE=1)", pytrace=False)
        pytest.skip(reason)
    return venv


@pytest.fixture(scope="session")
def synapse(
    synapse_venv_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SynapseServer]:
    """One Synapse for the whole session; tests use fresh users, never shared ones."""
    server = SynapseServer(synapse_venv_path, tmp_path_factory.mktemp("synapse"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def synapse_factory(
    synapse_venv_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SynapseFactory]:
    """Start extra, separately configured servers (stopped after the test).

    ``synapse_factory(extra_config={"rc_message": {...}})`` -> a started SynapseServer.
    """
    started: list[SynapseServer] = []

    def start(
        *, extra_config: Mapping[str, object] | None = None, server_name: str = "cohort.test"
    ) -> SynapseServer:
        server = SynapseServer(
            synapse_venv_path,
            tmp_path_factory.mktemp("synapse-extra"),
            server_name=server_name,
            extra_config=extra_config,
        )
        server.start()
        started.append(server)
        return server

    try:
        yield start
    finally:
        for server in started:
            server.stop()


@pytest.fixture
async def stopped_bot(synapse: SynapseServer, tmp_path: Path) -> AsyncIterator[BotProcess]:
    """A registered bot account with its own database and key store, not started yet."""
    process = BotProcess.register(synapse, tmp_path / "bot")
    try:
        yield process
    finally:
        await process.stop()


@pytest.fixture
async def bot(stopped_bot: BotProcess) -> BotProcess:
    """The bot, started (a module that starts it itself overrides this with `stopped_bot`)."""
    await stopped_bot.start()
    return stopped_bot


@pytest.fixture
async def alice(synapse: SynapseServer, tmp_path: Path) -> AsyncIterator[Peer]:
    peer = await make_peer(synapse, tmp_path, "alice")
    try:
        yield peer
    finally:
        await peer.close()
