"""Webhook updates across instances: a standby stores what it receives, the active instance handles it.

Behind a load balancer, Telegram's webhook calls reach any instance. A standby (`standing_by`) listens on the same
address, port and path as the active one would, refuses a call without the right `X-Telegram-Bot-Api-Secret-Token`
(403, as PTB does) and stores each update's JSON in the database, committed before it answers 200; it never calls
Telegram (not even to answer a button press: the active instance does that when it handles the update). The active
instance's `Dispatcher` reads that table every `DRAIN_INTERVAL` and puts every update into one set of lanes: each
person's updates are handled one at a time in `update_id` order, different people's at the same time. Its own
webhook's updates join the same lanes, after a fresh look at the table: a person's earlier update that reached a
standby (which Telegram had delivered, and so stored, before sending the next) is handled first. An update from the
table is deleted only once handled, so a crash in between loses nothing (handling it again changes nothing: see
`receiving`), and one stored before this instance started is handled at start-up. When a standby becomes active it
keeps storing until its application has started up, then frees the port for PTB's webhook server (`hand_over`).
The stored JSON holds answer text and names: it is never logged, and lives only for the moment in transit
(PRIVACY.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import json
import logging
import time
from collections.abc import AsyncIterator
from contextvars import ContextVar
from http import HTTPStatus
from typing import Any

from telegram import Update
from telegram.ext import Application, ApplicationHandlerStop, TypeHandler
from tornado.httpserver import HTTPServer
from tornado.web import Application as WebApplication
from tornado.web import HTTPError, RequestHandler

from checkins.config.app import AppConfig, WebhookConfig
from checkins.storage import StorageUnavailable, Store, handling_update
from handlers import receiving
from handlers.common import TroubleLog
from handlers.context import KierrosContext
from handlers.health import ListenError

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
DISPATCHER_KEY = "inbound_dispatcher"
# A standby's receiver, from the moment this instance became active until its application has started up.
STANDBY_KEY = "standby_receiver"
# How often the active instance looks for updates a standby stored: a member waits at most this much longer.
DRAIN_INTERVAL = 0.25
BATCH = 500
# A standby that stops listening lets the requests it is storing finish first (for at most this long).
FINISH_SECONDS = 5.0

# Set in the dispatcher's lanes: an update handled there must not be taken off to the lanes again.
_dispatched: ContextVar[bool] = ContextVar("dispatched", default=False)


class _Receive(RequestHandler):
    """One webhook call to a standby: checked like PTB's own handler, then stored."""

    SUPPORTED_METHODS = ("POST",)  # type: ignore[assignment]

    def initialize(self, receiver: StandbyReceiver) -> None:
        self._receiver = receiver

    async def post(self) -> None:
        if self.request.headers.get("Content-Type") != "application/json":
            raise HTTPError(HTTPStatus.FORBIDDEN)
        if self.request.headers.get(SECRET_HEADER) != self._receiver.secret:
            raise HTTPError(HTTPStatus.FORBIDDEN, reason="Request had no or the wrong secret token")
        try:
            payload = self.request.body.decode()
            update_id = json.loads(payload)["update_id"]
            if isinstance(update_id, bool) or not isinstance(update_id, int) or not 0 <= update_id < 2**63:
                raise TypeError
        except (UnicodeDecodeError, ValueError, TypeError, KeyError):
            raise HTTPError(HTTPStatus.BAD_REQUEST, reason="Update could not be processed") from None
        try:
            await self._receiver.keep(update_id, payload)
        except StorageUnavailable as error:
            # Telegram keeps the update and calls again (here or at another instance).
            log.warning("webhook: an update could not be kept for the active instance: %s", error)
            raise HTTPError(HTTPStatus.SERVICE_UNAVAILABLE) from None
        self.set_status(HTTPStatus.OK)


class StandbyReceiver:
    """The standby's webhook server: stores updates for the active instance."""

    def __init__(self, webhook: WebhookConfig, secret: str, store: Store) -> None:
        self.secret = secret
        self._store = store
        self._webhook = webhook
        self._server: HTTPServer | None = None
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()

    async def keep(self, update_id: int, payload: str) -> None:
        """Store one update, committed before this returns (and so before Telegram hears 200)."""
        self._in_flight += 1
        self._idle.clear()
        try:
            async with self._store.transaction() as store:
                await store.store_inbound(update_id, payload, time.time())
        finally:
            self._in_flight -= 1
            if not self._in_flight:
                self._idle.set()

    def start(self) -> None:
        routes: list[Any] = [(rf"/{self._webhook.path}/?", _Receive, {"receiver": self})]
        # No access log (like PTB's webhook server): Telegram's calls are not worth a line each.
        server = HTTPServer(WebApplication(routes, log_function=lambda _: None))
        try:
            server.listen(self._webhook.port, self._webhook.listen)
        except OSError as error:
            raise ListenError(
                f"the webhook cannot listen on {self._webhook.listen}:{self._webhook.port} ({error.strerror})"
            ) from None
        self._server = server
        log.info(
            "webhook: standing by on %s:%d, keeping updates for the active instance",
            self._webhook.listen,
            self._webhook.port,
        )

    async def close(self) -> None:
        """Stop listening (the port is free once this returns), after storing the updates being stored."""
        if self._server is not None:
            self._server.stop()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._idle.wait(), FINISH_SECONDS)
            await self._server.close_all_connections()
            self._server = None
        await self._store.close()


