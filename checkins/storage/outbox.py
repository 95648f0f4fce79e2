"""Queries for the durable outbox: queue, take what is due (oldest first per chat), record the outcome."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from checkins.storage.base import Queries


@dataclass(frozen=True)
class OutboxItem:
    id: int
    chat_id: int
    kind: str
    payload: dict[str, Any]
    attempts: int


class OutboxQueries(Queries):
    # --- outbox ------------------------------------------------------------------------------------------------

    async def enqueue(
        self, chat_id: int, kind: str, payload: dict[str, Any], dedupe_key: str | None = None
    ) -> int | None:
        """Queue a message; returns its id, or None when a message with the same dedupe key already exists."""
        async with self._db.execute(
            "INSERT OR IGNORE INTO outbox (chat_id, kind, payload, dedupe_key) VALUES (?, ?, ?, ?)",
            (chat_id, kind, json.dumps(payload, ensure_ascii=False), dedupe_key),
        ) as cursor:
            return cursor.lastrowid if cursor.rowcount else None

    async def due_outbox(self, now: float, limit: int) -> list[OutboxItem]:
        rows = await self._all(
            # An item waits while an earlier item of its chat is backing off, so a chat's messages stay in order.
            "SELECT id, chat_id, kind, payload, attempts FROM outbox AS item "
            "WHERE state = 'pending' AND not_before <= ? AND NOT EXISTS (SELECT 1 FROM outbox AS earlier "
            "WHERE earlier.chat_id = item.chat_id AND earlier.state = 'pending' AND earlier.id < item.id) "
            "ORDER BY id LIMIT ?",
            (now, limit),
        )
        return [OutboxItem(row[0], row[1], row[2], json.loads(row[3]), row[4]) for row in rows]

    async def next_outbox_time(self) -> float | None:
        row = await self._one("SELECT MIN(not_before) FROM outbox WHERE state = 'pending'")
        return float(row[0]) if row and row[0] is not None else None

    async def outbox_message_id(self, outbox_id: int) -> int | None:
        row = await self._one("SELECT message_id FROM outbox WHERE id = ?", (outbox_id,))
        return int(row[0]) if row and row[0] is not None else None

    async def mark_sent(self, outbox_id: int, message_id: int | None) -> None:
        # The text is no longer needed once Telegram has it: keep only what later edits refer to.
        await self._run(
            "UPDATE outbox SET state = 'sent', payload = NULL, message_id = ? WHERE id = ?",
            (message_id, outbox_id),
        )

    async def mark_retry(self, outbox_id: int, not_before: float) -> None:
        await self._run(
            "UPDATE outbox SET attempts = attempts + 1, not_before = ? WHERE id = ?", (not_before, outbox_id)
        )

    async def mark_failed(self, outbox_id: int) -> None:
        await self._run("UPDATE outbox SET state = 'failed', payload = NULL WHERE id = ?", (outbox_id,))

    async def drop_pending_for_chat(self, chat_id: int) -> int:
        return await self._run(
            "UPDATE outbox SET state = 'failed', payload = NULL WHERE chat_id = ? AND state = 'pending'",
            (chat_id,),
        )
