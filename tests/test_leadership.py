"""Leader election against a real PostgreSQL server: one of several instances is active; when its session ends (closed,
terminated by an administrator, its process killed) a standby takes over within its poll and the old one knows it lost;
a leader cut off from the database stops on its own, long before the server would free the lock."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import psycopg
import pytest

from checkins.storage import StorageUnavailable
from checkins.storage.leadership import Leadership, connection_settings
from tests.postgres_server import Database, PostgresServer

ROOT = Path(__file__).resolve().parent.parent
HOLDER = """
import asyncio, sys
from checkins.storage.leadership import Leadership

async def main() -> None:
    lead = Leadership(sys.argv[1])
    await lead.wait_until_active()
    print("active", flush=True)
    await asyncio.sleep(3600)

asyncio.run(main())
"""


def advisory_holders(server: PostgresServer, database: Database) -> list[int]:
    rows = server.execute(
        "SELECT l.pid FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
        "WHERE l.locktype = 'advisory' AND l.granted AND d.datname = %s",
        database.name,
    )
    return [int(pid) for (pid,) in rows]  # type: ignore[call-overload]


async def timed(awaitable: asyncio.Future[object] | asyncio.Task[None], limit: float) -> float:
    started = time.monotonic()
    await asyncio.wait_for(awaitable, limit)
    return time.monotonic() - started


@pytest.fixture
async def leaders() -> AsyncIterator[list[Leadership]]:
    made: list[Leadership] = []
    yield made
    for lead in made:
        await lead.release()


async def test_one_of_two_is_active_and_closing_hands_over(
    postgres_server: PostgresServer, postgres_database: Database, leaders: list[Leadership]
) -> None:
    first, second = Leadership(postgres_database.url), Leadership(postgres_database.url)
    leaders += [first, second]
    await first.wait_until_active()
    waiting = asyncio.create_task(second.wait_until_active())
    await asyncio.sleep(1.5)
    assert not waiting.done()
    assert (first.is_active, second.is_active) == (True, False)
    assert advisory_holders(postgres_server, postgres_database) == [first.backend_pid]

    await first.release()
    handover = await timed(waiting, second.poll + 1.0)
    print(f"release -> standby active: {handover:.2f} s")
    assert second.is_active and not first.is_active
    assert not first.lost.is_set()  # giving it up is not losing it
    assert advisory_holders(postgres_server, postgres_database) == [second.backend_pid]


async def test_a_terminated_session_is_lost_at_once_and_a_standby_takes_over_within_its_poll(
    postgres_server: PostgresServer, postgres_database: Database, leaders: list[Leadership]
) -> None:
    first, second = Leadership(postgres_database.url), Leadership(postgres_database.url)
    leaders += [first, second]
    await first.wait_until_active()
    waiting = asyncio.create_task(second.wait_until_active())
    await asyncio.sleep(0.5)
    postgres_server.execute("SELECT pg_terminate_backend(%s)", first.backend_pid)
    started = time.monotonic()
    noticed = await timed(asyncio.ensure_future(first.lost.wait()), 2.0)
    assert not first.is_active
    await asyncio.wait_for(waiting, second.poll + 1.0)
    took_over = time.monotonic() - started
    print(f"terminated -> old leader lost: {noticed:.3f} s, standby active: {took_over:.2f} s")
    assert noticed < first.check_interval  # woken by the server's message, not by the next check
    assert second.is_active


async def test_a_killed_holder_is_replaced_within_ten_seconds(
    postgres_database: Database, leaders: list[Leadership]
) -> None:
    holder = await asyncio.create_subprocess_exec(
        sys.executable, "-c", HOLDER, postgres_database.url, cwd=ROOT, env=os.environ | {"PYTHONPATH": str(ROOT)},
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        assert holder.stdout is not None
        assert await asyncio.wait_for(holder.stdout.readline(), 30) == b"active\n"
        standby = Leadership(postgres_database.url)
        leaders.append(standby)
        waiting = asyncio.create_task(standby.wait_until_active())
        await asyncio.sleep(1.5)
        assert not waiting.done()
        holder.send_signal(signal.SIGKILL)
        took_over = await timed(waiting, 10.0)
        print(f"kill -9 -> standby active: {took_over:.2f} s")
        assert standby.is_active
    finally:
        with contextlib.suppress(ProcessLookupError):
            holder.kill()
        await holder.wait()


class Proxy:
    """A TCP relay between a client and the server that can stop relaying without closing anything: to the client,
    the database has gone silent, as behind a network partition."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cut = asyncio.Event()
        self.server: asyncio.Server | None = None
        self.writers: list[asyncio.StreamWriter] = []
        self.relays: list[asyncio.Task[object]] = []

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._relay_both, "127.0.0.1", 0)
        return int(self.server.sockets[0].getsockname()[1])

    async def _relay_both(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", self.port)
        self.writers += [writer, upstream_writer]
        relays = [
            asyncio.create_task(self._relay(*pair)) for pair in ((reader, upstream_writer), (upstream_reader, writer))
        ]
        self.relays += relays
        await asyncio.wait(relays)

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError):
            while data := await reader.read(65536):
                if self.cut.is_set():
                    continue
                writer.write(data)
                await writer.drain()

    async def close(self) -> None:
        for writer in self.writers:
            writer.close()
        if self.relays:
            await asyncio.wait(self.relays, timeout=5)
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()


