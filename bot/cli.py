"""`cohortbot` / `python -m bot`: console, run, db upgrade."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import signal
import socket
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from bot.adapters.console import ConsoleMessage, ConsolePlatform, render
from bot.adapters.scenario import ScenarioError, ScenarioRunner, Transcript, parse_span
from bot.app import (
    build_app,
    configured_platforms,
    files_dir_for,
    open_database,
    settle_heap,
)
from bot.clock import OffsetClock, SystemClock, VirtualClock
from bot.config import Config, load_config, world_readable
from bot.errors import ConfigError
from bot.lease import Leases
from bot.logsetup import setup_logging

log = logging.getLogger("cohortbot")

DEFAULT_CONFIG = Path("config.toml")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cohortbot",
        description="Coordinates cohorts of cross-cultural training exchanges on Telegram and Matrix.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    console = sub.add_parser(
        "console",
        help="chat with the bot in this terminal (embedded SQLite by default)",
        description="Chat with the bot as local users, or run a scenario file with --script.",
    )
    console.add_argument("--db", help="SQLAlchemy URL (default sqlite+aiosqlite:///cohortbot.db)")
    console.add_argument(
        "--script", type=Path, help="run this scenario file and print what the bot sends"
    )
    console.add_argument(
        "--json", action="store_true", help="with --script: one JSON object per message"
    )
    console.add_argument(
        "--config", type=Path, help="config file (default ./config.toml if present)"
    )
    console.add_argument(
        "--as", dest="as_name", default="me", help="your name at the start (default: me)"
    )

    run = sub.add_parser(
        "run",
        help="run the configured platforms (Telegram and/or Matrix) until stopped",
        description="Run Telegram and/or Matrix as configured; SIGTERM or SIGINT stop cleanly.",
    )
    run.add_argument("--config", type=Path, help="config file (default ./config.toml if present)")

    db = sub.add_parser("db", help="database maintenance", description="Database maintenance.")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    up = db_sub.add_parser("upgrade", help="apply migrations", description="Apply all migrations.")
    up.add_argument("--db", help="SQLAlchemy URL (default from config)")
    up.add_argument("--config", type=Path, help="config file (default ./config.toml if present)")
    return parser


def _config(args: argparse.Namespace) -> Config:
    path: Path | None = args.config
    if path is None and DEFAULT_CONFIG.exists():
        path = DEFAULT_CONFIG
    config = load_config(path)
    if path is not None and world_readable(path):
        print(
            f"warning: {path} is readable by every user on this machine (chmod 600 it)",
            file=sys.stderr,
        )
    db_url = getattr(args, "db", None)
    if db_url:
        config = replace(config, storage=replace(config.storage, url=db_url))
    return config


def _secrets(config: Config) -> list[str]:
    return [
        config.telegram.token,
        config.telegram.secret_token,
        config.matrix.password,
        config.matrix.access_token,
        config.matrix.pickle_key,
        config.matrix.recovery_key,
    ]


def main(argv: Sequence[str] | None = None) -> int:
    # What the bot writes (the database, its WAL, exports, the Matrix key store) is for the
    # bot's user alone; each of those is also created private explicitly.
    previous = os.umask(0o077)
    try:
        return _main(argv)
    finally:
        os.umask(previous)


def _main(argv: Sequence[str] | None) -> int:
    args = _parser().parse_args(argv)
    try:
        config = _config(args)
    except ConfigError as error:
        print(str(error), file=sys.stderr)
        return 2
    quiet = args.command == "console"
    setup_logging("WARNING" if quiet else config.log.level, _secrets(config))
    try:
        if args.command == "console":
            if args.script is not None:
                return asyncio.run(run_script(config, args.script, as_json=args.json))
            return asyncio.run(interactive(config, args.as_name))
        if args.command == "run":
            return asyncio.run(run_platforms(config))
        if args.command == "db":
            return asyncio.run(db_upgrade(config))
    except ConfigError as error:  # found on start: the database, a port, a refused token
        print(str(error), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 2  # pragma: no cover - argparse requires a command


async def db_upgrade(config: Config) -> int:
    db = await open_database(config)
    await db.close()
    print("database is up to date")
    return 0


def _read_lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


async def run_script(config: Config, path: Path, *, as_json: bool) -> int:
    try:
        lines = await asyncio.to_thread(_read_lines, path)
    except OSError as error:
        print(f"{path}: {error.strerror}", file=sys.stderr)
        return 2
    clock = VirtualClock(SystemClock().now().replace(second=0, microsecond=0))
    transcript = Transcript()

    def sink(message: ConsoleMessage) -> None:
        transcript.add(message)
        if as_json:
            print(json.dumps(message.as_json(), ensure_ascii=False), flush=True)
        else:
            print(render(message), flush=True)

    console = ConsolePlatform(clock, files_dir_for(config), sink)
    app = await build_app(config, clock, {"console": console})
    await app.runtime.delivery.recover()
    await console.start(app.runtime.handle)

    async def send(name: str, text: str, chat: str | None) -> None:
        await app.runtime.handle(console.inbound(name, text, chat))
        await app.runtime.settle()

    async def advance(target: object) -> None:
        from datetime import datetime

        assert isinstance(target, datetime)
        await app.runtime.advance_to(target, clock.set)

    runner = ScenarioRunner(console, clock, transcript, send, advance)
    try:
        await runner.run(lines)
    except ScenarioError as error:
        print(f"{path}:{error}", file=sys.stderr)
        return 1
    finally:
        await app.close()
    return 0


async def interactive(config: Config, name: str) -> int:
    clock = OffsetClock(SystemClock())
    printed: list[ConsoleMessage] = []

    def sink(message: ConsoleMessage) -> None:
        printed.append(message)
        print(render(message), flush=True)

    console = ConsolePlatform(clock, files_dir_for(config), sink)
    app = await build_app(config, clock, {"console": console})
    await app.runtime.serve()
    if app.web is not None:
        # The dashboard too, so that `/dashboard` can be tried here; a busy port only warns.
        try:
            await app.web.start()
        except ConfigError as error:
            print(f"dashboard not started: {error}", flush=True)
            app.web = None
    settle_heap()
    print(
        "cohortbot console. Type /start to begin, /help for commands.\n"
        "  ':as NAME' switches person, 'NAME> text' speaks as NAME, 'NAME@GROUP> text' in a group,\n"
        "  ':advance 2h' jumps ahead in time, ':quit' or Ctrl-D leaves.",
        flush=True,
    )
    loop = asyncio.get_running_loop()
    try:
        while True:
            try:
                line = await loop.run_in_executor(None, input, f"{name}> ")
            except EOFError:
                break
            line = line.strip()
            if not line:
                continue
            if line in (":quit", ":q", ":exit"):
                break
            if line.startswith(":as "):
                name = line[4:].strip() or name
                continue
            if line.startswith(":advance "):
                span = parse_span(line[9:])
                if span is None:
                    print("  not a duration (e.g. 90m, 2h, 3d)")
                    continue
                clock.advance(span)
                await app.runtime.settle()
                continue
            speaker, chat, text = name, None, line
            if "> " in line and " " not in line.split("> ", 1)[0]:
                head, text = line.split("> ", 1)
                speaker, _at, group = head.partition("@")
                chat = group or None
            await app.runtime.handle(console.inbound(speaker, text, chat))
            await app.runtime.settle()
    finally:
        await app.close()
    return 0


async def run_platforms(config: Config) -> int:
    if not config.telegram.enabled and not config.matrix.enabled:
        print(
            "config error: no platform configured: set [telegram] token (COHORTBOT_TELEGRAM_TOKEN) "
            "and/or [matrix] homeserver, user_id and password or access_token "
            "(COHORTBOT_MATRIX_HOMESERVER, COHORTBOT_MATRIX_USER_ID, COHORTBOT_MATRIX_PASSWORD)",
            file=sys.stderr,
        )
        return 2
    clock = SystemClock()
    db = await open_database(config)
    platforms = configured_platforms(config, clock, db)
    instance = config.bot.instance_id or socket.gethostname()
    app = await build_app(config, clock, platforms, db=db, instance_id=instance)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    fatal = app.runtime.fatal
    try:
        if app.web is not None:
            await app.web.start()  # a port already in use is a ConfigError: exit 2, one line
        await app.runtime.serve(Leases(db, clock, instance))
        settle_heap()
        log.info("running", extra={"platforms": ",".join(platforms), "instance": instance})
        fatal.add_done_callback(lambda _error: stop.set())
        await stop.wait()
        log.info("stopping")
    finally:
        with contextlib.suppress(Exception):
            await app.close()
    if fatal.done():
        print(str(fatal.result()), file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
