"""Queries for the durable outbox: queue, take what is due (oldest first per chat; a member's own replies before
tidying edits, those before bulk fan-outs), queue an item already in flight for its caller to send at once, mark
what is in flight, record the outcome, coalesce notices by topic, hold a chat's messages until a person who has not
started the bot does (`held_until`), and say how much waits and for how long (`outbox_depth`, for /healthz and
/metrics)."""

from __future__ import annotations

import json
import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from checkins.storage.base import Queries

# A member waiting for their next question goes first; tidying the screen they left (marking the question they
# answered) next; a fan-out to everyone last.
PRIORITY_INTERACTIVE = 2
PRIORITY_TIDY = 1
PRIORITY_BULK = 0


# A row is unused unless something still refers to it: a member's current screen (its edits need the Telegram
# message id), a pending edit of it, or its dedupe key while the round the key names is open (so a member resuming
# mid-round does not get the intro twice). Keys of closed rounds are never used again. Delivered (or failed) and
# unused, it is spent.
def _unused(delivering: str = "NULL") -> str:
    """The condition; `delivering` holds the placeholders of rows being recorded as delivered in the same statement,
    whose pending edits no longer hold their targets."""
    return (
        "NOT EXISTS (SELECT 1 FROM participants WHERE prompt_outbox_id = outbox.id) "
        "AND NOT EXISTS (SELECT 1 FROM outbox AS edit WHERE edit.chat_id = outbox.chat_id AND edit.state = 'pending' "
        "AND edit.kind = 'edit' AND json_extract(edit.payload, '$.edit_of') = outbox.id "
        f"AND edit.id NOT IN ({delivering})) "
        "AND (dedupe_key IS NULL OR NOT EXISTS (SELECT 1 FROM rounds WHERE state = 'open' "
        "AND instr(outbox.dedupe_key, ':' || rounds.id || ':') > 0))"
    )


_UNUSED = _unused()
_SPENT = f"state != 'pending' AND {_UNUSED}"


class Sent(NamedTuple):
    """An item Telegram has: the message it sent or edited, and for an edit the row whose message it changed."""

    outbox_id: int
    message_id: int | None
    edit_of: int | None = None


def _marks(values: Collection[object]) -> str:
    """Placeholders for `IN (…)`; an empty list matches nothing."""
    return ", ".join("?" * len(values)) or "NULL"


@dataclass(frozen=True)
class OutboxItem:
    id: int
    chat_id: int
    kind: str
    payload: dict[str, Any]
    attempts: int
    priority: int = PRIORITY_INTERACTIVE


@dataclass(frozen=True)
class OutboxDepth:
    """Pending messages: those going out as soon as Telegram and the pacing allow, those held for a person who has
    not started the bot, and when the oldest of the former was queued (wall-clock seconds; None: nothing waits)."""

    pending: int
    held: int
    oldest_queued_at: float | None


@dataclass(frozen=True)
class ScreenTarget:
    """A message the member has on screen, as sent by an outbox row, and its chat's queue."""

    pending: bool  # the row has not gone out yet: an edit of it waits for it
    message_id: int | None  # Telegram's id of the message, once sent
    gone: bool  # the row went nowhere (refused, given up, dropped): there is nothing on screen to edit
    chat_idle: bool  # nothing of this chat is waiting: a new item may go out at once, in order


def screen_target_columns(outbox_id: str, chat_id: str) -> str:
    """The columns `screen_target` reads, for the row `outbox_id` and the chat `chat_id` (SQL expressions), so that
    a query that knows both can read them along (the press's first query does)."""
    return (
        f"(SELECT state FROM outbox WHERE id = {outbox_id}), (SELECT message_id FROM outbox WHERE id = {outbox_id}), "
        f"EXISTS (SELECT 1 FROM outbox WHERE chat_id = {chat_id} AND state = 'pending')"
    )


def screen_target(row: Sequence[Any]) -> ScreenTarget:
    state, message_id, busy = row
    return ScreenTarget(state == "pending", message_id, state != "pending" and message_id is None, not busy)


