"""The test PostgreSQL server itself: it is reached over TCP and its socket, gives each test a database of its own,
never runs as root, and a run without it passes, saying how many PostgreSQL tests it skipped and how to enable them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from tests.postgres_server import Database, PostgresServer, find_bindir, unavailable_reason

ROOT = Path(__file__).resolve().parent.parent
seen: list[str] = []


def uid_of(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("Uid:")).split()[1])


def test_a_database_is_reached_over_tcp_and_over_the_socket(postgres_database: Database) -> None:
    for url in (postgres_database.url, postgres_database.socket_url):
        with psycopg.connect(url, connect_timeout=5) as conn:
            row = conn.execute("SELECT current_database(), inet_server_addr() IS NOT NULL").fetchone()
            assert row is not None
            assert row[0] == postgres_database.name
            assert row[1] is (url == postgres_database.url)  # TCP has a server address, the Unix socket none


@pytest.mark.parametrize("turn", [1, 2])
def test_each_test_gets_a_new_empty_database_and_the_last_one_is_gone(
    turn: int, postgres_server: PostgresServer, postgres_database: Database
) -> None:
    with psycopg.connect(postgres_database.url) as conn:
        tables = conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone()
        assert tables == (0,)
        conn.execute("CREATE TABLE left_behind (x integer)")
    assert postgres_database.name not in seen
    existing = {name for (name,) in postgres_server.execute("SELECT datname FROM pg_database")}
    assert postgres_database.name in existing
    assert not existing & set(seen)  # the previous test's database was dropped
    seen.append(postgres_database.name)


def test_a_database_copies_a_prepared_template(postgres_server: PostgresServer) -> None:
    template = postgres_server.create_database()
    with psycopg.connect(template.url, autocommit=True) as conn:
        conn.execute("CREATE TABLE schema_version (version integer)")
        conn.execute("INSERT INTO schema_version VALUES (7)")
    copy = postgres_server.create_database(template=template.name)
    with psycopg.connect(copy.url) as conn:
        assert conn.execute("SELECT version FROM schema_version").fetchall() == [(7,)]
    postgres_server.drop_database(copy.name)
    postgres_server.drop_database(template.name)


def test_the_server_never_runs_as_root(postgres_server: PostgresServer, postgres_database: Database) -> None:
    expected = postgres_server.account.pw_uid if postgres_server.account else os.geteuid()
    assert expected != 0
    assert postgres_server.process is not None
    assert uid_of(postgres_server.process.pid) == expected  # the postmaster
    with psycopg.connect(postgres_database.url) as conn:
        row = conn.execute("SELECT pg_backend_pid()").fetchone()
        assert row is not None
        # Read while the connection is open: its backend process ends with it.
        assert uid_of(int(row[0])) == expected  # and the backend serving this test
    assert postgres_server.data.stat().st_uid == expected


def test_the_binaries_come_from_kierros_pg_bin_when_set(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KIERROS_PG_BIN", str(tmp_path))
    assert find_bindir() is None
    assert unavailable_reason() == f"no initdb/postgres in KIERROS_PG_BIN={tmp_path}"
    for name in ("initdb", "pg_ctl", "postgres"):
        (tmp_path / name).write_text("#!/bin/sh\n")
        (tmp_path / name).chmod(0o755)
    assert find_bindir() == tmp_path
    monkeypatch.setenv("KIERROS_PG", "off")
    assert unavailable_reason() == "KIERROS_PG=off"


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ({"KIERROS_PG": "off"}, "PostgreSQL tests skipped (KIERROS_PG=off); unset KIERROS_PG to run them."),
        (
            {"KIERROS_PG_BIN": "/nonexistent"},
            "PostgreSQL tests skipped (no initdb/postgres in KIERROS_PG_BIN=/nonexistent); to run them, install "
            "Debian's postgresql package",
        ),
    ],
)
def test_without_a_server_the_run_passes_and_says_how_many_were_skipped(setting: dict[str, str], expected: str) -> None:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("KIERROS_PG")}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "postgresql", __file__],
        cwd=ROOT,
        env=environment | setting,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    last = run.stdout.strip().splitlines()
    summary = next(line for line in last if "PostgreSQL tests skipped" in line)
    marked = 5  # the tests above that use the server (the parametrised one twice)
    assert summary.startswith(f"{marked} {expected}")
