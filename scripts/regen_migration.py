"""Pre-release only: regenerate the single initial migration from the models.

Until the first release the schema is one migration, 0001_initial, rebuilt from storage.models
with Alembic autogenerate. After the first release migrations are append-only (new revisions).

    .venv/bin/python scripts/regen_migration.py
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import tempfile
from pathlib import Path

from alembic import command
from sqlalchemy.engine import Connection

from storage.engine import Database
from storage.migrate import MIGRATIONS, alembic_config

VERSIONS = MIGRATIONS / "versions"


async def main() -> None:
    for old in VERSIONS.glob("0001_*.py"):
        old.unlink()
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite+aiosqlite:///{tmp}/regen.db")

        def run(connection: Connection) -> None:
            command.revision(
                alembic_config(connection),
                message="initial schema",
                autogenerate=True,
                rev_id="0001",
            )

        async with db.engine.begin() as conn:
            await conn.run_sync(run)
        await db.close()


def tidy() -> None:
    generated = sorted(VERSIONS.glob("0001_*.py"))
    target = VERSIONS / "0001_initial.py"
    generated[0].rename(target)
    text = "\n".join(line.rstrip() for line in target.read_text().splitlines()) + "\n"
    target.write_text(text)
    root = Path(__file__).resolve().parent.parent
    ruff = [sys.executable, "-m", "ruff"]
    subprocess.run([*ruff, "check", "--fix", "-q", str(target)], cwd=root, check=False)
    subprocess.run([*ruff, "format", "-q", str(target)], cwd=root, check=False)
    print(f"wrote {target.relative_to(root)}")


if __name__ == "__main__":
    asyncio.run(main())
    tidy()