class OutboxQueries(Queries):
    # --- outbox ------------------------------------------------------------------------------------------------

    async def enqueue(
        self,
        chat_id: int,
        kind: str,
        payload: dict[str, Any],
        dedupe_key: str | None = None,
        priority: int = PRIORITY_INTERACTIVE,
    ) -> int | None:
        """Queue a message; returns its id, or None when a message with the same dedupe key already exists."""
        row = await self._insert(
            "INSERT INTO outbox (chat_id, kind, payload, dedupe_key, priority, queued_at) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT DO NOTHING RETURNING id",
            (chat_id, kind, json.dumps(payload, ensure_ascii=False), dedupe_key, priority, time.time()),
        )
        return int(row[0]) if row else None

    async def enqueue_in_flight(self, chat_id: int, kind: str, payload: dict[str, Any], priority: int) -> int:
        """Queue an item that its caller sends itself as soon as this transaction commits: it is in flight from the
        start, so the sender's queue leaves it alone, and a crash before it was sent has it sent at the next start."""
        row = await self._insert(
            "INSERT INTO outbox (chat_id, kind, payload, priority, in_flight, queued_at) VALUES (?, ?, ?, ?, 1, ?) "
            "RETURNING id",
            (chat_id, kind, json.dumps(payload, ensure_ascii=False), priority, time.time()),
        )
        assert row is not None
        return int(row[0])

    async def screen_target(self, chat_id: int, outbox_id: int | None) -> ScreenTarget:
        """What an edit of the message sent by `outbox_id` needs to know, in one query."""
        row = await self._one(f"SELECT {screen_target_columns('?', '?')}", (outbox_id, outbox_id, chat_id))
        assert row is not None
        return screen_target(row)

    async def enqueue_topic(self, chat_id: int, topic: str, payload: dict[str, Any], not_before: float) -> None:
        """Queue a message about `topic`, or update the text of one still waiting (a notice that coalesces)."""
        await self._run(
            "INSERT INTO outbox (chat_id, kind, payload, topic, not_before, priority, queued_at) "
            "VALUES (?, 'message', ?, ?, ?, ?, ?) "
            "ON CONFLICT (chat_id, topic) WHERE state = 'pending' AND topic IS NOT NULL "
            "DO UPDATE SET payload = excluded.payload",
            (chat_id, json.dumps(payload, ensure_ascii=False), topic, not_before, PRIORITY_INTERACTIVE, time.time()),
        )

    async def due_outbox(self, now: float, limit: int, busy_chats: frozenset[int] = frozenset()) -> list[OutboxItem]:
        """The oldest pending item of each chat that is due, interactive first; chats in `busy_chats` are skipped."""
        rows = await self._all(
            # An item waits while an earlier item of its chat is pending, so a chat's messages stay in order.
            "SELECT id, chat_id, kind, payload, attempts, priority FROM outbox AS item "
            # An item in flight (sent directly after its press, see `enqueue_in_flight`) is someone else's.
            "WHERE state = 'pending' AND held_until IS NULL AND in_flight = 0 AND not_before <= ? "
            "AND NOT EXISTS (SELECT 1 FROM outbox AS earlier "
            "WHERE earlier.chat_id = item.chat_id AND earlier.state = 'pending' AND earlier.id < item.id) "
            "ORDER BY priority DESC, id LIMIT ?",
            (now, limit + len(busy_chats)),
        )
        items = [OutboxItem(row[0], row[1], row[2], json.loads(row[3]), row[4], row[5]) for row in rows]
        return [item for item in items if item.chat_id not in busy_chats][:limit]

    async def next_outbox_time(self) -> float | None:
        """When the next item that heads its chat's queue is due (an item behind another waits for that one). An
        item in flight is not counted: whoever sends it wakes the sender when it is done or must be tried again."""
        row = await self._one(
            "SELECT MIN(not_before) FROM outbox AS item "
            "WHERE state = 'pending' AND held_until IS NULL AND in_flight = 0 "
            "AND NOT EXISTS (SELECT 1 FROM outbox AS earlier "
            "WHERE earlier.chat_id = item.chat_id AND earlier.state = 'pending' AND earlier.id < item.id)"
        )
        return float(row[0]) if row and row[0] is not None else None

    async def outbox_summary(self) -> tuple[int, float | None]:
        """How many items are pending, and when the first of them is due."""
        row = await self._one("SELECT COUNT(*), MIN(not_before) FROM outbox WHERE state = 'pending'")
        return (int(row[0]), None if row[1] is None else float(row[1])) if row else (0, None)

    async def outbox_message_id(self, outbox_id: int) -> int | None:
        row = await self._one("SELECT message_id FROM outbox WHERE id = ?", (outbox_id,))
        return int(row[0]) if row and row[0] is not None else None

    async def mark_in_flight(self, outbox_ids: list[int]) -> None:
        """Set just before the requests go out: after a crash these are the items Telegram may already have."""
        await self._run(f"UPDATE outbox SET in_flight = 1 WHERE id IN ({_marks(outbox_ids)})", outbox_ids)

    async def clear_in_flight(self) -> int:
        """At start-up: how many pending items were in flight when the last process stopped (they are sent again)."""
        return await self._run("UPDATE outbox SET in_flight = 0 WHERE in_flight = 1 AND state = 'pending'")

    async def mark_sent(self, sent: Sequence[Sent]) -> None:
        """Telegram has these items, so their text is no longer needed: a row goes at once unless something refers
        to it (most rows: an edit, a screen already left), and so does the row whose message an edit changed, if
        that edit was the last thing it was kept for. One statement in the usual case; a row kept is then marked
        sent, without its payload. The sender runs this without a transaction (`Database.each_on_its_own`): were
        the process to stop between the two, a kept row would still be in flight, and be sent again at the start
        like any other item in flight."""
        ids = [item.outbox_id for item in sent]
        edited = [item.edit_of for item in sent if item.edit_of is not None]
        gone = {
            row[0]
            for row in await self._returning(
                f"DELETE FROM outbox WHERE (id IN ({_marks(ids)}) OR (id IN ({_marks(edited)}) "
                f"AND state != 'pending')) AND {_unused(_marks(ids))} RETURNING id",
                (*ids, *edited, *ids),
            )
        }
        kept = [item for item in sent if item.outbox_id not in gone]
        if kept:
            cases = " ".join("WHEN ? THEN CAST(? AS BIGINT)" for _ in kept)
            await self._run(
                f"UPDATE outbox SET state = 'sent', payload = NULL, in_flight = 0, message_id = CASE id {cases} END "
                # A row already sent was adopted by a press (`adopt_message`): it keeps the message pressed on.
                f"WHERE id IN ({_marks(kept)}) AND state = 'pending'",
                (
                    *(value for item in kept for value in (item.outbox_id, item.message_id)),
                    *(item.outbox_id for item in kept),
                ),
            )

    async def adopt_message(self, outbox_id: int, message_id: int) -> bool:
        """A member pressed a button on `message_id`, a copy of the screen the pending row `outbox_id` sends: take it
        as that row's message, so the row is not sent (again: its reply may have been lost on the way back)."""
        return bool(
            await self._run(
                "UPDATE outbox SET state = 'sent', payload = NULL, in_flight = 0, message_id = ? "
                "WHERE id = ? AND state = 'pending' AND message_id IS NULL",
                (message_id, outbox_id),
            )
        )

    async def delete_spent_outbox(self) -> int:
        """Delete every delivered or failed row nothing needs any more: kept, they would be a diary of each member
        (which screens they saw, what they skipped, who did not submit)."""
        return await self._run(f"DELETE FROM outbox WHERE {_SPENT}")

    async def delete_outbox_for_chat(self, chat_id: int) -> int:
        """An erased person: no row, pending or delivered, keeps their chat id."""
        return await self._run("DELETE FROM outbox WHERE chat_id = ?", (chat_id,))

    async def mark_retry(self, outbox_id: int, not_before: float) -> None:
        await self._run(
            "UPDATE outbox SET attempts = attempts + 1, in_flight = 0, not_before = ? WHERE id = ?",
            (not_before, outbox_id),
        )

    async def mark_failed(self, outbox_id: int) -> None:
        await self._run("UPDATE outbox SET state = 'failed', payload = NULL, in_flight = 0 WHERE id = ?", (outbox_id,))
        await self._run(f"DELETE FROM outbox WHERE id = ? AND {_SPENT}", (outbox_id,))

    async def drop_pending_for_chat(self, chat_id: int) -> int:
        return await self._run(
            "UPDATE outbox SET state = 'failed', payload = NULL, in_flight = 0 WHERE chat_id = ? AND state = 'pending'",
            (chat_id,),
        )

    async def drop_pending_for_unreachable(self) -> int:
        """Messages queued for members who cannot be reached are dropped; /start brings their questions back."""
        return await self._run(
            "UPDATE outbox SET state = 'failed', payload = NULL, in_flight = 0 WHERE state = 'pending' "
            "AND chat_id IN (SELECT telegram_user_id FROM members WHERE reachable = 0)"
        )

    async def hold_chat(self, chat_id: int, until: float, keep: int) -> int:
        """The person has not started the bot: their pending messages wait until `until`, the newest `keep` of them
        (older ones are given up). Returns how many wait."""
        await self._run(
            "UPDATE outbox SET held_until = ?, in_flight = 0 WHERE chat_id = ? AND state = 'pending' "
            "AND held_until IS NULL",
            (until, chat_id),
        )
        await self._run(
            "UPDATE outbox SET state = 'failed', payload = NULL, held_until = NULL WHERE id IN (SELECT id FROM outbox "
            "WHERE chat_id = ? AND state = 'pending' AND held_until IS NOT NULL ORDER BY id DESC LIMIT -1 OFFSET ?)",
            (chat_id, keep),
        )
        return await self.held_count(chat_id)

    async def release_held(self, chat_id: int, now: float) -> int:
        """The person started the bot: what waited for them is due now, in its order."""
        return await self._run(
            "UPDATE outbox SET held_until = NULL, not_before = ?, queued_at = ? WHERE chat_id = ? "
            "AND state = 'pending' AND held_until IS NOT NULL",
            (now, time.time(), chat_id),
        )

    async def expire_held(self, now: float) -> int:
        """Give up messages that waited their whole time for a person who never started the bot."""
        return await self._run(
            "UPDATE outbox SET state = 'failed', payload = NULL, held_until = NULL WHERE state = 'pending' "
            "AND held_until IS NOT NULL AND held_until < ?",
            (now,),
        )

    async def held_count(self, chat_id: int) -> int:
        row = await self._one(
            "SELECT COUNT(*) FROM outbox WHERE chat_id = ? AND state = 'pending' AND held_until IS NOT NULL", (chat_id,)
        )
        return int(row[0]) if row else 0

    async def outbox_depth(self) -> OutboxDepth:
        """What waits to go out, for /healthz and /metrics: counts only, nothing about whom it is for."""
        row = await self._one(
            "SELECT COUNT(*), SUM(CASE WHEN held_until IS NULL THEN 0 ELSE 1 END), "
            "MIN(CASE WHEN held_until IS NULL THEN queued_at END) FROM outbox WHERE state = 'pending'"
        )
        if row is None:
            return OutboxDepth(0, 0, None)
        held = int(row[1] or 0)
        return OutboxDepth(int(row[0]) - held, held, None if row[2] is None else float(row[2]))

    async def outbox_counts(self) -> dict[str, int]:
        rows = await self._all("SELECT state, COUNT(*) FROM outbox GROUP BY state")
        return {row[0]: int(row[1]) for row in rows}
