"""The operator's database commands: `bot.py backup` and `bot.py migrate-storage`.

A backup of SQLite is a consistent copy made with SQLite's online backup API while the bot keeps writing, private to
its owner; PostgreSQL has its own tools for that (`pg_dump`), which this command points to instead of imitating.
`migrate-storage` moves a deployment from one database to another (SQLite to PostgreSQL, or back) with the bot
stopped: it copies every table and compares every row (see `checkins.storage.transfer`).
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import sys
from pathlib import Path

from checkins.config.app import AppConfig
from checkins.storage import StorageUnavailable, Store, is_postgresql
from checkins.storage.lock import DatabaseInUse, DatabaseLock
from checkins.storage.transfer import TransferError, copy_database

PG_DUMP_HINT = (
    "The database is PostgreSQL: back it up with PostgreSQL's own tools, e.g.\n"
    "    pg_dump --format=custom --file=kierros-$(date +%F).dump '{url}'\n"
    "(restore with pg_restore --clean --dbname=...). A dump holds everything the database does: keep it private."
)


def backup(config: AppConfig, target: Path) -> int:
    """Copy the SQLite database with the online backup API: consistent, even while the bot is writing."""
    if config.storage_url is not None:
        print(PG_DUMP_HINT.format(url=config.storage_url))
        return 0
    if not config.storage_path.exists():
        print(f"No database at {config.storage_path}", file=sys.stderr)
        return 1
    if target.exists():
        print(f"{target} exists already; choose a new file name", file=sys.stderr)
        return 1
    target.parent.mkdir(parents=True, exist_ok=True)
    # Readable by the owner only, like the database itself: a backup holds everything the database does.
    os.close(os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    source = sqlite3.connect(config.storage_path)
    copy = sqlite3.connect(target)
    try:
        with copy:
            source.backup(copy)
    finally:
        copy.close()
        source.close()
    print(f"Backed up {config.storage_path} to {target}")
    return 0


def storage_target(text: str) -> Path | str:
    """`sqlite:PATH` or a postgresql:// URL, as `--from` and `--to` take them."""
    if is_postgresql(text):
        return text
    if text.startswith("sqlite:"):
        return Path(text.removeprefix("sqlite:"))
    raise ValueError("give sqlite:PATH or a postgresql:// URL")


def migrate_storage(source: Path | str, target: Path | str) -> int:
    """Copy a stopped deployment's database to a new, empty one and check the copy table by table."""
    if isinstance(source, Path) and not source.exists():
        print(f"No database at {source}", file=sys.stderr)
        return 1
    locks = [DatabaseLock(side) for side in (source, target) if isinstance(side, Path)]
    try:
        for lock in locks:
            lock.acquire()
        return asyncio.run(_copy(source, target))
    except DatabaseInUse as error:
        print(f"Not copied: {error}", file=sys.stderr)
        return 1
    finally:
        for lock in locks:
            lock.release()


async def _copy(source: Path | str, target: Path | str) -> int:
    try:
        origin = await Store.open(source)
    except StorageUnavailable as error:
        print(f"Not copied: cannot open the source ({error})", file=sys.stderr)
        return 1
    try:
        destination = await Store.open(target)
    except StorageUnavailable as error:
        await origin.close()
        print(f"Not copied: cannot open the target ({error})", file=sys.stderr)
        return 1
    try:
        report = await copy_database(origin, destination)
    except TransferError as error:
        print(f"Not copied: {error}", file=sys.stderr)
        return 1
    finally:
        await origin.close()
        await destination.close()
    print(
        f"Copied {report.total_rows} rows in {len(report.rows_by_table)} tables; every table reads back equal.\n"
        "Now point storage in config.yaml at the new database and start the bot there."
    )
    return 0
