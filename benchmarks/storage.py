"""Which storage the scenarios run on — SQLite (the default) or PostgreSQL — and the table that sets them side by side.

`python -m benchmarks --storage sqlite,postgresql` runs every scenario that touches storage once per backend. The
backend is a context variable set around a scenario's run (`using`), so the scenarios need no parameter for it:
`Deployment.create` asks `fresh_storage_url()` for a new, empty database and writes its URL into the deployment's
config, or leaves the SQLite file in the deployment's folder when there is none. PostgreSQL comes from the server at
`KIERROS_BENCH_PG_URL` (a URL whose user may create databases; each deployment gets a database of its own there,
dropped at the end) or else from a throwaway server started here as the tests start theirs (`benchmarks/postgres.py`)
but with PostgreSQL's own durability settings (fsync and synchronous commit on), as SQLite keeps its production
settings; without either, PostgreSQL rows are reported as skipped. The rows of a PostgreSQL run are named
"· PostgreSQL" and carry `storage` in their details; the SQLite rows stay as they always were.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import urllib.parse
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import replace

import psycopg

from benchmarks.postgres import PostgresServer, find_bindir, unavailable_reason
from benchmarks.report import Result, format_number

SQLITE = "sqlite"
POSTGRESQL = "postgresql"
BACKENDS = (SQLITE, POSTGRESQL)
NAMES = {SQLITE: "SQLite", POSTGRESQL: "PostgreSQL"}
URL_ENV = "KIERROS_BENCH_PG_URL"
SKIPPED = "skipped (no PostgreSQL server)"

_databases: ContextVar[Callable[[], str] | None] = ContextVar("benchmark_databases", default=None)


def on_postgresql() -> bool:
    return _databases.get() is not None


def fresh_storage_url() -> str | None:
    """A new, empty database on the backend in use (None: SQLite, a file in the deployment's folder)."""
    make = _databases.get()
    return None if make is None else make()


class PostgresDatabases:
    """Empty databases, one per deployment, on the server at `KIERROS_BENCH_PG_URL` or on a throwaway one."""

    def __init__(self, admin_url: str, server: PostgresServer | None) -> None:
        self.server = server
        self._admin_url = admin_url
        self._admin = psycopg.connect(admin_url, autocommit=True, connect_timeout=10)
        self._names = (f"kierros_bench_{os.getpid()}_{number}" for number in itertools.count(1))
        self._created: list[str] = []

    @classmethod
    def start(cls) -> PostgresDatabases | None:
        """The configured server, else a throwaway one started now; None when neither can be had."""
        if url := os.environ.get(URL_ENV):
            return cls(url, None)
        if unavailable_reason() is not None:
            return None
        bindir = find_bindir()
        assert bindir is not None
        # PostgreSQL's own durability settings, as in production: SQLite beside it keeps its production settings too.
        server = PostgresServer(bindir, durable=True)
        server.start()
        return cls(server.url("postgres"), server)

    def create(self) -> str:
        """A new empty database; its URL (the admin URL with the database's name as its path)."""
        name = next(self._names)
        self._admin.execute(f'CREATE DATABASE "{name}"')
        self._created.append(name)
        return urllib.parse.urlunsplit(urllib.parse.urlsplit(self._admin_url)._replace(path=f"/{name}"))

    def close(self) -> None:
        """Drop what was created (a throwaway server is stopped and deleted whole)."""
        if self.server is None:
            for name in self._created:
                with contextlib.suppress(psycopg.Error):
                    self._admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self._admin.close()
        if self.server is not None:
            self.server.stop()


@contextlib.contextmanager
def using(databases: PostgresDatabases | None) -> Iterator[None]:
    """Run the scenarios inside on PostgreSQL (each deployment in a database of its own) or, given None, on SQLite."""
    token = _databases.set(None if databases is None else databases.create)
    try:
        yield
    finally:
        _databases.reset(token)


def label(results: list[Result], backend: str) -> list[Result]:
    """The rows of one backend's run: named after it when it is not SQLite, and `storage` in their details."""
    suffix = "" if backend == SQLITE else f" · {NAMES[backend]}"
    return [
        replace(result, scenario=result.scenario + suffix, details=result.details | {"storage": backend})
        for result in results
    ]


def _base(result: Result) -> tuple[str, str]:
    suffix = f" · {NAMES.get(result.details.get('storage', SQLITE), '')}"
    return result.scenario.removesuffix(suffix), result.figure


def side_by_side(results: list[Result], skipped: set[int]) -> str:
    """Each figure measured on SQLite next to the same figure on PostgreSQL, or why there is none (`skipped`: the
    numbers of the scenarios PostgreSQL could not run)."""
    postgres = {_base(r): r for r in results if r.details.get("storage") == POSTGRESQL}
    header = ("scenario", "figure", NAMES[SQLITE], NAMES[POSTGRESQL], "PostgreSQL / SQLite")
    rows = [header]
    for result in results:
        if result.details.get("storage") != SQLITE:
            continue
        scenario, figure = _base(result)
        other = postgres.get((scenario, figure))
        if other is not None:
            ratio = f"{other.value / result.value:.2f}" if result.value else "–"
            rows.append((scenario, figure, _value(result), _value(other), ratio))
        elif int(scenario.split(" ", 1)[0]) in skipped:
            rows.append((scenario, figure, _value(result), SKIPPED, "–"))
    widths = [max(len(row[column]) for row in rows) for column in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def _value(result: Result) -> str:
    return f"{format_number(result.value)}{result.unit}"
