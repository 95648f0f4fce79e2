"""The health and metrics endpoint: `/healthz`, `/livez` and `/metrics` over HTTP, on the bot's own event loop.

Off unless config.yaml has a `health:` section. `HealthServer` serves with Tornado (already a runtime dependency for
webhook mode) and is started and stopped with the application. `/healthz` answers JSON: liveness (the event loop's
heartbeat is on time, the outbox sender has not died), readiness (a query on the database answers, the bot has
started and Telegram has not been failing the outbox's requests for `TELEGRAM_FAILING_LIMIT`), whether this instance
is the active one, and how much waits in the outbox and for how long. It is 200 when live and ready — a healthy
standby included, with `active: false` — and 503 otherwise; `/livez` is the same report, 503 only when not live (for
an orchestrator that restarts on liveness alone, so a database outage does not restart every instance).
`/metrics` is Prometheus' text format from `handlers/metrics.py`. Neither says anything about a person: counts,
ages and states only.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from tornado.httpserver import HTTPServer
from tornado.web import Application, RequestHandler

from checkins.config.app import HealthConfig
from checkins.storage import OutboxDepth, Store
from handlers.metrics import Metrics

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 1.0
# A heartbeat this late means something blocked the event loop: every chat waits meanwhile.
LAG_LIMIT = 10.0
DATABASE_TIMEOUT = 5.0
# The outbox retries through short outages by itself; this long without a success is worth someone's attention.
TELEGRAM_FAILING_LIMIT = 120.0
T = TypeVar("T")


class ListenError(Exception):
    """The health endpoint cannot listen on its address (another process has the port, or no such address)."""


@dataclass(frozen=True)
class Probes:
    """What the checks read, handed in by the composition root (`handlers/application.py`)."""

    store: Store
    # Whether this instance is the one that sends and runs the schedule (a standby is healthy, and not active).
    is_active: Callable[[], bool]
    bot_started: Callable[[], bool]
    sender_running: Callable[[], bool]
    # Seconds the outbox's requests to Telegram have been failing with no success in between.
    telegram_failing_for: Callable[[], float]


class LoopWatch:
    """A heartbeat on the event loop: how late its last beat ran, and when that was."""

    def __init__(self) -> None:
        self.lag = 0.0
        self._last_beat = time.monotonic()

    async def run(self) -> None:
        while True:
            due = time.monotonic() + HEARTBEAT_SECONDS
            await asyncio.sleep(HEARTBEAT_SECONDS)
            self._last_beat = time.monotonic()
            self.lag = max(0.0, self._last_beat - due)

    def worst_lag(self) -> float:
        """The last beat's lateness, or how overdue the next beat is if the loop has not let it run."""
        return max(self.lag, time.monotonic() - self._last_beat - HEARTBEAT_SECONDS)


async def _within(awaitable: Awaitable[T], seconds: float) -> T:
    """The result, or TimeoutError after `seconds`; the work itself is never cancelled halfway (a transaction)."""
    task = asyncio.ensure_future(awaitable)
    task.add_done_callback(lambda done: done.cancelled() or done.exception())
    return await asyncio.wait_for(asyncio.shield(task), seconds)


