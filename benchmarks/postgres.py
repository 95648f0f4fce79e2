"""A real, throwaway PostgreSQL server: found, started in a temporary directory, one empty database at a time.

Shared by the tests (`tests/postgres_server.py` adds the pytest fixtures' skipping and reporting) and the benchmarks
(`benchmarks/storage.py`). The server binaries come from `KIERROS_PG_BIN` if set, else `pg_config --bindir`, else the
newest `/usr/lib/postgresql/*/bin` (Debian's `postgresql` package), else the directory of `initdb` on PATH; with
`KIERROS_PG=off` none is used. PostgreSQL refuses to run as root, so as root the cluster belongs to the `postgres`
system user (or `nobody`) and `initdb`/`postgres` run as that user (`setpriv`, which also makes the server die with
the process that started it). The cluster lives in a temporary directory, listens on 127.0.0.1 (or a given address)
on a free port and on a Unix socket in that directory, trusts local connections, and is stopped (immediate shutdown)
and deleted by `stop()`.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg

BINARIES = ("initdb", "pg_ctl", "postgres")
SUPERUSER = "kierros"
START_TIMEOUT = 30.0
ENABLE_HINT = (
    "install Debian's postgresql package (apt-get install postgresql) or set KIERROS_PG_BIN to the directory "
    "holding initdb and postgres"
)


def _has_binaries(folder: Path) -> bool:
    return all(os.access(folder / name, os.X_OK) for name in BINARIES)


def _version_key(folder: Path) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", folder.parent.name)) or (0,)


def find_bindir() -> Path | None:
    """The directory holding initdb, pg_ctl and postgres, or None (see the module's docstring for the order)."""
    if configured := os.environ.get("KIERROS_PG_BIN"):
        return Path(configured) if _has_binaries(Path(configured)) else None
    if pg_config := shutil.which("pg_config"):
        # Debian's pg_config may come from libpq-dev alone, whose bindir has no server: check, then look further.
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            found = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, timeout=10, check=True)
            if _has_binaries(Path(found.stdout.strip())):
                return Path(found.stdout.strip())
    debian = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=_version_key, reverse=True)
    for folder in debian:
        if _has_binaries(folder):
            return folder
    if initdb := shutil.which("initdb"):
        folder = Path(initdb).resolve().parent
        return folder if _has_binaries(folder) else None
    return None


def unavailable_reason() -> str | None:
    """Why PostgreSQL tests cannot run here (None when they can)."""
    if os.environ.get("KIERROS_PG", "").lower() in {"off", "0", "no", "false"}:
        return "KIERROS_PG=off"
    if find_bindir() is None:
        where = os.environ.get("KIERROS_PG_BIN")
        return f"no initdb/postgres in KIERROS_PG_BIN={where}" if where else "no PostgreSQL server binaries found"
    return None