async def test_a_leader_cut_off_from_the_database_stops_before_the_server_could_free_the_lock(
    postgres_server: PostgresServer, postgres_database: Database, leaders: list[Leadership]
) -> None:
    proxy = Proxy(postgres_server.port)
    relayed = postgres_database.url.replace(f":{postgres_server.port}/", f":{await proxy.start()}/")
    try:
        lead = Leadership(relayed)
        leaders.append(lead)
        await lead.wait_until_active()
        await asyncio.sleep(1.2)
        assert lead.is_active  # the checks pass through the relay
        proxy.cut.set()
        noticed = await timed(asyncio.ensure_future(lead.lost.wait()), 5.0)
        print(f"partition -> leader stops: {noticed:.2f} s (the server keeps the session for 6 s)")
        assert not lead.is_active
        assert noticed <= lead.check_interval + lead.check_timeout + 0.5
    finally:
        await proxy.close()


async def test_the_session_asks_the_server_to_end_it_when_the_client_vanishes(postgres_database: Database) -> None:
    url = postgres_database.url + "?options=-c%20search_path%3Dkierros"
    settings = connection_settings(url, connect_timeout=2, server_timeout=6)
    async with await psycopg.AsyncConnection.connect(autocommit=True, **settings) as conn:
        shown = {}
        for name in ("tcp_user_timeout", "tcp_keepalives_idle", "tcp_keepalives_count", "search_path"):
            row = await (await conn.execute(f"SHOW {name}")).fetchone()
            shown[name] = row[0] if row else None
    # TCP: the server itself drops a silent client after 6 s; the URL's own options are kept.
    assert shown == {
        "tcp_user_timeout": "6000",
        "tcp_keepalives_idle": "3",
        "tcp_keepalives_count": "3",
        "search_path": "kierros",
    }


@pytest.mark.postgresql
@pytest.mark.skipif(
    os.geteuid() != 0 or not all(shutil.which(tool) for tool in ("unshare", "nsenter", "ip")),
    reason="a real partition needs root and unshare, nsenter and ip (network namespaces)",
)
def test_a_real_partition_stops_the_leader_before_the_server_frees_the_lock_and_a_standby_follows() -> None:
    run = subprocess.run(
        ["unshare", "--net", "--fork", sys.executable, "-m", "tests.netns_partition"],
        cwd=ROOT, env=os.environ | {"PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    if run.returncode == 77:
        pytest.skip(run.stdout.strip())
    assert run.returncode == 0, run.stdout + run.stderr
    seconds = json.loads(run.stdout.strip().splitlines()[-1])
    print("partition -> " + ", ".join(f"{what}: {value:.2f} s" for what, value in seconds.items()))
    assert seconds["leader_stopped"] <= 2.5  # check_interval + check_timeout, and a little slack
    assert seconds["leader_stopped"] < seconds["server_ended"] - 2  # fenced, with a margin
    assert seconds["server_ended"] <= 7.5  # server_timeout (6 s), and the keepalive's own granularity
    assert seconds["standby_active"] <= 10


async def test_after_a_database_restart_the_old_leader_knows_and_exactly_one_instance_is_active_again(
    postgres_server: PostgresServer, leaders: list[Leadership]
) -> None:
    server = PostgresServer(postgres_server.bindir)  # a server of its own, to restart
    server.start()
    try:
        first, second = Leadership(server.url("postgres")), Leadership(server.url("postgres"))
        leaders += [first, second]
        await first.wait_until_active()
        waiting = asyncio.create_task(second.wait_until_active())
        await asyncio.sleep(0.5)
        await asyncio.to_thread(server.restart)
        await asyncio.wait_for(first.lost.wait(), first.check_interval + first.check_timeout)
        again = asyncio.create_task(first.wait_until_active())
        done, _ = await asyncio.wait({waiting, again}, timeout=10, return_when=asyncio.FIRST_COMPLETED)
        assert len(done) == 1  # both reconnected and retried; one of them won
        await asyncio.sleep(2 * second.poll)
        assert [first.is_active, second.is_active].count(True) == 1
        assert (waiting.done(), again.done()) == (second.is_active, first.is_active)
        for task in (waiting, again):
            task.cancel()
    finally:
        for lead in leaders:
            await lead.release()
        server.stop()


async def test_a_frozen_leader_is_not_active_on_waking_before_its_watchdog_has_checked(
    postgres_database: Database, leaders: list[Leadership]
) -> None:
    lead = Leadership(postgres_database.url)
    leaders.append(lead)
    await lead.wait_until_active()
    time.sleep(lead.lease + 0.2)  # noqa: ASYNC251 -- the whole process stalls (a paused VM, a swap storm): no watchdog runs meanwhile
    assert not lead.is_active  # the first thing that runs on waking sees it, before sending anything
    await asyncio.sleep(lead.check_interval + 0.5)
    assert lead.is_active  # the session survived the stall: the next check renews it


def test_the_server_must_wait_longer_than_the_leader_trusts_its_lock() -> None:
    with pytest.raises(ValueError, match="must exceed the lease"):
        Leadership("postgresql://localhost/kierros", check_interval=2, check_timeout=2, server_timeout=5)


async def test_a_database_not_reached_at_start_is_an_error_and_an_outage_later_is_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """No server on the URL's port (none needed here): at start-up the first failed try ends the wait, so `bot.py run`
    says so in one line; a standby already running keeps trying, with one warning for the outage, not one a second."""
    unreachable = "postgresql://kierros@127.0.0.1:1/kierros"
    with pytest.raises(StorageUnavailable, match="OperationalError"):
        await Leadership(unreachable).wait_until_active(poll=0.01, reach_at_once=True)
    standby = Leadership(unreachable)
    waiting = asyncio.create_task(standby.wait_until_active(poll=0.01))
    await asyncio.sleep(0.3)
    assert not waiting.done()
    waiting.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await waiting
    await standby.release()
    warnings = [record for record in caplog.records if "cannot reach the database" in record.getMessage()]
    assert len(warnings) == 1
