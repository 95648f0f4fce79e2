"""The SQLite engine: one file, one connection (aiosqlite), the default that needs nothing installed.

It turns on WAL, foreign keys and `secure_delete`, serialises writers with `BEGIN IMMEDIATE`, and applies every
migration in `migrations/sqlite/` whose number is above the file's `user_version`, each in its own transaction. The
database and its -wal and -shm files are created readable by their owner only. Scrubbing checkpoints the WAL and cuts
it to nothing (and with `rewrite`, VACUUMs), so no old page image outlives a deletion.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from pathlib import Path
from typing import Any, Self

import aiosqlite

from checkins.storage.base import MIGRATIONS_DIR, DuplicateRow, Row, StorageRefused, StorageUnavailable

log = logging.getLogger(__name__)
SQLITE_MIGRATIONS = MIGRATIONS_DIR / "sqlite"
# The database and the -wal and -shm files SQLite creates beside it (with the database file's own mode).
DATABASE_SUFFIXES = ("", "-wal", "-shm", "-journal")


def _private_files(path: Path) -> None:
    """Create the database readable by its owner only (0600), and tighten files an older version left 0644."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    for suffix in DATABASE_SUFFIXES:
        candidate = path.with_name(path.name + suffix)
        if candidate.exists():
            candidate.chmod(0o600)


def _busy(error: sqlite3.OperationalError) -> StorageUnavailable | sqlite3.OperationalError:
    text = str(error)
    return StorageUnavailable(text) if "locked" in text or "busy" in text else error


def _unusable(path: Path | str, error: sqlite3.DatabaseError) -> StorageUnavailable | StorageRefused:
    """Busy is passing; anything else (not a database, a damaged one, no permission) needs the operator."""
    if isinstance(error, sqlite3.OperationalError) and isinstance(_busy(error), StorageUnavailable):
        return StorageUnavailable(str(error))
    return StorageRefused(
        f"cannot use the database {path} ({error}): restore it from a backup, or move it away to start with an "
        "empty one"
    )


class SqliteEngine:
    name = "sqlite"

    def __init__(self, connection: aiosqlite.Connection, path: Path | str = ":memory:") -> None:
        self._db = connection
        self._path = path

    @classmethod
    async def connect(cls, path: Path | str) -> Self:
        if str(path) != ":memory:":
            _private_files(Path(path))
        connection = await aiosqlite.connect(str(path), isolation_level=None)
        try:
            await connection.execute("PRAGMA journal_mode=WAL")
            # Whenever the WAL is reset it is cut back to nothing, so old page images do not linger in its tail.
            await connection.execute("PRAGMA journal_size_limit=0")
            await connection.execute("PRAGMA foreign_keys=ON")
            # Deleted answers are overwritten on disk, not just unlinked.
            await connection.execute("PRAGMA secure_delete=ON")
            await connection.execute("PRAGMA busy_timeout=5000")
            # With WAL, NORMAL loses nothing when the process dies; only a power cut may lose the last commits.
            await connection.execute("PRAGMA synchronous=NORMAL")
        except BaseException as error:
            # aiosqlite's thread would otherwise outlive the error and keep the process from exiting.
            await connection.close()
            if isinstance(error, sqlite3.DatabaseError):
                raise _unusable(path, error) from error
            raise
        return cls(connection, path)

    # Each call is one trip to aiosqlite's thread and back: a cursor's execute, fetch and close would be three, and a
    # press runs a dozen statements (a query returns few rows, so fetching them all at once costs nothing).
    async def one(self, sql: str, params: tuple[Any, ...]) -> Row | None:
        rows = await self.all(sql, params)
        return rows[0] if rows else None

    async def all(self, sql: str, params: tuple[Any, ...]) -> list[Row]:
        try:
            return list(await self._db.execute_fetchall(sql, params))
        except sqlite3.OperationalError as error:
            raise _busy(error) from error

    async def run(self, sql: str, params: tuple[Any, ...]) -> int:
        try:
            # A statement without rows is finished once executed: its cursor needs no closing trip.
            cursor = await self._db.execute(sql, params)
        except sqlite3.OperationalError as error:
            raise _busy(error) from error
        return cursor.rowcount

    async def many(self, sql: str, rows: list[tuple[Any, ...]]) -> int:
        try:
            async with self._db.executemany(sql, rows) as cursor:
                return cursor.rowcount
        except sqlite3.OperationalError as error:
            raise _busy(error) from error

    async def begin(self) -> None:
        await self.run("BEGIN IMMEDIATE", ())

    async def commit(self) -> None:
        await self.run("COMMIT", ())

    async def commit_after(self, sql: str, params: tuple[Any, ...]) -> None:
        """Run a last statement and commit; `DuplicateRow` (nothing committed) if it breaks a unique constraint."""
        try:
            await self.run(sql, params)
        except sqlite3.IntegrityError as error:
            raise DuplicateRow from error
        await self.commit()

    async def rollback(self) -> None:
        await self._db.execute("ROLLBACK")

    async def migrate(self) -> None:
        try:
            await self._migrate()
        except sqlite3.DatabaseError as error:
            raise _unusable(self._path, error) from error

    async def _migrate(self) -> None:
        current = await self.schema_version()
        for script in sorted(SQLITE_MIGRATIONS.glob("[0-9][0-9][0-9][0-9]_*.sql")):
            version = int(script.name[:4])
            if version <= current:
                continue
            # executescript commits on its own, so the version bump sits inside the script's transaction.
            await self._db.executescript(
                f"BEGIN IMMEDIATE;\n{script.read_text(encoding='utf-8')}\nPRAGMA user_version={version};\nCOMMIT;"
            )

    async def schema_version(self) -> int:
        row = await self.one("PRAGMA user_version", ())
        return int(row[0]) if row else 0

    async def table_names(self) -> list[str]:
        rows = await self.all(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY rowid", ()
        )
        return [row[0] for row in rows]

    async def column_names(self, table: str) -> list[str]:
        return [row[1] for row in await self.all(f'PRAGMA table_info("{table}")', ())]

    async def after_copy(self) -> None:
        """Nothing to do: an INTEGER PRIMARY KEY continues after the largest id there is."""

    async def scrub(self, *, rewrite: bool) -> None:
        # secure_delete has already zeroed the freed content in the pages; the WAL still holds old page images.
        try:
            if rewrite:
                await self._db.execute("VACUUM")
            await self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.OperationalError as error:
            # E.g. a backup reading at this moment: what was committed stands; the hourly purge scrubs again.
            log.warning("could not clean the database files now: %s", error)

    async def close(self) -> None:
        await self._db.close()