def server_account() -> pwd.struct_passwd | None:
    """The unprivileged account the server runs as when we are root (None: run as ourselves)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    raise RuntimeError("running as root and neither a 'postgres' nor a 'nobody' account exists to run PostgreSQL")


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class Database:
    """One database on the test server: its name and how to reach it over TCP or the Unix socket."""

    name: str
    url: str
    socket_url: str


class PostgresServer:
    """A private PostgreSQL cluster in a temporary directory; `start()`, `create_database()`, `stop()`.

    `host` is the one TCP address it listens on (127.0.0.1 unless a test needs another interface, whose subnet it then
    trusts too). `durable` keeps PostgreSQL's own settings (fsync, synchronous commit, full pages), as in production,
    for figures that compare it with SQLite; tests turn them off to run faster."""

    def __init__(self, bindir: Path, host: str = "127.0.0.1", *, durable: bool = False) -> None:
        self.bindir = bindir
        self.host = host
        self.durable = durable
        self.account = server_account()
        self.root = Path(tempfile.mkdtemp(prefix="kierros-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        self._numbers = itertools.count(1)
        self._admin: psycopg.Connection | None = None

    def _command(self, program: str, *args: str) -> list[str]:
        command = [str(self.bindir / program), *args]
        if self.account is None:
            return command
        # As root: drop to the server's account (with only its own group) before exec; the server gets SIGQUIT
        # (immediate shutdown) if its starter dies without stopping it, so no cluster outlives a killed run.
        return [
            "setpriv",
            f"--reuid={self.account.pw_uid}",
            f"--regid={self.account.pw_gid}",
            "--clear-groups",
            "--pdeathsig=QUIT",
            *command,
        ]

    def _run(self, program: str, *args: str) -> None:
        result = subprocess.run(
            self._command(program, *args), cwd=self.root, capture_output=True, text=True, timeout=120, check=False
        )
        if result.returncode != 0:
            raise RuntimeError(f"{program} failed ({result.returncode}): {result.stderr.strip() or result.stdout}")

    def start(self) -> None:
        if self.account is not None:
            # The temporary directory is root's 0700: hand it to the server's account (tempfile's parent is
            # world-traversable /tmp unless TMPDIR says otherwise).
            os.chown(self.root, self.account.pw_uid, self.account.pw_gid)
        self._run("initdb", "--pgdata", str(self.data), "--username", SUPERUSER, "--auth=trust", "--encoding=UTF8",
                  "--no-locale", "--no-sync")  # fmt: skip
        if self.host != "127.0.0.1":
            with (self.data / "pg_hba.conf").open("a") as rules:
                rules.write("host all all samenet trust\n")
        for attempt in range(3):
            self.port = _free_port(self.host)
            if self._launch():
                return
            if attempt == 2:
                raise RuntimeError(f"PostgreSQL did not start; its log:\n{self._log_tail()}")

    def _launch(self) -> bool:
        log = os.open(self.log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        if self.account is not None:
            os.chown(self.log, self.account.pw_uid, self.account.pw_gid)
        options = {
            "listen_addresses": self.host,
            "port": str(self.port),
            "unix_socket_directories": str(self.root),
            "max_connections": "200",
        }
        if not self.durable:
            # Speed over durability, for a test cluster only: a crash of this machine loses the throwaway data, which
            # is fine here and never in production (where all three stay on, PostgreSQL's defaults).
            options |= {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}
        settings = [f"--{key}={value}" for key, value in options.items()]
        try:
            self.process = subprocess.Popen(
                self._command("postgres", "-D", str(self.data), *settings), cwd=self.root, stdout=log, stderr=log
            )
        finally:
            os.close(log)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                self._admin = psycopg.connect(self.admin_url, autocommit=True, connect_timeout=2)
                return True
            except psycopg.OperationalError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"PostgreSQL did not accept connections within {START_TIMEOUT:.0f} s:\n{self._log_tail()}")

    def _log_tail(self) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-20:])
        return "(no log)"

    def url(self, database: str) -> str:
        return f"postgresql://{SUPERUSER}@{self.host}:{self.port}/{database}"

    def socket_url(self, database: str) -> str:
        return f"postgresql://{SUPERUSER}@/{database}?host={self.root}&port={self.port}"

    @property
    def admin_url(self) -> str:
        return self.socket_url("postgres")

    def create_database(self, template: str = "template1") -> Database:
        """A new, empty database (a copy of `template`: a database prepared once, e.g. migrated, copies as fast)."""
        assert self._admin is not None, "start() first"
        name = f"test_{next(self._numbers)}"
        self._admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return Database(name, self.url(name), self.socket_url(name))

    def drop_database(self, name: str) -> None:
        """Drop a database, ending any connection a test left open to it."""
        assert self._admin is not None, "start() first"
        self._admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def execute(self, sql: str, *params: object) -> list[tuple[object, ...]]:
        """Run one statement as the superuser on the `postgres` database (for tests that inspect the server)."""
        assert self._admin is not None, "start() first"
        cursor = self._admin.execute(sql, params or None)
        return cursor.fetchall() if cursor.description else []

    def restart(self) -> None:
        """Stop the server at once, as a crash or a database failover would, and start it again on the same port."""
        self._halt()
        if not self._launch():
            raise RuntimeError(f"PostgreSQL did not start again; its log:\n{self._log_tail()}")

    def stop(self) -> None:
        self._halt()
        shutil.rmtree(self.root, ignore_errors=True)

    def _halt(self) -> None:
        if self._admin is not None:
            with contextlib.suppress(psycopg.Error):
                self._admin.close()
            self._admin = None
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)  # immediate shutdown: every session ends, nothing is flushed
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