class HealthServer:
    def __init__(self, config: HealthConfig, probes: Probes, metrics: Metrics) -> None:
        self._config = config
        self._probes = probes
        self._metrics = metrics
        self._watch = LoopWatch()
        self._heartbeat: asyncio.Task[None] | None = None
        self._server: HTTPServer | None = None

    async def start(self) -> None:
        routes: list[Any] = [
            ("/healthz", _Report, {"health": self, "require_ready": True}),
            ("/livez", _Report, {"health": self, "require_ready": False}),
            ("/metrics", _Metrics, {"health": self}),
        ]
        # No access log: a scrape every few seconds would drown the bot's own log.
        server = HTTPServer(Application(routes, log_function=lambda _: None, compress_response=False))
        try:
            server.listen(self._config.port, self._config.listen)
        except OSError as error:
            raise ListenError(
                f"the health endpoint cannot listen on {self._config.listen}:{self._config.port} ({error.strerror})"
            ) from None
        self._server = server
        self._heartbeat = asyncio.create_task(self._watch.run(), name="event-loop-heartbeat")
        log.info("health and metrics on http://%s:%d/healthz and /metrics", self._config.listen, self._config.port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            await self._server.close_all_connections()
            self._server = None
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            await asyncio.gather(self._heartbeat, return_exceptions=True)
            self._heartbeat = None

    async def report(self) -> dict[str, Any]:
        """Everything /healthz shows."""
        probes = self._probes
        lag = self._watch.worst_lag()
        loop_ok = lag < LAG_LIMIT
        sender_ok = probes.sender_running()
        database: dict[str, Any]
        depth: OutboxDepth | None = None
        started = time.monotonic()
        try:
            depth = await _within(self._outbox_depth(), DATABASE_TIMEOUT)
            database = {"ok": True, "seconds": round(time.monotonic() - started, 4)}
        except TimeoutError:
            database = {"ok": False, "problem": f"no answer within {DATABASE_TIMEOUT:g} s"}
        except Exception as error:
            database = {"ok": False, "problem": type(error).__name__}
        failing = probes.telegram_failing_for()
        bot_started = probes.bot_started()
        telegram_ok = bot_started and failing < TELEGRAM_FAILING_LIMIT
        live = loop_ok and sender_ok
        return {
            "live": live,
            "ready": live and database["ok"] and telegram_ok,
            "active": probes.is_active(),
            "checks": {
                "event_loop": {"ok": loop_ok, "lag_seconds": round(lag, 3)},
                "outbox_sender": {"ok": sender_ok},
                "database": database,
                "telegram": {"ok": telegram_ok, "started": bot_started, "failing_seconds": round(failing, 1)},
            },
            "outbox": None if depth is None else _outbox(depth),
        }

    async def scrape(self, accept: str) -> tuple[bytes, str]:
        """The metrics, with the database's figures read now."""
        async with self._probes.store.transaction() as store:
            rounds_open = await store.open_round_count()
            depth = await store.outbox_depth()
        self._metrics.refresh(
            rounds_open=rounds_open,
            depth=depth,
            oldest_age=_oldest_age(depth) or 0.0,
            active=self._probes.is_active(),
            lag=self._watch.worst_lag(),
        )
        return self._metrics.exposition(accept)

    async def _outbox_depth(self) -> OutboxDepth:
        async with self._probes.store.transaction() as store:
            return await store.outbox_depth()


def _oldest_age(depth: OutboxDepth) -> float | None:
    return None if depth.oldest_queued_at is None else max(0.0, time.time() - depth.oldest_queued_at)


def _outbox(depth: OutboxDepth) -> dict[str, Any]:
    age = _oldest_age(depth)
    return {
        "pending": depth.pending,
        "held": depth.held,
        "oldest_pending_age_seconds": None if age is None else round(age, 1),
    }


class _Report(RequestHandler):
    def initialize(self, health: HealthServer, require_ready: bool) -> None:
        self._health = health
        self._require_ready = require_ready

    async def get(self) -> None:
        report = await self._health.report()
        healthy = report["live"] and (report["ready"] or not self._require_ready)
        self.set_status(200 if healthy else 503)
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps(report))


class _Metrics(RequestHandler):
    def initialize(self, health: HealthServer) -> None:
        self._health = health

    async def get(self) -> None:
        try:
            accept = self.request.headers.get("Accept", "")
            body, content_type = await _within(self._health.scrape(accept), DATABASE_TIMEOUT)
        except Exception as error:
            # Stale or missing figures would be worse than a failed scrape, which Prometheus records as `up 0`.
            self.set_status(503)
            self.finish(f"database unavailable ({type(error).__name__})\n")
            return
        self.set_header("Content-Type", content_type)
        self.set_header("Cache-Control", "no-store")
        self.finish(body)
