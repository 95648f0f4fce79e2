"""The update queue behind getUpdates.

This module owns Telegram's long-polling semantics: updates get monotonically increasing
``update_id`` values and stay stored until confirmed by a getUpdates call whose ``offset`` is
greater than their id (a negative offset keeps only the last ``-offset`` updates); ``limit``
(1..100) caps a batch; ``timeout`` makes the call wait until an update arrives; ``allowed_updates``
(an empty list = Telegram's default, everything except chat_member and reactions) filters which
update kinds are created from then on; a newer getUpdates terminates a still-waiting older one with
409 Conflict, exactly like two bot instances polling at once. It also tracks which updates have been
*delivered* (returned at least once) so the simulator can tell when the bot has caught up.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from itertools import islice
from typing import Any

from botsim.models import ApiError, Broadcast, SimStats

__all__ = ["ALL_UPDATE_TYPES", "DEFAULT_ALLOWED_UPDATES", "UpdateQueue"]

ALL_UPDATE_TYPES = frozenset(
    {
        "message", "edited_message", "channel_post", "edited_channel_post", "business_connection",
        "business_message", "edited_business_message", "deleted_business_messages",
        "message_reaction", "message_reaction_count", "inline_query", "chosen_inline_result",
        "callback_query", "shipping_query", "pre_checkout_query", "purchased_paid_media", "poll",
        "poll_answer", "my_chat_member", "chat_member", "chat_join_request", "chat_boost",
        "removed_chat_boost",
    }
)  # fmt: skip
DEFAULT_ALLOWED_UPDATES = ALL_UPDATE_TYPES - {"chat_member", "message_reaction", "message_reaction_count"}
CONFLICT_OTHER_POLL = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
)
CONFLICT_WEBHOOK = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"
)


class UpdateQueue:
    """Stored, not yet confirmed updates plus the long-poll waiting logic."""

    def __init__(self, changes: Broadcast, stats: SimStats, first_update_id: int = 1) -> None:
        self._changes = changes
        self._stats = stats
        self._updates: deque[dict[str, Any]] = deque()
        self._next_id = first_update_id
        self._delivered_upto = first_update_id - 1
        self._generation = 0
        self.allowed: frozenset[str] = DEFAULT_ALLOWED_UPDATES
        self.closing = False
        self.webhook_active = False

    def enqueue(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Create an update of ``kind``; it is stored only if ``kind`` is currently allowed."""
        update = {"update_id": self._next_id, kind: payload}
        self._next_id += 1
        if kind in self.allowed:
            self._updates.append(update)
            self._stats.updates_enqueued += 1
            self._changes.notify()
        return update

    def redeliver(self, update: dict[str, Any]) -> None:
        """Serve an already confirmed update again, first in line — what Telegram does when a bot crashed before
        its confirmation arrived (or a webhook reply was lost)."""
        self._updates.appendleft(update)
        self._delivered_upto = min(self._delivered_upto, update["update_id"] - 1)
        self._changes.notify()

    async def next_for_webhook(self) -> dict[str, Any]:
        """The oldest unconfirmed update, once there is one (webhook delivery posts them in order)."""
        await self._changes.wait_until(lambda: self._updates[0] if self._updates else None)
        update = self._updates[0]
        if update["update_id"] > self._delivered_upto:
            self._stats.updates_delivered += 1
            self._delivered_upto = update["update_id"]
        return update

    def confirm_webhook(self, update: dict[str, Any]) -> None:
        """The bot answered 2xx to the post of `update`: it is done."""
        if self._updates and self._updates[0] is update:
            self._updates.popleft()
            self._changes.notify()

    def pending(self) -> int:
        """Updates not yet returned by any getUpdates call."""
        return sum(1 for u in self._updates if u["update_id"] > self._delivered_upto)

    def unconfirmed(self) -> int:
        return len(self._updates)

    def peek(self) -> list[dict[str, Any]]:
        return list(self._updates)

    def drop_all(self) -> None:
        if self._updates:
            self._delivered_upto = max(self._delivered_upto, self._updates[-1]["update_id"])
        self._updates.clear()
        self._changes.notify()

    def set_allowed(self, allowed: Any) -> None:
        if allowed is None:
            return
        if not isinstance(allowed, list) or not all(isinstance(kind, str) for kind in allowed):
            raise ApiError.bad_request("can't parse allowed updates JSON object")
        self.allowed = frozenset(allowed) & ALL_UPDATE_TYPES if allowed else DEFAULT_ALLOWED_UPDATES

    def _confirm(self, offset: int) -> None:
        if offset > 0:
            while self._updates and self._updates[0]["update_id"] < offset:
                self._updates.popleft()
        elif offset < 0:
            while len(self._updates) > -offset:
                self._updates.popleft()

    async def get_updates(
        self,
        offset: int,
        limit: int,
        wait_seconds: float,
        allowed_updates: Any,
        client_alive: Callable[[], bool],
    ) -> list[dict[str, Any]]:
        """Serve one getUpdates call (see the module docstring for the semantics)."""
        if self.webhook_active:
            raise ApiError(409, CONFLICT_WEBHOOK)
        self.set_allowed(allowed_updates)
        limit = min(max(limit, 1), 100)
        self._generation += 1
        generation = self._generation
        self._confirm(offset)
        self._changes.notify()  # wakes an older waiting poll so that it sees the conflict

        def state() -> str | None:
            if generation != self._generation:
                return "conflict"
            if self.closing:
                return "closed"
            return "ready" if self._updates else None

        if wait_seconds > 0 and state() is None:
            try:
                async with asyncio.timeout(wait_seconds):
                    await self._changes.wait_until(state)
            except TimeoutError:
                pass
        if generation != self._generation:
            raise ApiError(409, CONFLICT_OTHER_POLL)
        if not client_alive():
            return []
        batch = list(islice(self._updates, limit))
        if batch:
            newly = sum(1 for u in batch if u["update_id"] > self._delivered_upto)
            self._stats.updates_delivered += newly
            self._delivered_upto = max(self._delivered_upto, batch[-1]["update_id"])
            self._changes.notify()
        return batch
