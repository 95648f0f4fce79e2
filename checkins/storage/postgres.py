"""The PostgreSQL engine: for organisations that run a managed database with its own backups and failover.

It connects with psycopg 3 (libpq: the password comes from `PGPASSWORD`, `~/.pgpass` or a service file, never from
config.yaml; several hosts with `target_session_attrs=read-write` follow a failover) and keeps one connection per
process, like SQLite: writers in this process are serialised by `Database`, and only the active instance writes
(see `leadership`). A lost connection is opened again at the next statement outside a transaction; until then
callers get `StorageUnavailable` and try again, as with a busy SQLite file. The shared dialect is adapted once per
statement: `?` becomes `%s`, and the two SQLite functions the outbox uses get their PostgreSQL spelling.

Migrations in `migrations/postgresql/` run in one transaction each under an advisory lock, so two instances starting
together do not both apply them; the version lives in `kierros_schema`. A deleted row stays in its table's pages as a
dead tuple until the table is rewritten, so scrubbing runs `VACUUM FULL` on every table (what WAL segments, WAL
archives and replicas keep is in PRIVACY.md).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
from typing import Any, Self

import psycopg
from psycopg import errors
from psycopg.types.string import StrDumperUnknown

from checkins.storage.base import MIGRATIONS_DIR, DuplicateRow, Row, StorageRefused, StorageUnavailable

log = logging.getLogger(__name__)
POSTGRESQL_MIGRATIONS = MIGRATIONS_DIR / "postgresql"
VERSION_TABLE = "kierros_schema"
# pg_advisory_xact_lock's key for migrations ("Kierros" and 1): a constant no other application is likely to use.
MIGRATION_LOCK_KEY = 0x4B69_6572_726F_7301
# A server that stops answering is noticed within seconds, not after the kernel's two hours.
CONNECTION_OPTIONS = {
    "connect_timeout": 5,
    "keepalives": 1,
    "keepalives_idle": 5,
    "keepalives_interval": 2,
    "keepalives_count": 3,
    "application_name": "kierros",
}
# Trouble that leaves nothing committed and may pass: the caller tries again, as with a busy SQLite file.
_PASSING = (psycopg.OperationalError, errors.SerializationFailure, errors.DeadlockDetected, errors.LockNotAvailable)

_TOKEN = re.compile(r"'(?:[^']|'')*'|\?|%")
_JSON_FIELD = re.compile(r"json_extract\(([\w.]+), '\$\.(\w+)'\)")


class NulSafeStr(StrDumperUnknown):
    """PostgreSQL's text cannot hold NUL (psycopg refuses the whole statement), SQLite's can: a NUL that reached a
    value (callback data, a command's argument; only a forged update carries one) becomes U+FFFD, so it matches no
    id. Written answers lose theirs at the edge already (handlers/answering.py)."""

    def dump(self, obj: str) -> bytes:
        return super().dump(obj.replace("\x00", "\ufffd") if "\x00" in obj else obj)


@functools.lru_cache(maxsize=2048)
def adapt(sql: str) -> str:
    """The shared dialect in PostgreSQL's spelling (psycopg's `%s` placeholders, `%` doubled)."""
    sql = _JSON_FIELD.sub(r"CAST(CAST(\1 AS json) ->> '\2' AS BIGINT)", sql)
    sql = sql.replace("instr(", "strpos(").replace("LIMIT -1", "LIMIT ALL")

    def token(match: re.Match[str]) -> str:
        text = match.group(0)
        if text == "?":
            return "%s"
        if text == "%":
            return "%%"
        return text.replace("%", "%%")

    return _TOKEN.sub(token, sql)


class PostgresEngine:
    name = "postgresql"

    def __init__(self, url: str, connection: psycopg.AsyncConnection[Any]) -> None:
        self._url = url
        self._conn = connection
        self._in_transaction = False
        # BEGIN goes to the server together with the transaction's first statement (one round trip, not two).
        self._begin_pending = False
        # One command on the connection at a time: psycopg cannot enter a pipeline while another coroutine's query
        # (a read outside any transaction, say) is in progress on it.
        self._serial = asyncio.Lock()

    @classmethod
    async def connect(cls, url: str) -> Self:
        return cls(url, await cls._open(url))

    @staticmethod
    async def _open(url: str) -> psycopg.AsyncConnection[Any]:
        try:
            connection = await psycopg.AsyncConnection.connect(url, autocommit=True, **CONNECTION_OPTIONS)
        except psycopg.OperationalError as error:
            raise StorageUnavailable(_reason(error)) from error
        connection.adapters.register_dumper(str, NulSafeStr)
        return connection

    async def _connection(self) -> psycopg.AsyncConnection[Any]:
        if self._conn.closed or self._conn.broken:
            if self._in_transaction and not self._begin_pending:
                raise StorageUnavailable("the connection to PostgreSQL was lost")
            log.warning("the connection to PostgreSQL was lost; connecting again")
            self._conn = await self._open(self._url)
        return self._conn

    async def _execute(self, sql: str, params: tuple[Any, ...]) -> psycopg.AsyncCursor[Any]:
        async with self._serial:
            return await self._execute_alone(sql, params)

    async def _execute_alone(self, sql: str, params: tuple[Any, ...]) -> psycopg.AsyncCursor[Any]:
        connection = await self._connection()
        try:
            if not self._begin_pending:
                return await connection.execute(adapt(sql), params)
            # Once sent, the transaction is the server's, whatever became of the statement (a rollback must reach it).
            self._begin_pending = False
            async with connection.pipeline():
                await connection.execute("BEGIN")
                cursor = await connection.execute(adapt(sql), params)
            return cursor
        except _PASSING as error:
            raise StorageUnavailable(_reason(error)) from error

    async def one(self, sql: str, params: tuple[Any, ...]) -> Row | None:
        cursor = await self._execute(sql, params)
        return await cursor.fetchone()

    async def all(self, sql: str, params: tuple[Any, ...]) -> list[Row]:
        cursor = await self._execute(sql, params)
        return await cursor.fetchall()

    async def run(self, sql: str, params: tuple[Any, ...]) -> int:
        cursor = await self._execute(sql, params)
        return cursor.rowcount

    async def many(self, sql: str, rows: list[tuple[Any, ...]]) -> int:
        async with self._serial:
            return await self._many_alone(sql, rows)

    async def _many_alone(self, sql: str, rows: list[tuple[Any, ...]]) -> int:
        connection = await self._connection()
        try:
            if self._begin_pending:  # executemany pipelines its own rows: BEGIN goes on its own
                self._begin_pending = False
                await connection.execute("BEGIN")
            async with connection.cursor() as cursor:
                await cursor.executemany(adapt(sql), rows)
                return cursor.rowcount
        except _PASSING as error:
            raise StorageUnavailable(_reason(error)) from error

    async def begin(self) -> None:
        self._in_transaction = True
        self._begin_pending = True

    async def commit(self) -> None:
        try:
            if not self._begin_pending:  # else the transaction never reached the server: nothing to commit
                await self._execute("COMMIT", ())
        finally:
            self._in_transaction = self._begin_pending = False

    async def commit_after(self, sql: str, params: tuple[Any, ...]) -> None:
        """Run a last statement and commit, in one round trip; `DuplicateRow` (nothing committed) if the statement
        breaks a unique constraint — the rest of the pipeline is then skipped by the server."""
        try:
            async with self._serial:
                connection = await self._connection()
                # A transaction whose BEGIN is still pending sends it in the same pipeline (one code path, so a
                # broken key is always `DuplicateRow`, and a rollback reaches the server afterwards).
                begin, self._begin_pending = self._begin_pending, False
                async with connection.pipeline():
                    if begin:
                        await connection.execute("BEGIN")
                    await connection.execute(adapt(sql), params)
                    await connection.execute("COMMIT")
        except errors.UniqueViolation as error:
            raise DuplicateRow from error
        except _PASSING as error:
            raise StorageUnavailable(_reason(error)) from error
        self._in_transaction = False

    async def rollback(self) -> None:
        pending, self._begin_pending, self._in_transaction = self._begin_pending, False, False
        if not pending and not (self._conn.closed or self._conn.broken):
            async with self._serial:
                await self._conn.execute("ROLLBACK")

    async def migrate(self) -> None:
        await self.begin()
        try:
            await self.run("SELECT pg_advisory_xact_lock(?)", (MIGRATION_LOCK_KEY,))
            await self.run(f"CREATE TABLE IF NOT EXISTS {VERSION_TABLE} (version INTEGER NOT NULL)", ())
            current = await self.schema_version()
            for script in sorted(POSTGRESQL_MIGRATIONS.glob("[0-9][0-9][0-9][0-9]_*.sql")):
                version = int(script.name[:4])
                if version > current:
                    # No parameters: psycopg sends the script as it is, several statements at once.
                    await self._conn.execute(script.read_text(encoding="utf-8").encode())
                    await self.run(f"DELETE FROM {VERSION_TABLE}", ())
                    await self.run(f"INSERT INTO {VERSION_TABLE} (version) VALUES (?)", (version,))
        except BaseException:
            await self.rollback()
            raise
        await self.commit()
        await self._check_ownership()

    async def _check_ownership(self) -> None:
        """VACUUM FULL cleans only tables this role may vacuum (their owner's, the database owner's or a superuser's;
        others it skips with a mere warning): refuse to run where deleted answers would stay in the files."""
        rows = await self.all(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
            "AND NOT pg_has_role(tableowner, 'USAGE') "
            "AND NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) "
            "AND NOT (SELECT pg_has_role(datdba, 'USAGE') FROM pg_database WHERE datname = current_database())",
            (),
        )
        if rows:
            raise StorageRefused(
                f"the tables {', '.join(sorted(row[0] for row in rows))} belong to another database role, so Kierros "
                "could not erase deleted answers from them; connect as their owner (ALTER TABLE … OWNER TO …)"
            )

    async def schema_version(self) -> int:
        exists = await self.one("SELECT to_regclass(?)", (VERSION_TABLE,))
        if not exists or exists[0] is None:
            return 0
        row = await self.one(f"SELECT MAX(version) FROM {VERSION_TABLE}", ())
        return int(row[0]) if row and row[0] is not None else 0

    async def table_names(self) -> list[str]:
        # In the order they were created, so a copy can fill them parents first.
        rows = await self.all(
            "SELECT c.relname FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relkind = 'r' AND c.relname != ? ORDER BY c.oid",
            (VERSION_TABLE,),
        )
        return [row[0] for row in rows]

    async def column_names(self, table: str) -> list[str]:
        rows = await self.all(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
            "AND table_name = ? ORDER BY ordinal_position",
            (table,),
        )
        return [row[0] for row in rows]

    async def after_copy(self) -> None:
        """Copied rows brought their ids: the outbox's counter must continue after the largest of them."""
        await self.run(
            "SELECT setval(pg_get_serial_sequence('outbox', 'id'), COALESCE(MAX(id), 0) + 1, false) FROM outbox", ()
        )

    async def scrub(self, *, rewrite: bool) -> None:
        # A plain VACUUM marks dead rows' space free but leaves their bytes in the page; FULL writes new files.
        del rewrite
        try:
            tables = ", ".join(f'"{name}"' for name in await self.table_names())
            await self.run(f"VACUUM (FULL) {tables}", ())
        except (StorageUnavailable, psycopg.Error) as error:
            log.warning("could not clean the database's tables now: %s", type(error).__name__)

    async def close(self) -> None:
        await self._conn.close()


def _reason(error: psycopg.Error) -> str:
    # The server's message may quote a row's values (a unique violation's key, say): keep the kind only.
    return f"PostgreSQL: {type(error).__name__}" + (f" ({error.sqlstate})" if error.sqlstate else "")
