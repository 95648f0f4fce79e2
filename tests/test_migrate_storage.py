"""`bot.py migrate-storage`: a deployment moves from SQLite to PostgreSQL (and back) with every row, and carries on.

The source is a real bot's database mid-life (a closed round with its digest, an open round with drafts and
submissions, queued messages); the copy is made by the real command line, as an operator would run it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from botsim.server import BotApiSimulator
from checkins.storage import Store
from demo import write_demo_config
from tests.attacks import submitted_round
from tests.conftest import BotRunner, StorageChoice
from tests.postgres_server import Database as PostgresDatabase
from tests.test_round_e2e import close_and_read_digest, open_round, script

ROOT = Path(__file__).resolve().parent.parent


def migrate(source: str, target: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "bot.py", "migrate-storage", "--from", source, "--to", target],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.postgresql
async def test_a_running_deployment_moves_to_postgresql_and_carries_on(
    sim: BotApiSimulator, tmp_path: Path, postgres_database: PostgresDatabase
) -> None:
    config = write_demo_config(tmp_path, language="en", min_responses=2)
    runner = BotRunner(sim, config)
    await runner.start()
    supervisor, members = await submitted_round(sim, count=3)
    await close_and_read_digest(sim, supervisor)
    await open_round(supervisor, members)
    await members[0].answer(script(0))
    await members[0].submit()
    await members[1].answer(script(1)[:2])
    before = await runner.services.store.dump_tables()
    await runner.stop()

    done = migrate(f"sqlite:{config.storage_path}", postgres_database.url)
    assert done.returncode == 0, done.stderr
    total = sum(len(rows) for rows in before.values())
    assert f"Copied {total} rows in {len(before)} tables; every table reads back equal" in done.stdout

    store = await Store.open(postgres_database.url)
    try:
        after = await store.dump_tables()
    finally:
        await store.close()
    assert {name: sorted(map(repr, rows)) for name, rows in after.items()} == {
        name: sorted(map(repr, rows)) for name, rows in before.items()
    }

    moved = BotRunner(sim, config, storage=StorageChoice("postgresql", postgres_database.url))
    await moved.start()
    try:
        # The member who had started goes on where they were; the round closes with both submissions.
        await members[1].answer(script(1)[2:])
        await members[1].submit()
        digest = await close_and_read_digest(sim, supervisor)
        assert "2 of 3" in digest or "2/3" in digest
        # New outbox rows get ids after the copied ones (the counter was moved past them).
        async with moved.services.store.transaction() as current:
            ids = [row[0] for row in (await current.dump_tables())["outbox"]]
        assert len(ids) == len(set(ids))
    finally:
        await moved.stop()


@pytest.mark.postgresql
async def test_the_copy_refuses_a_target_that_is_not_empty(tmp_path: Path, postgres_database: PostgresDatabase) -> None:
    source = tmp_path / "k.sqlite3"
    store = await Store.open(source)
    async with store.transaction():
        await store.upsert_member(1001, language="fi", first_name="Aino", last_name=None, username=None)
    await store.close()
    assert migrate(f"sqlite:{source}", postgres_database.url).returncode == 0
    again = migrate(f"sqlite:{source}", postgres_database.url)
    assert again.returncode == 1
    assert "the target is not empty: table members has rows" in again.stderr
    assert "Traceback" not in again.stderr


@pytest.mark.postgresql
async def test_postgresql_moves_back_to_sqlite(tmp_path: Path, postgres_database: PostgresDatabase) -> None:
    store = await Store.open(postgres_database.url)
    async with store.transaction():
        member = await store.upsert_member(1001, language="sv", first_name="Åsa", last_name="Ek", username=None)
        await store.add_membership("demo", member.id)
        await store.enqueue(1001, "message", {"text": "Hej"}, dedupe_key="k1")
    expected = await store.dump_tables()
    await store.close()
    back = tmp_path / "back.sqlite3"
    done = migrate(postgres_database.url, f"sqlite:{back}")
    assert done.returncode == 0, done.stderr
    copy = await Store.open(back)
    try:
        assert await copy.dump_tables() == expected
    finally:
        await copy.close()


def test_a_wrong_storage_argument_is_one_line() -> None:
    done = migrate("mysql://x", "sqlite:/tmp/x")
    assert done.returncode == 2
    assert "give sqlite:PATH or a postgresql:// URL" in done.stderr
    assert "Traceback" not in done.stderr
