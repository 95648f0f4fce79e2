"""Receiving updates: long polling that confirms an update only after it was handled, and each update once.

PTB's own updater confirms a batch of updates (by asking for the next offset) as soon as it has fetched it, before
the handlers ran; a crash then loses those updates — a member's answer among them. `Poller` asks for the next
offset only after every update of the batch was handled, so after a crash Telegram delivers the unhandled ones
again. What makes that safe is `remember_update` (registered first): storage records each update that changed
something in the same transaction as the change, and a repeat raises `AlreadyHandled` instead of changing it twice.

Within a batch, each person's updates are handled in order, different people's concurrently, so one member's reply
waiting for Telegram's per-chat limit does not hold up everyone else. An update that failed only because the
database was busy is handled again after a short pause (in webhook mode, where PTB has already acknowledged it,
by putting it back on PTB's update queue). When the Bot API cannot be reached, polling backs off
(up to `MAX_BACKOFF`) and says so once, and once more when it works again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any

from telegram import Update
from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.ext import Application, TypeHandler

from checkins.storage import handling_update
from handlers.common import TroubleLog
from handlers.context import KierrosContext
from handlers.pacing import retry_after_seconds

log = logging.getLogger(__name__)

RETRY_KEY = "updates_to_retry"
# Updates being handled by `handle`, which tries a busy one again itself (the poller's, and in webhook mode those
# another instance received: handlers/inbound.py).
IN_HAND_KEY = "updates_in_hand"
# Set in webhook mode, where no poller hands updates back: a busy update goes back on PTB's update queue instead.
WEBHOOK_KEY = "webhook_mode"
WEBHOOK_RETRIES_KEY = "webhook_busy_attempts"
FIRST_BACKOFF = 0.5
MAX_BACKOFF = 10.0
BUSY_RETRIES = 5
# People handled at the same time within a batch of up to 100 updates: enough to keep the CPU busy while some wait
# for Telegram; more only adds HTTP connections, every one of which the client scans for each request.
LANES_AT_ONCE = 16


async def remember_update(update: Update, context: KierrosContext) -> None:
    """Before any handler: storage transactions from here on belong to this update (see `handling_update`)."""
    handling_update(update.update_id)


def mark_for_retry(application: Application, update: object) -> None:  # type: ignore[type-arg]
    """The error handler's way to say: this update failed only because the database was busy."""
    if not isinstance(update, Update):
        return
    if not application.bot_data.get(WEBHOOK_KEY) or update.update_id in application.bot_data.get(IN_HAND_KEY, ()):
        application.bot_data.setdefault(RETRY_KEY, set()).add(update.update_id)
        return
    # Telegram already has its 200 for a webhook update: handling it again is up to us.
    attempts: dict[int, int] = application.bot_data.setdefault(WEBHOOK_RETRIES_KEY, {})
    attempt = attempts.get(update.update_id, 0)
    if attempt >= BUSY_RETRIES:
        attempts.pop(update.update_id, None)
        log.error("update %s dropped: the database stayed busy", update.update_id)
        return
    attempts[update.update_id] = attempt + 1
    for handled in [key for key in attempts if key < update.update_id - 1000]:  # long since handled or dropped
        del attempts[handled]
    asyncio.get_running_loop().call_later(FIRST_BACKOFF * 2**attempt, application.update_queue.put_nowait, update)


def lane(update: Update) -> int:
    """Updates from one person (or chat) are handled in order; others may run at the same time."""
    if update.effective_user is not None:
        return update.effective_user.id
    if update.effective_chat is not None:
        return update.effective_chat.id
    return update.update_id


class Poller:
    def __init__(
        self,
        application: Application,  # type: ignore[type-arg]
        *,
        timeout: int = 10,
        allowed_updates: list[str] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._application = application
        self._timeout = timeout
        self._allowed_updates = allowed_updates if allowed_updates is not None else list(Update.ALL_TYPES)
        self._offset = 0
        self._stop = asyncio.Event()
        self._trouble = TroubleLog("polling", clock, log)

    async def run(self) -> None:
        """Poll until `stop()`; the batch being handled is finished first. Raises on an invalid token."""
        backoff = FIRST_BACKOFF
        while not self._stop.is_set():
            try:
                updates = await self._fetch()
            except InvalidToken:
                raise
            except RetryAfter as error:
                self._trouble.failed(type(error).__name__)
                await self._pause(retry_after_seconds(error))
                continue
            except (NetworkError, Conflict, TelegramError) as error:
                self._trouble.failed(type(error).__name__)
                await self._pause(backoff)
                backoff = min(MAX_BACKOFF, backoff * 2)
                continue
            except Exception as error:
                # An update PTB cannot parse must not end polling; it is logged (by PTB) and retried.
                self._trouble.failed(type(error).__name__)
                await self._pause(MAX_BACKOFF)
                continue
            if updates is None:
                break
            self._trouble.succeeded()
            backoff = FIRST_BACKOFF
            if updates:
                await self._handle_batch(updates)
                self._offset = updates[-1].update_id + 1
        await self._confirm()

    async def stop(self) -> None:
        self._stop.set()

    async def _fetch(self) -> tuple[Update, ...] | None:
        """The next batch, or None when stopped while waiting."""
        poll = asyncio.ensure_future(
            self._application.bot.get_updates(
                offset=self._offset, timeout=self._timeout, allowed_updates=self._allowed_updates
            )
        )
        stopped = asyncio.ensure_future(self._stop.wait())
        try:
            await asyncio.wait({poll, stopped}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopped.cancel()
        if not poll.done():
            poll.cancel()
            with contextlib.suppress(asyncio.CancelledError, TelegramError):
                await poll
            return None
        return poll.result()

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), seconds)

    async def _confirm(self) -> None:
        """Tell Telegram the last batch was handled, so the next start does not see it again."""
        if not self._offset:
            return
        with contextlib.suppress(TelegramError):
            await self._application.bot.get_updates(offset=self._offset, timeout=0, limit=1)

    async def _handle_batch(self, updates: tuple[Update, ...]) -> None:
        lanes: dict[int, list[Update]] = {}
        for update in updates:
            lanes.setdefault(lane(update), []).append(update)
        slots = asyncio.Semaphore(LANES_AT_ONCE)
        await asyncio.gather(*(self._handle_lane(lane, slots) for lane in lanes.values()))

    async def _handle_lane(self, updates: list[Update], slots: asyncio.Semaphore) -> None:
        async with slots:
            await self._handle_in_order(updates)

    async def _handle_in_order(self, updates: list[Update]) -> None:
        for update in updates:
            if not await handle(self._application, update):
                log.error("update %s dropped: the database stayed busy", update.update_id)


async def handle(application: Application, update: Update) -> bool:  # type: ignore[type-arg]
    """Handle one update, again after a pause while it fails only because the database is busy; False if it still
    did after `BUSY_RETRIES` attempts."""
    retry: set[int] = application.bot_data.setdefault(RETRY_KEY, set())
    in_hand: set[int] = application.bot_data.setdefault(IN_HAND_KEY, set())
    in_hand.add(update.update_id)
    try:
        for attempt in range(BUSY_RETRIES):
            await application.process_update(update)
            if update.update_id not in retry:
                return True
            retry.discard(update.update_id)
            await asyncio.sleep(FIRST_BACKOFF * 2**attempt)
        return False
    finally:
        in_hand.discard(update.update_id)


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    application.add_handler(TypeHandler(Update, remember_update), group=-1)
