"""Which one of several `bot.py run` processes on one PostgreSQL database is active: a session advisory lock.

Each process opens a dedicated connection (autocommit, not from the pool) and tries
`pg_try_advisory_lock(LOCK_KEY)` every `poll` seconds; the one that gets it is active (it polls Telegram or owns the
webhook's sending, runs the schedule and the outbox sender), the others wait. PostgreSQL releases a session lock only
when the session ends, so a holder that dies (even `kill -9`: its kernel closes the socket) is replaced within one
poll. A holder that is cut off (its machine gone, a network partition) is ended by the server itself after
`server_timeout` seconds without an answer from it: the connection asks the server for TCP keepalives and a TCP user
timeout on its side of the socket. Meanwhile a watchdog on the active instance proves every `check_interval` that its
session still holds the lock (and wakes at once when the server ends the session); when a check fails or takes longer
than `check_timeout`, `lost` is set and `is_active` turns false, which is the caller's cue to stop sending.

Fencing: the old leader stops first. It notices a partition within `check_interval + check_timeout` (2 s by default),
while the server keeps its session, and so the lock, for `server_timeout` (6 s) after it last heard from it, and a
standby needs up to one `poll` (1 s) more to take it: no moment has two senders, beyond a request already on its way
to Telegram, which the new leader sends again because its outbox row was never marked sent (the documented in-flight
duplicate). `is_active` also turns false on its own when no check has succeeded for `lease` seconds, so even a
process frozen for longer than that (a paused VM) does not send on waking before its watchdog runs. An instance cut
off from the database but not from Telegram can do no harm by stopping: it can commit nothing anyway, so every answer
it would receive stays with Telegram (polling) or fails its webhook call (the load balancer retries elsewhere) until
the new leader reads it. An administrator's `pg_terminate_backend` or a database failover ends the session at once;
the watchdog then reacts within milliseconds, while a standby needs its next poll.

Connect this directly to PostgreSQL (or through PgBouncer in *session* mode), never through a transaction-mode
pooler: there a session lock stays on whichever server connection ran it, and another client may be handed that same
connection and be told it holds the lock too. Advisory locks are per database, so deployments in separate databases
of one server do not contend.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
from collections.abc import Awaitable
from typing import Any, Self, TypeVar

import psycopg
from psycopg.conninfo import conninfo_to_dict

from checkins.storage.base import StorageUnavailable

log = logging.getLogger(__name__)
T = TypeVar("T")

# A 64-bit key no other application is likely to use: the first eight bytes of sha256("kierros"), signed.
LOCK_KEY = int.from_bytes(hashlib.sha256(b"kierros").digest()[:8], "big", signed=True)
# In pg_locks a bigint advisory key shows as classid (its high 32 bits) and objid (its low 32 bits), objsubid 1.
HOLDS_LOCK = """
    SELECT EXISTS (
        SELECT FROM pg_locks
        WHERE locktype = 'advisory' AND granted AND pid = pg_backend_pid()
          AND classid = %(high)s AND objid = %(low)s AND objsubid = 1
    )
