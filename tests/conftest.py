"""Fixtures for end-to-end tests: the Bot API simulator on 127.0.0.1 and the real bot polling it over HTTP; a real
PostgreSQL server (tests/postgres_server.py) for the tests that ask for one."""

from __future__ import annotations

import contextlib
import gc
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import aiosqlite
import pytest

from botsim.server import BotApiSimulator
from checkins.config.app import AppConfig
from checkins.storage import Store
from demo import write_demo_config
from handlers.application import build_application, running
from handlers.context import SERVICES_KEY, Services
from tests import postgres_server as pg


@dataclass(frozen=True)
class StorageChoice:
    """The database a test's bot uses: SQLite (the config's file) or a fresh PostgreSQL database."""

    backend: str
    url: str | None = None
    # PostgreSQL: the folder of the test database's table files in the server's data directory.
    files_dir: Path | None = None

    def apply(self, config: AppConfig) -> AppConfig:
        return config if self.url is None else replace(config, storage_url=self.url)

    async def open(self, config: AppConfig) -> Store:
        return await Store.open(self.apply(config).storage_target)

    def target(self, sqlite_file: Path) -> Path | str:
        """What `Store.open` opens: this test's PostgreSQL database, or the SQLite file given."""
        return self.url or sqlite_file


SQLITE = StorageChoice("sqlite")


def _database_threads() -> set[threading.Thread]:
    return {thread for thread in threading.enumerate() if "_connection_worker_thread" in thread.name}


@pytest.fixture(autouse=True)
def no_database_left_open() -> Iterator[None]:
    """An SQLite connection left open keeps aiosqlite's thread, and with it the process, alive after the last
    test (a CI run once waited 90 minutes on one): name the test that left it, and stop its thread."""
    before = _database_threads()
    yield
    left = [thread for thread in _database_threads() - before if (thread.join(timeout=2) or thread.is_alive())]
    if not left:
        return
    gc.collect()
    for connection in [item for item in gc.get_objects() if isinstance(item, aiosqlite.Connection)]:
        if connection._thread in left:  # the only way to reach a connection nobody closed
            connection.stop()
    pytest.fail(f"{len(left)} SQLite connection(s) left open: close every Store (and aiosqlite connection) opened")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Every test that uses `storage` (every bot a test starts does) runs on SQLite and on PostgreSQL, unless it is
    about SQLite's own files (`@pytest.mark.sqlite_only`)."""
    if "storage" not in metafunc.fixturenames:
        return
    backends: list[Any] = ["sqlite"]
    if metafunc.definition.get_closest_marker("sqlite_only") is None:
        backends.append(pytest.param("postgresql", marks=pytest.mark.postgresql))
    metafunc.parametrize("storage", backends, indirect=True)


@pytest.fixture
def storage(request: pytest.FixtureRequest) -> StorageChoice:
    if request.param == "postgresql":
        server: pg.PostgresServer = request.getfixturevalue("postgres_server")
        database: pg.Database = request.getfixturevalue("postgres_database")
        [(oid,)] = server.execute("SELECT oid FROM pg_database WHERE datname = %s", database.name)
        return StorageChoice("postgresql", database.url, server.data / "base" / str(oid))
    return SQLITE


FreshStorage = Callable[[], contextlib.AbstractContextManager[StorageChoice]]


@pytest.fixture
def fresh_storage(request: pytest.FixtureRequest, storage: StorageChoice) -> FreshStorage:
    """A new, empty database of the test's backend at each use, for property tests that start every example from
    scratch: a PostgreSQL database created for the example and dropped after it, or SQLite (whose file is the
    example's own: the config's, in the example's folder)."""
    server: pg.PostgresServer | None = (
        request.getfixturevalue("postgres_server") if storage.backend == "postgresql" else None
    )

    @contextlib.contextmanager
    def fresh() -> Iterator[StorageChoice]:
        if server is None:
            yield SQLITE
            return
        database = server.create_database()
        try:
            yield StorageChoice("postgresql", database.url)
        finally:
            server.drop_database(database.name)

    return fresh


@pytest.fixture
async def store(tmp_path: Path, storage: StorageChoice) -> AsyncIterator[Store]:
    """The storage of the test's backend, opened (an SQLite file in the test's folder, or its PostgreSQL database)."""
    opened = await Store.open(storage.target(tmp_path / "store.sqlite3"))
    try:
        yield opened
    finally:
        await opened.close()


class BotRunner:
    """Starts, stops and restarts the real bot against the simulator, keeping its database between runs."""

    def __init__(
        self,
        sim: BotApiSimulator,
        config: AppConfig,
        clock: Callable[[], float] = time.time,
        storage: StorageChoice = SQLITE,
    ) -> None:
        self.sim = sim
        self.config = storage.apply(config)
        self.storage = storage
        self.clock = clock
        self.application: Any = None
        self._stack: contextlib.AsyncExitStack | None = None

    async def start(self) -> None:
        self.application = build_application(self.config, self.sim.token, base_url=self.sim.base_url, clock=self.clock)
        self._stack = contextlib.AsyncExitStack()
        await self._stack.enter_async_context(running(self.application))

    @property
    def services(self) -> Services:
        services = self.application.bot_data[SERVICES_KEY]
        assert isinstance(services, Services)
        return services

    async def stop(self) -> None:
        if self._stack is not None:
            await self._stack.aclose()
            self._stack = None

    async def restart(self) -> None:
        await self.stop()
        await self.start()


@pytest.fixture
async def sim() -> AsyncIterator[BotApiSimulator]:
    async with BotApiSimulator() as simulator:
        yield simulator


RunnerFactory = Callable[..., Awaitable[BotRunner]]


@pytest.fixture
async def make_runner(sim: BotApiSimulator, tmp_path: Path, storage: StorageChoice) -> AsyncIterator[RunnerFactory]:
    """Start a bot with a demo config in the given language, threshold and flow (or a given config, and a clock the
    test controls); stopped at teardown."""
    runners: list[BotRunner] = []

    async def make(
        language: str = "en",
        min_responses: int = 3,
        *,
        flow: str = "pre_session",
        extra: str = "",
        config: AppConfig | None = None,
        clock: Callable[[], float] = time.time,
    ) -> BotRunner:
        config = config or write_demo_config(
            tmp_path, language=language, min_responses=min_responses, flow=flow, extra=extra
        )
        runner = BotRunner(sim, config, clock, storage)
        runners.append(runner)
        await runner.start()
        return runner

    yield make
    for runner in runners:
        await runner.stop()


@pytest.fixture
async def bot(make_runner: RunnerFactory) -> BotRunner:
    return await make_runner()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    pg.skip_without_server(config, items)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    pg.report_skipped(terminalreporter, config)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[pg.PostgresServer]:
    """One PostgreSQL server for the whole run, started by the first test that needs it."""
    bindir = pg.find_bindir()
    assert bindir is not None  # tests that reach here were not skipped at collection
    server = pg.PostgresServer(bindir)
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_database(postgres_server: pg.PostgresServer) -> Iterator[pg.Database]:
    """A fresh, empty database of its own for one test (dropped after it)."""
    database = postgres_server.create_database()
    yield database
    postgres_server.drop_database(database.name)
