"""The outbox sender: delivers queued messages, edits, photos and documents to Telegram, in order per chat, and
survives faults.

One long-running task keeps up to `concurrency` deliveries going, at most one per chat, so a chat's messages keep
their order while other chats proceed (the pacer in `handlers/pacing.py` spaces them under Telegram's limits). The
screen that answers a press is not left for that task's next pass: the press commits it already in flight when
nothing else of the chat waits, and `deliver_now` sends it the moment the commit is done (paced all the same). Each
item is marked in flight the moment its request goes out (after any wait for the pacer), then its outcome is
recorded (deliveries committed in groups, to keep the time between Telegram's reply and the commit short):

- sent: Telegram's message id is kept for later edits;
- retry later: network errors, timeouts and 5xx (for as long as it takes: soon after a lone failure, with
  exponential backoff up to 30 s during an outage), 429 (after exactly `retry_after`); other unexpected errors a
  few times, then failed;
- failed: a 400 that retrying cannot fix (logged by item id and Telegram's error category, never the text);
- held: 403 "bot can't initiate conversation" (the person never started the bot, e.g. a supervisor who has not
  written to it yet) → the chat's pending messages wait, the newest `MAX_HELD_PER_CHAT` for `HOLD_SECONDS`, and go
  out in order after the person's first /start (`Outbox.release_held`);
- unreachable: any other 403 (blocked) or "chat not found" → the member is marked unreachable, their pending
  messages are dropped and the supervisor is told how many members cannot be reached (see `MembershipService`).

Trouble is logged when it starts and when it ends, not once per failed request; sends, 429s and retries are
counted for /metrics (`handlers/metrics.py`: by Bot API method, never by chat). `stop()` lets the requests in
flight finish. An item is sent at most once — unless Telegram executed a request but its reply never arrived (a
dropped connection, or the process killed between Telegram's reply and the database commit): such an item is still
pending and is sent again, the one duplicate this design allows. Items that were in flight when the previous
process stopped are counted and logged at start-up.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import functools
import itertools
import logging
import random
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from checkins.outbox import Outbox
from checkins.storage import OutboxItem, StorageUnavailable, Store
from checkins.storage.outbox import PRIORITY_BULK, Sent
from handlers.common import TroubleLog
from handlers.metrics import DeliveryMetrics
from handlers.pacing import Turn, retry_after_seconds

log = logging.getLogger(__name__)

CONCURRENCY = 32
FIRST_BACKOFF = 0.5
MAX_BACKOFF = 30.0
MAX_ATTEMPTS_UNEXPECTED = 8
IDLE_WAIT = 30.0
STOP_GRACE = 10.0
# 400s that mean "the chat is gone", which is the same as a 403 for us.
UNREACHABLE_400 = ("chat not found", "user not found", "peer_id_invalid")
# 400s that mean an edit is no longer needed.
EDIT_NOT_NEEDED = ("message is not modified", "message to edit not found", "message can't be edited")
# Telegram's 403 for a person who has never started the bot: they can still start it later.
NOT_STARTED_403 = "can't initiate conversation"
HOLD_SECONDS = 30 * 24 * 3600.0
MAX_HELD_PER_CHAT = 50

OnUnreachable = Callable[[int], Awaitable[None]]
T = TypeVar("T")


def _markup(rows: list[list[list[str]]]) -> InlineKeyboardMarkup | None:
    if not rows:
        return None
    return InlineKeyboardMarkup([[_button(text, data) for text, data in row] for row in rows])


def _button(text: str, data: str) -> InlineKeyboardButton:
    # A link (the group-chat note's "answer privately") opens a URL; anything else is callback data.
    if data.startswith("https://"):
        return InlineKeyboardButton(text, url=data)
    return InlineKeyboardButton(text, callback_data=data)


class BatchedWrites(Generic[T]):
    """Writes that many deliveries make at once, made together: `write` returns once its value is committed, by this
    caller or by one that took it along, and raises if that failed. A transaction per delivery made the bookkeeping,
    not Telegram, the limit on how fast a fan-out goes out. `apply` runs statements that each leave a consistent
    state, with no transaction around them (`Database.each_on_its_own`)."""

    def __init__(self, store: Store, apply: Callable[[Store, list[T]], Awaitable[None]]) -> None:
        self._store = store
        self._apply = apply
        self._batch: list[T] = []
        self._committed: asyncio.Future[None] | None = None
        self._lock = asyncio.Lock()

    async def write(self, value: T) -> None:
        if self._committed is None:
            self._committed = asyncio.get_running_loop().create_future()
        committed = self._committed
        self._batch.append(value)
        async with self._lock:
            if committed is self._committed:  # nobody has taken this batch yet: commit it
                batch, self._batch, self._committed = self._batch, [], None
                try:
                    async with self._store.each_on_its_own() as store:
                        await self._apply(store, batch)
                except Exception as error:
                    committed.set_exception(error)
                    committed.exception()  # retrieved here; the others waiting on it raise it too
                    raise
                committed.set_result(None)
        await committed


async def _mark_sent(store: Store, batch: list[Sent]) -> None:
    await store.mark_sent(batch)


def _edit_of(item: OutboxItem) -> int | None:
    """The outbox row whose message an edit changes (None for anything else)."""
    edit_of = item.payload.get("edit_of") if item.kind == "edit" else None
    return int(edit_of) if edit_of is not None else None


async def _mark_in_flight(store: Store, batch: list[int]) -> None:
    await store.mark_in_flight(batch)


def _category(error: TelegramError) -> str:
    """Telegram's error without details that might quote the message ("Can't parse entities", not the offset)."""
    return error.message.split(":", 1)[0][:80]