"""


def connection_settings(url: str, *, connect_timeout: float, server_timeout: float) -> dict[str, Any]:
    """Connection parameters for the leadership connection: the URL's own, plus timeouts on both ends of the socket.

    The client's keepalives and `tcp_user_timeout` end a connection to a vanished server instead of waiting on it;
    the server-side settings in `options` (user-settable, applied to this session's socket) make the server end a
    vanished client's session, and so free the lock, within `server_timeout` seconds. Over a Unix socket the TCP
    settings do nothing (and are not needed: the kernel knows when the peer is gone).
    """
    params: dict[str, Any] = conninfo_to_dict(url)
    timeout_ms = int(server_timeout * 1000)
    idle = max(1, int(server_timeout // 2))
    server = {
        "tcp_keepalives_idle": idle,
        "tcp_keepalives_interval": 1,
        "tcp_keepalives_count": max(1, int(server_timeout) - idle),
        "tcp_user_timeout": timeout_ms,
        "statement_timeout": timeout_ms,
    }
    options = " ".join(f"-c {name}={value}" for name, value in server.items())
    params["options"] = f"{params['options']} {options}" if params.get("options") else options
    params.setdefault("application_name", "kierros-leadership")
    return params | {
        "connect_timeout": max(1, round(connect_timeout)),
        "keepalives": 1,
        "keepalives_idle": idle,
        "keepalives_interval": 1,
        "keepalives_count": max(1, int(server_timeout) - idle),
        "tcp_user_timeout": timeout_ms,
    }


def _wake(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def _retrieve(task: asyncio.Future[Any]) -> None:
    """Mark an abandoned operation's outcome as seen (its error is the reason it was abandoned, already handled)."""
    if not task.cancelled():
        task.exception()


class Leadership:
    """One instance's claim to be the active one: `await wait_until_active()`, then stop sending when `lost` is set."""

    def __init__(
        self,
        url: str,
        *,
        poll: float = 1.0,
        check_interval: float = 1.0,
        check_timeout: float = 1.0,
        connect_timeout: float = 2.0,
        server_timeout: float = 6.0,
        key: int = LOCK_KEY,
    ) -> None:
        self.poll = poll
        self.check_interval = check_interval
        self.check_timeout = check_timeout
        # How long `is_active` trusts the last successful check (slack for a busy event loop).
        self.lease = check_interval + check_timeout + 1.0
        if self.lease >= server_timeout:
            # The fence: this instance must stop trusting its lock before the server could give it to another.
            raise ValueError(f"server_timeout ({server_timeout:g} s) must exceed the lease ({self.lease:g} s)")
        self.key = key
        self.lost = asyncio.Event()
        self.backend_pid: int | None = None
        self._settings = connection_settings(url, connect_timeout=connect_timeout, server_timeout=server_timeout)
        self._connect_timeout = connect_timeout
        self._conn: psycopg.AsyncConnection[Any] | None = None
        self._watchdog: asyncio.Task[None] | None = None
        self._confirmed = 0.0
        self._holding = False

    @property
    def is_active(self) -> bool:
        """True while this instance holds the lock and its last check is recent (checked before every send)."""
        return self._holding and time.monotonic() - self._confirmed < self.lease

    async def wait_until_active(self, poll: float | None = None, *, reach_at_once: bool = False) -> None:
        """Return once this instance holds the lock, trying every `poll` seconds (reconnecting when needed).

        With `reach_at_once`, a database that does not answer the first try raises `StorageUnavailable`: at start-up
        that is a wrong URL or a server not running, which the operator must hear about, not a passing outage."""
        interval = self.poll if poll is None else poll
        waiting_logged = unreachable = False
        first = True
        while not self._holding:
            try:
                if await self._try_acquire():
                    break
                if not waiting_logged:
                    log.info("leadership: standing by, another instance is active")
                    waiting_logged = True
                if unreachable:
                    log.info("leadership: the database answers again")
                    unreachable = False
            except (psycopg.Error, OSError, TimeoutError) as error:
                await self._discard()
                if first and reach_at_once:
                    raise StorageUnavailable(f"PostgreSQL: {type(error).__name__}") from error
                if not unreachable:  # once an outage, not every second of it
                    log.warning("leadership: cannot reach the database (%s); retrying", type(error).__name__)
                    unreachable = True
            first = False
            await asyncio.sleep(interval)
        log.info("leadership: this instance is active (database backend %s)", self.backend_pid)

    async def _try_acquire(self) -> bool:
        if self._conn is None or self._conn.closed:
            self._conn = await self._within(
                psycopg.AsyncConnection.connect(autocommit=True, **self._settings), self._connect_timeout + 1
            )
        conn = self._conn
        cursor = await self._within(
            conn.execute("SELECT pg_try_advisory_lock(%s), pg_backend_pid()", (self.key,)), self.check_timeout + 1
        )
        row = await cursor.fetchone()
        if row is None or not row[0]:
            return False
        # Proves the lock belongs to this very session (a transaction pooler could have run it on another).
        if not await self._within(self._holds_lock(conn), self.check_timeout + 1):
            raise psycopg.OperationalError("the advisory lock is not held by this session: is a pooler in between?")
        self.backend_pid = int(row[1])
        self._confirmed = time.monotonic()
        self._holding = True
        self.lost.clear()
        self._watchdog = asyncio.create_task(self._watch(conn), name="leadership-watchdog")
        return True

    async def _holds_lock(self, conn: psycopg.AsyncConnection[Any]) -> bool:
        unsigned = self.key & 0xFFFF_FFFF_FFFF_FFFF
        cursor = await conn.execute(HOLDS_LOCK, {"high": unsigned >> 32, "low": unsigned & 0xFFFF_FFFF})
        row = await cursor.fetchone()
        return bool(row and row[0])

    async def _within(self, operation: Awaitable[T], seconds: float) -> T:
        """Await `operation` for at most `seconds`; on time-out close the connection (which ends the
        operation at once, where a cancellation would first try to reach the server) and raise TimeoutError."""
        task = asyncio.ensure_future(operation)
        task.add_done_callback(_retrieve)
        try:
            done, _ = await asyncio.wait({task}, timeout=seconds)
        except asyncio.CancelledError:
            task.cancel()
            raise
        if task in done:
            return task.result()
        await self._discard()
        task.cancel()
        raise TimeoutError

    async def _watch(self, conn: psycopg.AsyncConnection[Any]) -> None:
        """Check every `check_interval` (or at once when the server sends something unasked, such as the message
        that ends the session) that this session still holds the lock; on the first failure, give it up."""
        loop = asyncio.get_running_loop()
        while True:
            woken: asyncio.Future[None] = loop.create_future()
            try:
                fd = conn.fileno()
                loop.add_reader(fd, _wake, woken)
                try:
                    await asyncio.wait({woken}, timeout=self.check_interval)
                finally:
                    loop.remove_reader(fd)
                if await self._within(self._holds_lock(conn), self.check_timeout):
                    self._confirmed = time.monotonic()
                    continue
                reason = "the lock is no longer held by this session"
            except TimeoutError:
                reason = f"no answer from the database within {self.check_timeout:g} s"
            except (psycopg.Error, OSError) as error:
                reason = f"the connection failed ({type(error).__name__})"
            self._lose(reason)
            await self._discard()
            return

    def _lose(self, reason: str) -> None:
        self._holding = False
        self.lost.set()
        log.warning("leadership: lost (%s); this instance stops sending", reason)

    async def _discard(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None and not conn.closed:
            with contextlib.suppress(psycopg.Error, OSError):
                await conn.close()

    async def release(self) -> None:
        """Give up the lock (closing the session frees it at once) and stop watching; `lost` is not set."""
        self._holding = False
        watchdog, self._watchdog = self._watchdog, None
        if watchdog is not None and watchdog is not asyncio.current_task():
            watchdog.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watchdog
        await self._discard()
        self.backend_pid = None

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.release()
