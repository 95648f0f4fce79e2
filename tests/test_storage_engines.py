"""The two storage engines describe one database: the same migrations, tables and columns, and the shared dialect
spelled for PostgreSQL without changing what a statement means."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from checkins.storage import Store
from checkins.storage.postgres import POSTGRESQL_MIGRATIONS, adapt
from checkins.storage.sqlite import SQLITE_MIGRATIONS
from tests.postgres_server import Database, PostgresServer

# PostgreSQL starts at SQLite's version 20 in one file; every later version has a file in both folders.
POSTGRESQL_BASELINE = 20


def versions(folder: Path) -> dict[int, str]:
    return {int(path.name[:4]): path.name for path in folder.glob("[0-9][0-9][0-9][0-9]_*.sql")}


def test_every_version_after_the_baseline_is_written_for_both_engines() -> None:
    sqlite = {n: name for n, name in versions(SQLITE_MIGRATIONS).items() if n > POSTGRESQL_BASELINE}
    postgresql = versions(POSTGRESQL_MIGRATIONS)
    assert min(postgresql) == POSTGRESQL_BASELINE
    assert {n: name for n, name in postgresql.items() if n > POSTGRESQL_BASELINE} == sqlite


def test_the_dialect_is_spelled_for_psycopg() -> None:
    assert adapt("SELECT a FROM t WHERE b = ? AND c LIKE 'x%?'") == "SELECT a FROM t WHERE b = %s AND c LIKE 'x%%?'"
    assert adapt("SELECT 'it''s ?' , ?") == "SELECT 'it''s ?' , %s"
    assert adapt("SELECT json_extract(edit.payload, '$.edit_of') FROM outbox AS edit") == (
        "SELECT CAST(CAST(edit.payload AS json) ->> 'edit_of' AS BIGINT) FROM outbox AS edit"
    )
    assert adapt("SELECT instr(a, b) FROM t LIMIT -1 OFFSET ?") == "SELECT strpos(a, b) FROM t LIMIT ALL OFFSET %s"


@pytest.mark.postgresql
async def test_both_engines_build_the_same_tables_and_columns(tmp_path: Path, postgres_database: Database) -> None:
    sqlite = await Store.open(tmp_path / "k.sqlite3")
    postgresql = await Store.open(postgres_database.url)
    try:
        assert await sqlite.schema_version() == await postgresql.schema_version()
        tables = await sqlite.table_names()
        assert sorted(tables) == sorted(await postgresql.table_names())
        for table in tables:
            assert await sqlite._engine.column_names(table) == await postgresql._engine.column_names(table), table
    finally:
        await sqlite.close()
        await postgresql.close()


@pytest.mark.postgresql
async def test_two_instances_starting_together_migrate_once(postgres_database: Database) -> None:
    import asyncio

    stores = await asyncio.gather(*(Store.open(postgres_database.url) for _ in range(4)))
    try:
        assert {await store.schema_version() for store in stores} == {max(versions(POSTGRESQL_MIGRATIONS))}
    finally:
        for store in stores:
            await store.close()


@pytest.mark.postgresql
async def test_a_lost_connection_is_opened_again_and_nothing_half_done_is_kept(postgres_database: Database) -> None:
    from checkins.storage import StorageUnavailable

    store = await Store.open(postgres_database.url)
    try:
        async with store.transaction():
            await store.upsert_member(1, language="fi", first_name="Aino", last_name=None, username=None)
        with psycopg.connect(postgres_database.url, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid != pg_backend_pid()"
            )
        with pytest.raises(StorageUnavailable):
            async with store.transaction():
                await store.upsert_member(2, language="fi", first_name="Eero", last_name=None, username=None)
        async with store.transaction():
            await store.upsert_member(3, language="sv", first_name="Åsa", last_name=None, username=None)
        names = sorted(row[3] for row in (await store.dump_tables())["members"])
        assert names == ["Aino", "Åsa"]
    finally:
        await store.close()


@pytest.mark.postgresql
async def test_a_role_that_could_not_erase_deleted_answers_is_refused(
    postgres_server: PostgresServer, postgres_database: Database
) -> None:
    """VACUUM FULL skips, with a mere warning, tables the role does not own: Kierros must not run as such a role."""
    from checkins.storage import StorageRefused

    owner = await Store.open(postgres_database.url)
    await owner.close()
    role = f"reader_{postgres_database.name}"
    postgres_server.execute(f'CREATE ROLE "{role}" LOGIN')
    with psycopg.connect(postgres_database.url, autocommit=True) as admin:
        admin.execute(f'GRANT ALL ON ALL TABLES IN SCHEMA public TO "{role}"')
        admin.execute(f'GRANT ALL ON SCHEMA public TO "{role}"')
    try:
        with pytest.raises(StorageRefused, match="belong to another database role"):
            await Store.open(postgres_database.url.replace("kierros@", f"{role}@"))
    finally:
        with psycopg.connect(postgres_database.url, autocommit=True) as admin:
            admin.execute(f'DROP OWNED BY "{role}"')
        postgres_server.execute(f'DROP ROLE "{role}"')


@pytest.mark.postgresql
async def test_reads_outside_a_transaction_and_transactions_share_the_connection_safely(
    postgres_database: Database,
) -> None:
    """A transaction's BEGIN goes to the server in a pipeline with its first statement; a read outside any
    transaction (a background task's) must not be in progress on the same connection then (psycopg refuses to enter
    a pipeline while another command runs: this once failed a digest test in CI)."""
    import asyncio

    store = await Store.open(postgres_database.url)
    try:

        async def change(chat: int) -> None:
            async with store.transaction() as queries:
                await queries.enqueue(chat, "message", {"text": "x"}, None, 2)

        await asyncio.gather(*(task for chat in range(40) for task in (change(chat), store.outbox_counts())))
        assert await store.outbox_counts() == {"pending": 40}
    finally:
        await store.close()


@pytest.mark.postgresql
async def test_a_broken_key_in_the_last_statement_is_a_duplicate_even_as_the_first(postgres_database: Database) -> None:
    """`commit_after` finds a repeat by its broken key, also in a transaction that ran nothing before it (whose BEGIN
    goes in the same pipeline); nothing of the repeat is committed."""
    from checkins.storage.base import DuplicateRow
    from checkins.storage.postgres import PostgresEngine

    engine = await PostgresEngine.connect(postgres_database.url)
    try:
        await engine.run("CREATE TABLE k (id INTEGER PRIMARY KEY)", ())
        await engine.begin()
        await engine.commit_after("INSERT INTO k (id) VALUES (?)", (1,))
        await engine.begin()
        with pytest.raises(DuplicateRow):
            await engine.commit_after("INSERT INTO k (id) VALUES (?)", (1,))
        await engine.rollback()
        assert await engine.all("SELECT id FROM k", ()) == [(1,)]
    finally:
        await engine.close()