def bot_method(item: OutboxItem) -> str:
    """The Bot API method that delivers an outbox item (for /metrics)."""
    if item.kind == "edit":
        return "editMessageReplyMarkup" if item.payload.get("buttons_only") else "editMessageText"
    return {"message": "sendMessage", "photo": "sendPhoto", "document": "sendDocument"}[item.kind]


class OutboxSender:
    def __init__(
        self,
        bot: Bot,
        store: Store,
        outbox: Outbox,
        clock: Callable[[], float],
        on_unreachable: OnUnreachable,
        *,
        concurrency: int = CONCURRENCY,
        metrics: DeliveryMetrics | None = None,
        may_send: Callable[[], bool] = lambda: True,
    ) -> None:
        self._bot = bot
        # False on an instance that is not (or no longer) the active one: it starts no delivery.
        self._may_send = may_send
        self._store = store
        self._outbox = outbox
        self._clock = clock
        self._on_unreachable = on_unreachable
        self._concurrency = concurrency
        self._metrics = metrics or DeliveryMetrics()
        self._trouble = TroubleLog("outbox delivery", clock, log)
        self._busy = TroubleLog("outbox bookkeeping (database busy)", clock, log)
        # PTB refuses rate-limiter arguments when no rate limiter is installed (flood limits off).
        self._paced = getattr(bot, "rate_limiter", None) is not None
        self._sent = BatchedWrites(store, _mark_sent)
        self._in_flight_marks = BatchedWrites(store, _mark_in_flight)
        self._in_flight: dict[int, asyncio.Task[bool]] = {}
        # Items a press committed in flight, sent at once (see `deliver_now`), as many at a time as the queue's.
        self._direct: set[asyncio.Task[None]] = set()
        self._direct_slots = asyncio.Semaphore(concurrency)
        self._passes = 0
        self._stopping = False

    async def run(self) -> None:
        """Deliver until `stop()`; the requests in flight then finish before this returns."""
        async with self._store.transaction() as store:
            resent = await store.clear_in_flight()
        if resent:
            log.warning(
                "outbox: %d item(s) were in flight when the bot last stopped; they are sent again "
                "(a duplicate if Telegram had already received them)",
                resent,
            )
        # Only now: an item sent directly before the in-flight marks above were cleared would be sent twice.
        self._outbox.deliver_with(self.deliver_now)
        try:
            while not self._stopping:
                self._outbox.wakeup.clear()
                try:
                    timeout = await self._start_due()
                except StorageUnavailable as error:
                    self._busy.failed(type(error).__name__)
                    timeout = FIRST_BACKOFF
                except Exception:
                    log.exception("outbox: cannot read the queue; trying again shortly")
                    timeout = FIRST_BACKOFF
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._outbox.wakeup.wait(), timeout)
        finally:
            await self._finish_in_flight()

    def failing_for(self) -> float:
        """How long deliveries have been failing without a success in between (0: they work), for /healthz."""
        return self._trouble.failing_for()

    @property
    def passes(self) -> int:
        """How many times the loop has read the queue so far (what a press's next screen no longer waits for)."""
        return self._passes

    async def stop(self) -> None:
        self._stopping = True
        self._outbox.deliver_with(None)
        self._outbox.wake()

    def deliver_now(self, items: list[OutboxItem]) -> None:
        """Send items a press has just committed in flight (`Outbox.at_once`), without waiting for a pass over the
        queue; their rows are the safety net: a crash before the outcome is recorded sends them at the next start."""
        if not self._may_send():
            # No longer the active instance (it is about to exit): the rows stay in flight, and the instance that
            # takes over sends them at its start, as after a crash.
            return
        passes = self._passes
        for item in items:
            task = asyncio.create_task(self._deliver_direct(item, passes), name=f"outbox-{item.id}")
            self._direct.add(task)
            task.add_done_callback(self._direct.discard)

    async def _deliver_direct(self, item: OutboxItem, passes: int) -> None:
        async with self._direct_slots:
            try:
                sent = await self._deliver(item, marked=True)
            except Exception:
                log.exception("outbox item %s: delivery failed unexpectedly; it is tried again shortly", item.id)
                await self._until_recorded(functools.partial(self._retry, item, FIRST_BACKOFF))
                sent = False
        # Anything of the chat queued meanwhile waited behind this item, and an item to retry is the queue's now.
        if not sent or self._passes != passes:
            self._outbox.wake()

    async def _start_due(self) -> float | None:
        """Start delivering what is due; returns how long to wait for more (None: until woken)."""
        free = self._concurrency - len(self._in_flight)
        if free <= 0:
            return None
        if not self._may_send():
            return FIRST_BACKOFF
        self._passes += 1
        async with self._store.transaction() as store:
            now = self._clock()
            await store.drop_pending_for_unreachable()
            await store.expire_held(now)
            items = await store.due_outbox(now, free, frozenset(self._in_flight))
            # A full batch means every slot is taken: the next pass comes when one frees, no need to ask when.
            next_time = now if len(items) == free else await store.next_outbox_time()
        for item in items:
            task = asyncio.create_task(self._deliver(item), name=f"outbox-{item.id}")
            self._in_flight[item.chat_id] = task
            task.add_done_callback(lambda _, chat=item.chat_id: self._done(chat))
        if next_time is None:
            return IDLE_WAIT
        # Due items of chats still busy come back when their delivery finishes (which wakes this loop). `now` is the
        # time the query used: an item that fell due since then is "not yet due" here, so it is waited for briefly.
        return min(IDLE_WAIT, next_time - now) if next_time > now else None

    def _done(self, chat_id: int) -> None:
        self._in_flight.pop(chat_id, None)
        # Reading the queue costs three queries: refill when half the slots are free, not after every delivery
        # (a chat whose delivery just finished is likelier to have its next item due, so it is not waited on long).
        if len(self._in_flight) <= self._concurrency // 2:
            self._outbox.wake()

    async def _finish_in_flight(self) -> None:
        tasks = [*self._in_flight.values(), *self._direct]
        if not tasks:
            return
        _, pending = await asyncio.wait(tasks, timeout=STOP_GRACE)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    async def _deliver(self, item: OutboxItem, *, marked: bool = False) -> bool:
        """Send one item and record the outcome; True when it was recorded as sent. `marked`: the item is in flight
        already (committed so by its press)."""
        record: Callable[[], Awaitable[None]]
        sent = False
        try:
            message_id = await self._send(item, marked)
        except StorageUnavailable as error:
            # Busy before the request went out (marking it in flight): nothing was sent, the next pass takes it.
            self._busy.failed(type(error).__name__)
            return False
        except RetryAfter as error:
            seconds = retry_after_seconds(error)
            self._trouble.failed(f"Telegram asked to wait {seconds:.0f} s")
            self._metrics.rate_limited()
            self._metrics.retried("rate_limited")
            record = functools.partial(self._retry, item, seconds)
        except Forbidden as error:
            if NOT_STARTED_403 in error.message.lower():
                record = functools.partial(self._hold, item)
            else:
                record = functools.partial(self._unreachable, item)
        except BadRequest as error:
            record = functools.partial(self._refused, item, error)
        except NetworkError as error:
            self._trouble.failed(type(error).__name__)
            self._metrics.retried("network")
            record = functools.partial(self._retry, item, self._backoff(item))
        except TelegramError as error:
            self._trouble.failed(type(error).__name__)
            if item.attempts + 1 >= MAX_ATTEMPTS_UNEXPECTED:
                log.error("outbox item %s (%s) given up after %d attempts", item.id, item.kind, item.attempts + 1)
                record = functools.partial(self._fail, item)
            else:
                self._metrics.retried("error")
                record = functools.partial(self._retry, item, self._backoff(item))
        else:
            self._trouble.succeeded()
            if message_id is not None:  # None: an edit of a message never delivered, so no request went out
                self._metrics.sent(bot_method(item))
            # Every moment between Telegram's reply and this commit is a moment a crash would cause a duplicate.
            record = functools.partial(self._sent.write, Sent(item.id, message_id, _edit_of(item)))
            sent = True
        await self._until_recorded(record)
        return sent

    async def _until_recorded(self, record: Callable[[], Awaitable[None]]) -> None:
        """Record an outcome, waiting out a busy database: a sent message left unrecorded would be sent again.
        The chat's next item waits meanwhile, so its messages keep their order."""
        for attempt in itertools.count():
            try:
                await record()
            except StorageUnavailable as error:
                self._busy.failed(type(error).__name__)
                await asyncio.sleep(min(MAX_BACKOFF, FIRST_BACKOFF * 2.0**attempt))
            else:
                self._busy.succeeded()
                return

    def _turn(self, item: OutboxItem, marked: bool) -> dict[str, Turn]:
        if marked:
            return {"rate_limit_args": Turn(item.priority == PRIORITY_BULK)}
        return {"rate_limit_args": Turn(item.priority == PRIORITY_BULK, lambda: self._in_flight_marks.write(item.id))}

    async def _mark_in_flight_unpaced(self, item: OutboxItem, marked: bool) -> None:
        if not self._paced and not marked:
            await self._in_flight_marks.write(item.id)

    def _backoff(self, item: OutboxItem) -> float:
        # During an outage each item backs off further with every attempt; a lone failure among successes (the odd
        # 5xx or dropped connection) is retried soon, however often that one item was unlucky before.
        delay = (
            min(MAX_BACKOFF, FIRST_BACKOFF * 2.0 ** min(item.attempts, 10)) if self._trouble.outage else FIRST_BACKOFF
        )
        return delay * random.uniform(0.8, 1.2)

    async def _retry(self, item: OutboxItem, delay: float) -> None:
        async with self._store.transaction() as store:
            await store.mark_retry(item.id, self._clock() + delay)

    async def _fail(self, item: OutboxItem) -> None:
        async with self._store.transaction() as store:
            await store.mark_failed(item.id)

    async def _hold(self, item: OutboxItem) -> None:
        async with self._store.transaction() as store:
            held = await store.hold_chat(item.chat_id, self._clock() + HOLD_SECONDS, MAX_HELD_PER_CHAT)
        log.info(
            "outbox item %s: the person has not started the bot; %d message(s) wait for their /start", item.id, held
        )

    async def _unreachable(self, item: OutboxItem) -> None:
        log.warning("outbox item %s: the chat cannot be reached; its pending messages are dropped", item.id)
        await self._on_unreachable(item.chat_id)

    async def _refused(self, item: OutboxItem, error: BadRequest) -> None:
        reason = error.message.lower()
        if any(phrase in reason for phrase in UNREACHABLE_400):
            await self._unreachable(item)
            return
        self._trouble.succeeded()
        if item.kind == "edit" and any(phrase in reason for phrase in EDIT_NOT_NEEDED):
            await self._sent.write(Sent(item.id, None, _edit_of(item)))
            return
        log.error("outbox item %s (%s) refused by Telegram: %s", item.id, item.kind, _category(error))
        await self._fail(item)

    async def _send_file(self, item: OutboxItem) -> int:
        """A photo or a document: the bytes travel base64-encoded in the row until Telegram has them."""
        payload = item.payload
        upload = InputFile(base64.b64decode(payload["data"]), filename=payload["filename"])
        send = self._bot.send_photo if item.kind == "photo" else self._bot.send_document
        sent = await send(item.chat_id, upload, caption=payload["caption"], parse_mode=ParseMode.HTML)
        return sent.message_id

    async def _send(self, item: OutboxItem, marked: bool = False) -> int | None:
        if item.kind in ("photo", "document"):
            return await self._send_file(item)
        payload = item.payload
        markup = _markup(payload.get("keyboard", []))
        turn = self._turn(item, marked) if self._paced else {}
        if item.kind == "message":
            await self._mark_in_flight_unpaced(item, marked)
            sent = await self._bot.send_message(
                item.chat_id,
                payload["text"],
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
                disable_web_page_preview=True,
                **turn,
            )
            return sent.message_id
        message_id = payload.get("message_id")
        if message_id is None and payload.get("edit_of") is not None:
            async with self._store.transaction() as store:
                message_id = await store.outbox_message_id(int(payload["edit_of"]))
        if message_id is None:
            # The message to edit was never delivered; there is nothing on screen to change.
            return None
        await self._mark_in_flight_unpaced(item, marked)
        if payload.get("buttons_only"):
            await self._bot.edit_message_reply_markup(item.chat_id, message_id, reply_markup=markup, **turn)
            return message_id
        await self._bot.edit_message_text(
            payload["text"],
            chat_id=item.chat_id,
            message_id=message_id,
            parse_mode=ParseMode.HTML,
            reply_markup=markup,
            disable_web_page_preview=True,
            **turn,
        )
        return message_id