@contextlib.asynccontextmanager
async def standing_by(
    application: Application,  # type: ignore[type-arg]
    secret: str | None,
    until: asyncio.Future[None],
) -> AsyncIterator[None]:
    """While this instance stands by in webhook mode: receive Telegram's calls and store them for the active one.

    When `until` (the wait for the leadership) succeeded, the receiver outlives the block: it keeps the port until
    the application has started up (`hand_over`), just before PTB's own webhook server listens there, so Telegram
    meets a closed port for milliseconds rather than for the whole start-up."""
    config: AppConfig = application.bot_data["config"]
    if config.webhook is None or not secret:
        yield
        return
    receiver = StandbyReceiver(config.webhook, secret, await Store.open(config.storage_target))
    try:
        receiver.start()
        yield
    except BaseException:
        await receiver.close()
        raise
    if until.done() and not until.cancelled() and until.exception() is None:
        application.bot_data[STANDBY_KEY] = receiver
    else:
        await receiver.close()


async def hand_over(application: Application) -> None:  # type: ignore[type-arg]
    """The application has started up: stop storing, free the port for PTB's webhook server."""
    receiver: StandbyReceiver | None = application.bot_data.pop(STANDBY_KEY, None)
    if receiver is not None:
        await receiver.close()


class Dispatcher:
    """The active instance's lanes for updates from the table and from its own webhook."""

    def __init__(self, application: Application, store: Store) -> None:  # type: ignore[type-arg]
        self._application = application
        self._store = store
        self._lanes: dict[int, list[tuple[int, bool, Update]]] = {}
        self._workers: dict[int, asyncio.Task[None]] = {}
        self._in_hand: set[int] = set()
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._trouble = TroubleLog("reading the updates other instances received", time.monotonic, log)

    def start(self) -> None:
        # Before every other handler (receiving's are at -1): the webhook's own updates join the lanes too.
        self._application.add_handler(TypeHandler(Update, self._take_direct), group=-2)
        self._task = asyncio.create_task(self._run(), name="inbound-updates")

    async def stop(self) -> None:
        """Read no more; finish the updates already taken (those still in the table wait for the next start)."""
        self._stop.set()
        if self._task is not None:
            await self._task
        while self._workers:
            await asyncio.gather(*self._workers.values(), return_exceptions=True)

    async def _run(self) -> None:
        while not self._stop.is_set():
            await self._read()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), DRAIN_INTERVAL)

    async def _read(self) -> None:
        try:
            async with self._store.transaction() as store:
                rows = await store.inbound_updates(BATCH)
        except StorageUnavailable as error:
            self._trouble.failed(type(error).__name__)
            return
        self._trouble.succeeded()
        for update_id, payload in rows:
            if update_id in self._in_hand:
                continue
            try:
                update = Update.de_json(json.loads(payload), self._application.bot)
            except Exception as error:  # a payload PTB cannot read would otherwise stop every later one
                log.error("webhook: stored update %s cannot be read (%s); dropped", update_id, type(error).__name__)
                await self._forget(update_id)
                continue
            self._add(update, stored=True)

    async def _take_direct(self, update: Update, context: KierrosContext) -> None:
        """An update from this instance's own webhook: after any older one a standby stored, in its lane."""
        if _dispatched.get():
            return
        handling_update(None)
        await self._read()
        self._add(update, stored=False)
        raise ApplicationHandlerStop

    def _add(self, update: Update, *, stored: bool) -> None:
        if update.update_id in self._in_hand:
            return
        self._in_hand.add(update.update_id)
        key = receiving.lane(update)
        heapq.heappush(self._lanes.setdefault(key, []), (update.update_id, stored, update))
        if key not in self._workers:
            self._workers[key] = asyncio.create_task(self._work(key), name="inbound-lane")

    async def _work(self, key: int) -> None:
        """Handle one person's updates in `update_id` order, including those added meanwhile."""
        _dispatched.set(True)
        lane = self._lanes[key]
        try:
            while lane:
                update_id, stored, update = heapq.heappop(lane)
                try:
                    handled = await receiving.handle(self._application, update)
                    handling_update(None)
                    if not handled and stored:
                        log.warning("update %s waits for the next try: the database stays busy", update_id)
                    elif not handled:
                        log.error("update %s dropped: the database stayed busy", update_id)
                    elif stored:
                        await self._forget(update_id)
                finally:
                    # A stored update no longer in hand is read again while its row is there.
                    self._in_hand.discard(update_id)
        finally:
            # No await from the last look at the lane to here: `_add` cannot slip an update in between. (If this
            # task failed, the updates left in its lane are let go: stored ones are read again.)
            self._in_hand.difference_update(update_id for update_id, _, _ in lane)
            del self._workers[key]
            del self._lanes[key]

    async def _forget(self, update_id: int) -> None:
        try:
            async with self._store.transaction() as store:
                await store.forget_inbound(update_id)
        except StorageUnavailable:
            pass  # read and handled again later, which changes nothing the second time


def start_dispatcher(application: Application, store: Store) -> None:  # type: ignore[type-arg]
    dispatcher = Dispatcher(application, store)
    application.bot_data[DISPATCHER_KEY] = dispatcher
    dispatcher.start()


async def stop_dispatcher(application: Application) -> None:  # type: ignore[type-arg]
    dispatcher: Dispatcher | None = application.bot_data.pop(DISPATCHER_KEY, None)
    if dispatcher is not None:
        await dispatcher.stop()
