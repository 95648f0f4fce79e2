"""What every repository stands on: the engine interface, query helpers, transactions and once-only updates.

A `Store` talks to its database through an `Engine`: `sqlite.SqliteEngine` (the default, one file) or
`postgres.PostgresEngine` (`storage.url` in config.yaml). The query mixins write one SQL dialect, the common ground
of the two (`?` parameters, `ON CONFLICT`, `RETURNING`, flags as INTEGER 0/1); an engine adapts the little that
differs. All changes go through `async with store.transaction():`, which serialises this process's writers on its one
connection, commits on success and rolls back on any exception — so an answer and the messages it triggers are
committed together or not at all.

While a Telegram update is being handled (`handling_update(update_id)`, set by the edge for each update), the first
transaction that changes anything also records the update id, atomically with the change; a later transaction for
an update already recorded raises `AlreadyHandled` (and rolls back what it did). So an update Telegram delivers
twice changes state once.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, Self

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SECONDS_PER_DAY = 86_400
HANDLED_UPDATES_KEPT_SECONDS = 7 * SECONDS_PER_DAY
POSTGRESQL_SCHEMES = ("postgresql://", "postgres://")

Row = Sequence[Any]


class AlreadyHandled(Exception):
    """The update being handled already changed state once (Telegram delivered it again)."""


class StorageUnavailable(Exception):
    """The database could not be used just now (busy, or the connection to the server is gone); nothing was
    committed, so the caller may try the same thing again shortly."""


class DuplicateRow(Exception):
    """An engine's `commit_after`: the last statement broke a unique constraint, so nothing was committed."""


class StorageRefused(Exception):
    """The database cannot be used as Kierros needs it (e.g. it could not erase deleted rows there)."""


class Engine(Protocol):
    """One database connection in the shared dialect; an engine raises `StorageUnavailable` for passing trouble."""

    name: str

    async def one(self, sql: str, params: tuple[Any, ...]) -> Row | None: ...

    async def all(self, sql: str, params: tuple[Any, ...]) -> list[Row]: ...

    async def run(self, sql: str, params: tuple[Any, ...]) -> int: ...

    async def many(self, sql: str, rows: list[tuple[Any, ...]]) -> int: ...

    async def begin(self) -> None: ...

    async def commit(self) -> None: ...

    async def commit_after(self, sql: str, params: tuple[Any, ...]) -> None: ...

    async def rollback(self) -> None: ...

    async def migrate(self) -> None: ...

    async def schema_version(self) -> int: ...

    async def table_names(self) -> list[str]: ...

    async def column_names(self, table: str) -> list[str]: ...

    async def after_copy(self) -> None: ...

    async def scrub(self, *, rewrite: bool) -> None: ...

    async def close(self) -> None: ...


def is_postgresql(target: str | Path) -> bool:
    return isinstance(target, str) and target.startswith(POSTGRESQL_SCHEMES)


@dataclass
class _UpdateClaim:
    update_id: int
    recorded: bool = False


_handling: ContextVar[_UpdateClaim | None] = ContextVar("handling_update", default=None)


def handling_update(update_id: int | None) -> None:
    """Mark the current task as handling this update (None: no update, e.g. the outbox sender)."""
    _handling.set(_UpdateClaim(update_id) if update_id is not None else None)


def _plain(params: Iterable[Any]) -> tuple[Any, ...]:
    # Flags are INTEGER columns on both engines; PostgreSQL will not compare an integer with a boolean.
    return tuple(int(value) if isinstance(value, bool) else value for value in params)


class Queries:
    """Helpers every query mixin uses; the engine comes from `Database`."""

    _engine: Engine
    _changes: int

    async def _one(self, sql: str, params: Iterable[Any] = ()) -> Row | None:
        return await self._engine.one(sql, _plain(params))

    async def _all(self, sql: str, params: Iterable[Any] = ()) -> list[Row]:
        return await self._engine.all(sql, _plain(params))

    async def _run(self, sql: str, params: Iterable[Any] = ()) -> int:
        changed = await self._engine.run(sql, _plain(params))
        self._changes += max(changed, 0)
        return changed

    async def _many(self, sql: str, rows: Iterable[Iterable[Any]]) -> None:
        batch = [_plain(row) for row in rows]
        if batch:
            self._changes += max(await self._engine.many(sql, batch), 0)

    async def _returning(self, sql: str, params: Iterable[Any] = ()) -> list[Row]:
        """A DELETE or UPDATE … RETURNING: the rows it changed."""
        rows = await self._engine.all(sql, _plain(params))
        self._changes += len(rows)
        return rows

    async def _insert(self, sql: str, params: Iterable[Any] = ()) -> Row | None:
        """An INSERT … RETURNING: the returned row, or None when `ON CONFLICT DO NOTHING` skipped it."""
        row = await self._engine.one(sql, _plain(params))
        if row is not None:
            self._changes += 1
        return row


