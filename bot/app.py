"""Composition root: the one place that wires config, storage, handlers and adapters together."""

from __future__ import annotations

import gc
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import handlers
from bot import startup
from bot.clock import Clock
from bot.config import Config
from bot.context import Services
from bot.delivery import Delivery
from bot.i18n import Catalogs
from bot.pipeline import Pipeline
from bot.platform import Platform, forget_chat
from bot.router import Router
from bot.runtime import Runtime
from bot.scheduler import JobRunner
from bot.zones import ZoneDirectory
from handlers import privacy
from handlers.permissions import PERMISSIONS
from storage.engine import Database, sqlite_path
from storage.repositories.chats import DbChatMoves
from storage.repositories.kv import DbStateStore
from storage.repositories.reachability import DbReachability
from web.server import WebServer, build_web_app

log = logging.getLogger(__name__)


def files_dir_for(config: Config) -> Path:
    if config.storage.files_dir:
        return Path(config.storage.files_dir)
    path = sqlite_path(config.storage.url)
    if path is not None:
        return path.with_name(f"{path.stem}-files")
    return Path("cohortbot-files")


def build_router() -> Router:
    router = Router()
    for module_router in handlers.routers():
        router.include(module_router)
    return router


@dataclass
class App:
    config: Config
    db: Database
    services: Services
    runtime: Runtime
    platforms: Mapping[str, Platform]
    # The dashboard and calendar feeds ([web]); built always, listening only once started
    # (`cohortbot run`), and never when [web] enabled = false.
    web: WebServer | None = None

    async def close(self) -> None:
        if self.web is not None:
            await self.web.stop()
        await self.runtime.shutdown()
        await self.db.close()


async def open_database(config: Config) -> Database:
    return await startup.open_database(config.storage.url)


async def build_app(
    config: Config,
    clock: Clock,
    platforms: Mapping[str, Platform],
    *,
    db: Database | None = None,
    instance_id: str = "main",
) -> App:
    db = db or await open_database(config)
    services = Services(
        config=config,
        catalogs=Catalogs(config.bot.languages),
        clock=clock,
        zones=ZoneDirectory(),
        capabilities={name: p.capabilities for name, p in platforms.items()},
        files_dir=str(files_dir_for(config)),
    )
    services.forget_chat = partial(forget_chat, platforms)
    router = build_router()
    services.events = router.events
    services.commands = {
        name: (spec.help_id, spec.usage, PERMISSIONS[name])
        for name, spec in router.commands.items()
        if name in PERMISSIONS
    }
    for platform in platforms.values():
        # Platforms with a command menu (Telegram) publish it from the help texts.
        describe = getattr(platform, "describe_commands", None)
        if describe is not None:
            describe(services.catalogs, services.commands, config.bot.default_language)
    pipeline = Pipeline(db, services, router, PERMISSIONS)
    jobs = JobRunner(db, services, router)
    unrecorded = {
        "telegram": config.telegram.max_unrecorded,
        "matrix": config.matrix.max_unrecorded,
    }
    delivery = Delivery(db, platforms, clock, instance_id=instance_id, unrecorded=unrecorded)
    runtime = Runtime(
        db=db, clock=clock, pipeline=pipeline, jobs=jobs, delivery=delivery, platforms=platforms
    )
    for platform in platforms.values():
        # Platforms that receive in batches (Telegram's getUpdates) store a batch's messages
        # in one unit of work.
        take_groups = getattr(platform, "take_groups", None)
        if take_groups is not None:
            take_groups(runtime.handle_many)
    await privacy.on_startup(db, services)  # the daily retention job (idempotent)
    web = WebServer(config.web, build_web_app(db, services)) if config.web.enabled else None
    return App(config, db, services, runtime, platforms, web)


def configured_platforms(config: Config, clock: Clock, db: Database) -> dict[str, Platform]:
    """The platforms whose credentials are set. None at all is the caller's error to report."""
    platforms: dict[str, Platform] = {}
    state = DbStateStore(db, clock)
    if config.telegram.enabled:
        from bot.adapters.telegram import TelegramPlatform

        platforms["telegram"] = TelegramPlatform(
            config.telegram,
            clock,
            state,
            reachability=DbReachability(db),
            chat_moves=DbChatMoves(db),
        )
    if config.matrix.enabled:
        from bot.adapters.matrix import MatrixPlatform

        platforms["matrix"] = MatrixPlatform(
            config.matrix,
            clock,
            state,
            language=config.bot.default_language,
            chat_moves=DbChatMoves(db),
        )
    return platforms


def settle_heap() -> None:
    """For a long-running process, once it has started: the objects built at start (modules,
    mappings, catalogs, the app and its platforms) live as long as the process, so the cyclic
    garbage collector stops walking them (`gc.freeze`). Its full collections then look only at
    what came later; before, each took 120-160 ms with the event loop stopped (measured with
    bench.inbound on Telegram)."""
    gc.collect()
    gc.freeze()
