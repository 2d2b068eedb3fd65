"""The real bot (bot.app.build_app, the pipeline, delivery, SQLite) with the Matrix platform
against the test Synapse, started and stopped like the `cohortbot run` process would be."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from bot.adapters.matrix import MatrixPlatform, MatrixTuning
from bot.app import App, build_app, open_database
from bot.clock import SystemClock
from bot.config import Config, load_config
from storage.repositories.chats import DbChatMoves
from storage.repositories.kv import DbStateStore

from .synapse import SynapseServer

# Production timing, shortened where a test would otherwise wait: long polls end at once when
# something happens, so only idle stretches and the undecryptable grace period matter.
TEST_TUNING = MatrixTuning(
    poll_ms=5_000,
    short_poll_ms=500,
    stop_wait_s=15.0,
    undecryptable_grace=timedelta(seconds=2),
)


@dataclass
class BotProcess:
    """One bot account with its database and key store; start() / stop() like a process."""

    synapse: SynapseServer
    workdir: Path
    user_id: str
    password: str
    pickle_key: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    app: App | None = None
    platform: MatrixPlatform | None = None

    @classmethod
    def register(cls, synapse: SynapseServer, workdir: Path) -> BotProcess:
        password = secrets.token_urlsafe(12)
        user_id = synapse.register(f"cohortbot-{secrets.token_hex(4)}", password)
        workdir.mkdir(parents=True, exist_ok=True)
        return cls(synapse, workdir, user_id, password)

    def env(self, **overrides: str) -> dict[str, str]:
        env = {
            "COHORTBOT_STORAGE_URL": f"sqlite+aiosqlite:///{self.workdir / 'bot.db'}",
            "COHORTBOT_STORAGE_FILES_DIR": str(self.workdir / "files"),
            "COHORTBOT_MATRIX_HOMESERVER": self.synapse.base_url,
            "COHORTBOT_MATRIX_USER_ID": self.user_id,
            "COHORTBOT_MATRIX_PASSWORD": self.password,
            "COHORTBOT_MATRIX_STORE_PATH": str(self.workdir / "matrix-store"),
            "COHORTBOT_MATRIX_PICKLE_KEY": self.pickle_key,
            # The system clock: what a test sends must arrive whatever the hour it runs at.
            "COHORTBOT_BOT_QUIET_HOURS": "off",
        }
        env.update(overrides)
        return {k: v for k, v in env.items() if v is not None}

    def config(self, **overrides: str) -> Config:
        return load_config(None, env=self.env(**overrides))

    async def start(self, config: Config | None = None) -> MatrixPlatform:
        assert self.app is None, "already running"
        config = config or self.config()
        clock = SystemClock()
        db = await open_database(config)
        platform = MatrixPlatform(
            config.matrix,
            clock,
            DbStateStore(db, clock),
            tuning=TEST_TUNING,
            chat_moves=DbChatMoves(db),
        )
        app = await build_app(config, clock, {"matrix": platform}, db=db)
        try:
            await app.runtime.serve()
        except BaseException:
            await app.close()
            raise
        self.app, self.platform = app, platform
        return platform

    async def stop(self) -> None:
        app, self.app, self.platform = self.app, None, None
        if app is not None:
            await app.close()
