"""The durable outbox's domain side: queue a message, an edit, a photo or a document in SQLite, and wake the sender.

Nothing in the domain sends to Telegram directly. `Outbox.send`, `edit`, `send_photo` and `send_document` write a
row in the caller's open transaction, so a message exists exactly when the state change that caused it was committed;
a `dedupe` key makes a repeated attempt (a timer firing twice, a retried command) a no-op. A `bulk` message (a round's
fan-out) waits behind interactive ones, so a member answering is not held up by a fan-out to everyone else; a
`tidy` edit (marking the question just answered) waits behind other members' next questions, and a
`notice` about a topic replaces a still-waiting notice about the same topic. The sender in `handlers/delivery.py`
delivers rows in order per chat and records Telegram's message id, which later edits refer to through the row's id.
"""

from __future__ import annotations

import asyncio
import base64
from typing import Any

from checkins.messages import Screen
from checkins.storage import Store
from checkins.storage.outbox import PRIORITY_BULK, PRIORITY_INTERACTIVE, PRIORITY_TIDY


def _payload(screen: Screen) -> dict[str, Any]:
    return {
        "text": screen.text,
        "keyboard": [[[button.text, button.data] for button in row] for row in screen.keyboard],
    }


def _file_payload(content: bytes, filename: str, caption_html: str) -> dict[str, Any]:
    return {"data": base64.b64encode(content).decode("ascii"), "filename": filename, "caption": caption_html}


class Outbox:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._wakeup = asyncio.Event()

    @property
    def wakeup(self) -> asyncio.Event:
        return self._wakeup

    def wake(self) -> None:
        self._wakeup.set()

    async def send(self, chat_id: int, screen: Screen, dedupe: str | None = None, *, bulk: bool = False) -> int | None:
        """Queue a new message; returns the outbox id later edits can refer to."""
        priority = PRIORITY_BULK if bulk else PRIORITY_INTERACTIVE
        return await self._store.enqueue(chat_id, "message", _payload(screen), dedupe, priority)

    async def notice(self, chat_id: int, screen: Screen, topic: str, not_before: float) -> None:
        """Queue a notice about `topic` at `not_before`; until it is sent, a newer notice replaces its text."""
        await self._store.enqueue_topic(chat_id, topic, _payload(screen), not_before)

    async def edit(
        self, chat_id: int, screen: Screen, message_id: int | None, edit_of: int | None, *, tidy: bool = False
    ) -> None:
        """Queue an edit of a message known by its Telegram id or by the outbox row that sent it. A `tidy` edit
        (a screen the member has left) waits behind every member's next screen, not behind fan-outs."""
        if message_id is None and edit_of is None:
            return
        payload = _payload(screen) | {"message_id": message_id, "edit_of": edit_of}
        await self._store.enqueue(chat_id, "edit", payload, priority=PRIORITY_TIDY if tidy else PRIORITY_INTERACTIVE)

    async def remove_buttons(self, chat_id: int, edit_of: int | None) -> None:
        """Queue taking the buttons off a screen the member has left (sent by the outbox row `edit_of`), its text
        kept as it is. It waits behind every member's next screen, like a `tidy` edit."""
        if edit_of is None:
            return
        payload = {"keyboard": [], "message_id": None, "edit_of": edit_of, "buttons_only": True}
        await self._store.enqueue(chat_id, "edit", payload, priority=PRIORITY_TIDY)

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
        return await self._store.enqueue(chat_id, "photo", _file_payload(image, filename, caption_html), dedupe)

    async def send_document(
        self, chat_id: int, content: bytes, filename: str, caption_html: str, dedupe: str | None = None
    ) -> int | None:
        """Queue a file to download (e.g. the printable report) with a caption."""
        return await self._store.enqueue(chat_id, "document", _file_payload(content, filename, caption_html), dedupe)
