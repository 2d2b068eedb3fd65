"""The bot's files are readable by its own user only: the SQLite database and the WAL and SHM
files beside it, the console's exports and calendars (and their folders), the Matrix key store.
A database or store found looser is tightened on start. The console's files of a person go
when the person is erased."""

from __future__ import annotations

import stat
from pathlib import Path

from bot.adapters.matrix.platform import _prepare_store
from tests.conftest import START
from tests.harness import BotHarness


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def exists(path: Path) -> bool:
    return path.exists()


async def sqlite_bot(tmp_path: Path) -> tuple[BotHarness, Path]:
    path = tmp_path / "data" / "bot.db"
    return await BotHarness.create(f"sqlite+aiosqlite:///{path}", tmp_path, START), path


async def test_the_database_and_its_wal_and_shm_are_private(tmp_path: Path) -> None:
    bot, path = await sqlite_bot(tmp_path)
    try:
        await bot.send("ana", "/timezone Nairobi")
        files = [path, path.with_name("bot.db-wal"), path.with_name("bot.db-shm")]
        assert all(f.exists() for f in files)
        assert [mode(f) for f in files] == [0o600, 0o600, 0o600]
    finally:
        await bot.close()


async def test_a_database_found_readable_by_others_is_tightened(tmp_path: Path) -> None:
    bot, path = await sqlite_bot(tmp_path)
    await bot.send("ana", "/timezone Nairobi")
    await bot.close()
    loose = [f for f in path.parent.iterdir() if f.name.startswith("bot.db")]
    for f in loose:
        f.chmod(0o644)
    bot, path = await sqlite_bot(tmp_path)
    try:
        await bot.send("ana", "/me")
        assert {f.name: mode(f) for f in path.parent.iterdir() if f.name.startswith("bot.db")} == {
            f.name: 0o600 for f in path.parent.iterdir() if f.name.startswith("bot.db")
        }
    finally:
        await bot.close()


async def test_console_exports_are_private_and_go_with_forgetme(bot: BotHarness) -> None:
    (export,) = [m for m in await bot.send("ana", "/mydata") if m.file]
    (other,) = [m for m in await bot.send("bo", "/mydata") if m.file]
    assert export.file is not None and other.file is not None
    file, folder = Path(export.file), Path(export.file).parent
    assert mode(file) == 0o600 and mode(folder) == 0o700 and mode(folder.parent) == 0o700
    assert folder != Path(other.file).parent  # each person's files in a folder of their own

    await bot.send("ana", "/forgetme")
    await bot.send("ana", "yes")
    assert not exists(file) and not exists(folder)
    assert exists(Path(other.file))  # bo's export is bo's business


def test_the_matrix_key_store_is_private_even_if_it_was_not(tmp_path: Path) -> None:
    store = tmp_path / "matrix-store"
    store.mkdir(mode=0o755)
    store.chmod(0o755)
    keys = store / "@bot:example.org_DEVICE.db"
    keys.write_bytes(b"keys")
    keys.chmod(0o644)
    assert _prepare_store(str(store)) == store
    assert (mode(store), mode(keys)) == (0o700, 0o600)
    fresh = tmp_path / "new" / "store"
    _prepare_store(str(fresh))
    assert mode(fresh) == 0o700
