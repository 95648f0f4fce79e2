"""The outbox sender: delivers queued messages, edits, photos and documents to Telegram, in order per chat, and
survives faults.

One long-running task. Each pass takes the oldest pending item of every chat (so a chat's messages keep their order
even while one of them backs off), sends them concurrently across chats, and records the outcome: sent (with
Telegram's message id, for later edits), retry later (network errors, timeouts, 5xx, 429 after `retry_after`), or
failed (a 400 that retrying cannot fix; 403 marks the member unreachable and drops their pending messages). Logs name
the item and the error class, never the text. An item is sent at most once unless Telegram's reply to a successful
send is lost on the way back; then it is sent again, which is the one duplicate this design allows.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from checkins.outbox import Outbox
from checkins.storage import OutboxItem, Store

log = logging.getLogger(__name__)

BATCH = 64
MAX_BACKOFF = 60.0
IDLE_WAIT = 30.0


def _markup(rows: list[list[list[str]]]) -> InlineKeyboardMarkup | None:
    if not rows:
        return None
    return InlineKeyboardMarkup([[_button(text, data) for text, data in row] for row in rows])


def _button(text: str, data: str) -> InlineKeyboardButton:
    # A link (the group-chat note's "answer privately") opens a URL; anything else is callback data.
    if data.startswith("https://"):
        return InlineKeyboardButton(text, url=data)
    return InlineKeyboardButton(text, callback_data=data)


def _retry_seconds(error: RetryAfter) -> float:
    value: Any = error.retry_after
    return value.total_seconds() if hasattr(value, "total_seconds") else float(value)


class OutboxSender:
    def __init__(self, bot: Bot, store: Store, outbox: Outbox, clock: Callable[[], float]) -> None:
        self._bot = bot
        self._store = store
        self._outbox = outbox
        self._clock = clock
        self._network_down = False

    async def run(self) -> None:
        """Deliver forever; cancel the task to stop (the item in flight is finished or left pending)."""
        while True:
            self._outbox.wakeup.clear()
            async with self._store.transaction() as store:
                items = await store.due_outbox(self._clock(), BATCH)
                next_time = None if items else await store.next_outbox_time()
            if items:
                await asyncio.gather(*(asyncio.shield(self._deliver(item)) for item in items))
                continue
            timeout = IDLE_WAIT if next_time is None else max(0.0, next_time - self._clock())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._outbox.wakeup.wait(), timeout)

    async def _deliver(self, item: OutboxItem) -> None:
        try:
            message_id = await self._send(item)
        except RetryAfter as error:
            await self._retry(item, _retry_seconds(error), "rate limited")
        except Forbidden:
            log.warning("outbox item %s: chat cannot be reached (403); its pending messages are dropped", item.id)
            async with self._store.transaction() as store:
                await store.mark_failed(item.id)
                await store.drop_pending_for_chat(item.chat_id)
                member = await store.member_by_telegram_id(item.chat_id)
                if member is not None:
                    await store.set_reachable(member.id, False)
        except BadRequest as error:
            if "message is not modified" in error.message:
                await self._record(item, None)
                return
            log.error("outbox item %s (%s) refused by Telegram: %s", item.id, item.kind, type(error).__name__)
            async with self._store.transaction() as store:
                await store.mark_failed(item.id)
        except (NetworkError, TelegramError) as error:
            backoff = min(MAX_BACKOFF, 2.0 ** min(item.attempts, 6))
            await self._retry(item, backoff, type(error).__name__)
        else:
            self._recovered()
            await self._record(item, message_id)

    async def _record(self, item: OutboxItem, message_id: int | None) -> None:
        async with self._store.transaction() as store:
            await store.mark_sent(item.id, message_id)

    async def _retry(self, item: OutboxItem, delay: float, reason: str) -> None:
        if not self._network_down:
            log.warning("outbox: delivery failing (%s); retrying with backoff", reason)
            self._network_down = True
        async with self._store.transaction() as store:
            await store.mark_retry(item.id, self._clock() + delay)

    def _recovered(self) -> None:
        if self._network_down:
            log.info("outbox: delivery works again")
            self._network_down = False

    async def _send_file(self, item: OutboxItem) -> int:
        """A photo or a document: the bytes travel base64-encoded in the row until Telegram has them."""
        payload = item.payload
        upload = InputFile(base64.b64decode(payload["data"]), filename=payload["filename"])
        send = self._bot.send_photo if item.kind == "photo" else self._bot.send_document
        sent = await send(item.chat_id, upload, caption=payload["caption"], parse_mode=ParseMode.HTML)
        return sent.message_id

    async def _send(self, item: OutboxItem) -> int | None:
        if item.kind in ("photo", "document"):
            return await self._send_file(item)
        payload = item.payload
        markup = _markup(payload.get("keyboard", []))
        if item.kind == "message":
            sent = await self._bot.send_message(
                item.chat_id,
                payload["text"],
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
                disable_web_page_preview=True,
            )
            return sent.message_id
        message_id = payload.get("message_id")
        if message_id is None and payload.get("edit_of") is not None:
            async with self._store.transaction() as store:
                message_id = await store.outbox_message_id(int(payload["edit_of"]))
        if message_id is None:
            # The message to edit was never delivered; there is nothing on screen to change.
            return None
        await self._bot.edit_message_text(
            payload["text"],
            chat_id=item.chat_id,
            message_id=message_id,
            parse_mode=ParseMode.HTML,
            reply_markup=markup,
            disable_web_page_preview=True,
        )
        return message_id