class Database(Queries):
    """One engine, its migrations, and transactions."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._changes = 0
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, target: Path | str) -> Self:
        """Open (and bring up to date) the SQLite file at `target`, or the PostgreSQL database its URL names."""
        engine: Engine
        if is_postgresql(target):
            from checkins.storage.postgres import PostgresEngine

            engine = await PostgresEngine.connect(str(target))
        else:
            from checkins.storage.sqlite import SqliteEngine

            engine = await SqliteEngine.connect(target)
        try:
            await engine.migrate()
        except BaseException:
            await engine.close()
            raise
        return cls(engine)

    @property
    def engine_name(self) -> str:
        return self._engine.name

    async def close(self) -> None:
        await self._engine.close()

    async def schema_version(self) -> int:
        return await self._engine.schema_version()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Self]:
        claim = _handling.get()
        unclaimed = claim is not None and not claim.recorded
        recorded = False
        async with self._lock:
            await self._engine.begin()
            try:
                changes_before = self._changes
                try:
                    yield self
                except Exception as error:
                    # A repeat may take another path through the new state and fail there: it is still a repeat.
                    if unclaimed and not isinstance(error, AlreadyHandled | StorageUnavailable):
                        await self._refuse_repeat(claim, error)
                    raise
                if claim is not None and unclaimed and self._changes != changes_before:
                    # Checked at the end, not the start: the statement that records the update finds a repeat (its
                    # key is taken), and goes with the commit; a repeat's changes are rolled back unseen.
                    try:
                        # The day only: a finer time would let someone with the file line updates up with answers.
                        await self._engine.commit_after(
                            "INSERT INTO handled_updates (update_id, handled_at) VALUES (?, ?)",
                            (claim.update_id, time.time() // SECONDS_PER_DAY * SECONDS_PER_DAY),
                        )
                    except DuplicateRow as error:
                        raise AlreadyHandled(claim.update_id) from error
                    recorded = True
                else:
                    if unclaimed:
                        await self._refuse_repeat(claim)
                    await self._engine.commit()
            except BaseException:
                await self._engine.rollback()
                raise
        if claim is not None and recorded:
            claim.recorded = True

    @asynccontextmanager
    async def each_on_its_own(self) -> AsyncIterator[Self]:
        """Statements that commit one by one, without a transaction around them: for bookkeeping where each leaves
        a consistent state (the sender's records of what Telegram has), it saves beginning and committing — two
        trips to the database, or round trips to the server. Other transactions wait as they would for one."""
        async with self._lock:
            yield self

    async def _refuse_repeat(self, claim: _UpdateClaim | None, error: Exception | None = None) -> None:
        """Raise `AlreadyHandled` if the update being handled was recorded by an earlier delivery of it."""
        if claim is None:
            return
        if await self._one("SELECT 1 FROM handled_updates WHERE update_id = ?", (claim.update_id,)):
            raise AlreadyHandled(claim.update_id) from error

    async def scrub_disk(self, *, rewrite: bool = False) -> None:
        """After anything that unlinks or deletes: make the database's files stop holding what was deleted (SQLite:
        checkpoint and truncate the WAL; PostgreSQL: rewrite the tables, so dead rows do not linger in their pages).
        `rewrite` also rebuilds the SQLite file (VACUUM), so the byte order of rows says nothing about who wrote
        first. Trouble here is logged, not raised: what was committed stands, and the hourly purge scrubs again."""
        async with self._lock:
            await self._engine.scrub(rewrite=rewrite)

    async def forget_old_updates(self, now: float) -> None:
        """Telegram re-delivers an update for at most a day; a week of ids is plenty to recognise repeats."""
        async with self.transaction():
            await self._run("DELETE FROM handled_updates WHERE handled_at < ?", (now - HANDLED_UPDATES_KEPT_SECONDS,))

    async def table_names(self) -> list[str]:
        return await self._engine.table_names()

    async def dump_tables(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of every table: what a database reader would see, for confidentiality tests."""
        return {
            name: [tuple(row) for row in await self._all(f'SELECT * FROM "{name}"')]
            for name in await self._engine.table_names()
        }
