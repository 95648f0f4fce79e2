"""The durable outbox's domain side: queue a message, an edit, a photo or a document in SQLite, and wake the sender.

Nothing in the domain sends to Telegram directly. `Outbox.send`, `edit`, `send_photo` and `send_document` write a
row in the caller's open transaction, so a message exists exactly when the state change that caused it was committed;
a `dedupe` key makes a repeated attempt (a timer firing twice, a retried command) a no-op. A `bulk` message (a
round's fan-out) waits behind interactive ones, so a member answering is not held up by a fan-out to everyone else; a
`tidy` edit (taking the buttons off a screen the member left) waits behind other members' next screens, and a
`notice` about a topic replaces a still-waiting notice about the same topic. The sender in `handlers/delivery.py`
delivers rows in order per chat and records Telegram's message id, which later edits refer to through the row's id.
Inside `at_once()` (around a member's press and its transaction), the screen that answers the member is written
already in flight when nothing else of their chat waits, and handed to the sender the moment the transaction has
committed, not left for the sender's next pass over the queue; the row stays the safety net (a crash before it went
out sends it at the next start).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from checkins.messages import Screen
from checkins.storage import OutboxItem, Store
from checkins.storage.outbox import PRIORITY_BULK, PRIORITY_INTERACTIVE, PRIORITY_TIDY, ScreenTarget

Deliver = Callable[[list[OutboxItem]], None]


@dataclass
class _AtOnce:
    """What one `at_once()` block queued: items to hand to the sender, and whether anything else waits in the queue."""

    items: list[OutboxItem] = field(default_factory=list)
    queued: bool = False
    # Screens read along with the press (`Outbox.knows`): (chat, outbox row) → what an edit of it needs to know.
    known: dict[tuple[int, int], ScreenTarget] = field(default_factory=dict)


_at_once: ContextVar[_AtOnce | None] = ContextVar("outbox_at_once", default=None)


def _payload(screen: Screen) -> dict[str, Any]:
    return {
        "text": screen.text,
        "keyboard": [[[button.text, button.data] for button in row] for row in screen.keyboard],
    }


def _edit_payload(screen: Screen, message_id: int | None, edit_of: int | None, buttons_only: bool) -> dict[str, Any]:
    payload = _payload(screen) | {"message_id": message_id, "edit_of": edit_of}
    if buttons_only:
        # editMessageReplyMarkup: the text stays as it is on screen.
        del payload["text"]
        payload["buttons_only"] = True
    return payload


def _file_payload(content: bytes, filename: str, caption_html: str) -> dict[str, Any]:
    return {"data": base64.b64encode(content).decode("ascii"), "filename": filename, "caption": caption_html}


class Outbox:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._wakeup = asyncio.Event()
        self._deliver: Deliver | None = None

    @property
    def wakeup(self) -> asyncio.Event:
        return self._wakeup

    def wake(self) -> None:
        self._wakeup.set()

    def deliver_with(self, deliver: Deliver | None) -> None:
        """The running sender takes items to send at once (None: it stopped; everything waits in the queue)."""
        self._deliver = deliver

    @contextlib.contextmanager
    def at_once(self) -> Iterator[None]:
        """Around a transaction that answers a member: what it queues goes out as soon as it has committed (the
        block ended without an error), directly where it can, and by waking the sender otherwise."""
        batch = _AtOnce()
        token = _at_once.set(batch)
        try:
            yield
        finally:
            _at_once.reset(token)
        # Were the sender to stop in between, the rows stay in flight: they go out at the next start.
        if batch.items and self._deliver is not None:
            self._deliver(batch.items)
        if batch.queued:
            self.wake()

    def knows(self, chat_id: int, outbox_id: int | None, target: ScreenTarget | None) -> None:
        """Inside `at_once()`: the screen `outbox_id` of this chat as the transaction found it, read along with an
        earlier query, so an edit of it needs no query of its own (one trip to the database fewer a press)."""
        batch = _at_once.get()
        if batch is not None and outbox_id is not None and target is not None:
            batch.known[chat_id, outbox_id] = target

    async def _screen_target(self, chat_id: int, outbox_id: int | None) -> ScreenTarget:
        batch = _at_once.get()
        if batch is not None and outbox_id is not None:
            known = batch.known.pop((chat_id, outbox_id), None)
            # Only while this block has queued nothing: anything queued since may have changed the chat's queue.
            if known is not None and not batch.queued and not batch.items:
                return known
        return await self._store.screen_target(chat_id, outbox_id)

    async def _enqueue(
        self,
        chat_id: int,
        kind: str,
        payload: dict[str, Any],
        dedupe: str | None = None,
        priority: int = PRIORITY_INTERACTIVE,
    ) -> int | None:
        batch = _at_once.get()
        if batch is not None:
            batch.queued = True
        return await self._store.enqueue(chat_id, kind, payload, dedupe, priority)

    async def _at_once_if_idle(self, chat_id: int, kind: str, payload: dict[str, Any], chat_idle: bool) -> int | None:
        """Queue an interactive item in flight for the sender to send right after the commit, when this is inside
        `at_once()`, a sender runs and nothing of the chat waits before it (its order kept); None otherwise."""
        batch = _at_once.get()
        if batch is None or self._deliver is None or not chat_idle:
            return None
        outbox_id = await self._store.enqueue_in_flight(chat_id, kind, payload, PRIORITY_INTERACTIVE)
        batch.items.append(OutboxItem(outbox_id, chat_id, kind, payload, 0, PRIORITY_INTERACTIVE))
        return outbox_id

    async def send(self, chat_id: int, screen: Screen, dedupe: str | None = None, *, bulk: bool = False) -> int | None:
        """Queue a new message; returns the outbox id later edits can refer to."""
        priority = PRIORITY_BULK if bulk else PRIORITY_INTERACTIVE
        return await self._enqueue(chat_id, "message", _payload(screen), dedupe, priority)

    async def notice(self, chat_id: int, screen: Screen, topic: str, not_before: float) -> None:
        """Queue a notice about `topic` at `not_before`; until it is sent, a newer notice replaces its text."""
        batch = _at_once.get()
        if batch is not None:
            batch.queued = True
        await self._store.enqueue_topic(chat_id, topic, _payload(screen), not_before)

    async def edit(
        self,
        chat_id: int,
        screen: Screen,
        message_id: int | None,
        edit_of: int | None,
        *,
        tidy: bool = False,
        buttons_only: bool = False,
    ) -> None:
        """Queue an edit of a message known by its Telegram id or by the outbox row that sent it. A `tidy` edit
        (a screen the member has left) waits behind every member's next screen, not behind fan-outs. With
        `buttons_only` only the keyboard changes: the text on screen (whatever line stands above it) stays."""
        if message_id is None and edit_of is None:
            return
        if buttons_only:
            screen = Screen("", screen.keyboard)
        if not tidy and _at_once.get() is not None:
            target = await self._screen_target(chat_id, edit_of)
            message_id = message_id if message_id is not None else target.message_id
            if message_id is not None:
                payload = _edit_payload(screen, message_id, edit_of, buttons_only)
                if await self._at_once_if_idle(chat_id, "edit", payload, target.chat_idle) is not None:
                    return
        payload = _edit_payload(screen, message_id, edit_of, buttons_only)
        await self._enqueue(chat_id, "edit", payload, priority=PRIORITY_TIDY if tidy else PRIORITY_INTERACTIVE)

    async def replace(
        self, chat_id: int, screen: Screen, shown_by: int | None, pressed: int | None = None
    ) -> int | None:
        """Show `screen` in place of the member's current screen (the message the outbox row `shown_by` sent);
        returns the row now showing it: `shown_by`, or a new message's when that one never reached the chat.
        `pressed`: the message the member pressed a button of this screen on."""
        target = await self._screen_target(chat_id, shown_by) if shown_by is not None else None
        # The screen is on the member's phone although its row waits to be sent (again): its reply was lost, or this
        # is an earlier copy. The pressed message becomes the screen, and the row is not sent a second time.
        lost_reply = shown_by is not None and target is not None and target.message_id is None and pressed is not None
        if lost_reply and await self._store.adopt_message(shown_by, pressed):
            target = await self._store.screen_target(chat_id, shown_by)
        if target is None or target.gone:
            return await self.send(chat_id, screen)
        payload = _payload(screen) | {"message_id": target.message_id, "edit_of": shown_by}
        if target.message_id is None or await self._at_once_if_idle(chat_id, "edit", payload, target.chat_idle) is None:
            await self._enqueue(chat_id, "edit", payload)
        return shown_by

    async def remove_buttons(self, chat_id: int, edit_of: int | None) -> None:
        """Queue taking the buttons off a screen the member has left (sent by the outbox row `edit_of`), its text
        kept as it is. It waits behind every member's next screen, like a `tidy` edit."""
        if edit_of is None:
            return
        await self._enqueue(chat_id, "edit", _edit_payload(Screen(""), None, edit_of, True), priority=PRIORITY_TIDY)

    async def release_held(self, chat_id: int, now: float) -> int:
        """A person started the bot: the messages held for them go out now."""
        async with self._store.transaction() as store:
            released = await store.release_held(chat_id, now)
        if released:
            self.wake()
        return released

    async def send_photo(
        self, chat_id: int, image: bytes, filename: str, caption_html: str, dedupe: str | None = None
    ) -> int | None:
        """Queue a picture (PNG bytes) with a caption; the bytes live in the row until Telegram has them."""
        return await self._enqueue(chat_id, "photo", _file_payload(image, filename, caption_html), dedupe)

    async def send_document(
        self, chat_id: int, content: bytes, filename: str, caption_html: str, dedupe: str | None = None
    ) -> int | None:
        """Queue a file to download (e.g. the printable report) with a caption."""
        return await self._enqueue(chat_id, "document", _file_payload(content, filename, caption_html), dedupe)
