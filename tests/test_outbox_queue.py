"""The outbox queue's order and the sender's batched bookkeeping, against a real SQLite database."""

from __future__ import annotations

import asyncio
import time

import pytest

from checkins.messages import Screen
from checkins.outbox import Outbox
from checkins.storage import OutboxDepth, OutboxItem, Store
from checkins.storage.outbox import ScreenTarget, Sent
from handlers.delivery import BatchedWrites


async def due_chats(store: Store, limit: int = 10) -> list[int]:
    async with store.transaction() as queries:
        return [item.chat_id for item in await queries.due_outbox(1e12, limit)]


async def test_next_questions_go_before_tidying_edits_and_those_before_a_fan_out(store: Store) -> None:
    outbox = Outbox(store)
    async with store.transaction():
        await outbox.send(1, Screen("round opened"), bulk=True)
        await outbox.edit(2, Screen("answered: 3"), message_id=10, edit_of=None, tidy=True)
        await outbox.send(3, Screen("next question"))
    assert await due_chats(store) == [3, 2, 1]
    assert await due_chats(store, limit=1) == [3]


async def test_a_chat_keeps_its_order_whatever_the_priority(store: Store) -> None:
    outbox = Outbox(store)
    async with store.transaction():
        await outbox.send(1, Screen("next question"))
        await outbox.edit(1, Screen("answered: 3"), message_id=10, edit_of=None, tidy=True)
        await outbox.send(2, Screen("round opened"), bulk=True)
        await outbox.send(2, Screen("question 1"), bulk=True)
    async with store.transaction() as queries:
        due = await queries.due_outbox(1e12, 10)
    assert [(item.chat_id, item.payload["text"]) for item in due] == [(1, "next question"), (2, "round opened")]


async def test_batched_writes_commit_together_and_each_writer_waits_for_its_commit(store: Store) -> None:
    commits: list[list[int]] = []

    async def mark(queries: Store, batch: list[int]) -> None:
        await queries.mark_in_flight(batch)
        commits.append(batch)

    outbox = Outbox(store)
    async with store.transaction():
        ids = [await outbox.send(chat, Screen("hello")) for chat in range(1, 6)]
    writes = BatchedWrites(store, mark)
    await asyncio.gather(*(writes.write(outbox_id) for outbox_id in ids if outbox_id is not None))
    assert sorted(i for batch in commits for i in batch) == sorted(ids)
    assert len(commits) < len(ids)  # the first write commits alone, the rest queued behind it together
    async with store.transaction() as queries:
        assert await queries.clear_in_flight() == len(ids)


async def test_a_failed_batch_fails_every_write_in_it(store: Store) -> None:
    async def refuse(queries: Store, batch: list[int]) -> None:
        raise RuntimeError(f"disk full while writing {len(batch)}")

    writes = BatchedWrites(store, refuse)
    results = await asyncio.gather(*(writes.write(n) for n in range(4)), return_exceptions=True)
    assert all(isinstance(result, RuntimeError) for result in results)


async def test_depth_counts_what_waits_and_how_long_the_oldest_has_waited(store: Store) -> None:
    outbox = Outbox(store)
    before = time.time()
    async with store.transaction() as queries:
        assert await queries.outbox_depth() == OutboxDepth(0, 0, None)
        first = await outbox.send(1, Screen("question 1"))
        await outbox.send(2, Screen("question 1"))
        await outbox.send(3, Screen("question 1"))
        await queries.hold_chat(3, before + 3600, keep=50)  # chat 3 has not started the bot
    async with store.transaction() as queries:
        depth = await queries.outbox_depth()
        assert (depth.pending, depth.held) == (2, 1)
        assert depth.oldest_queued_at is not None and before <= depth.oldest_queued_at <= time.time()
        assert first is not None
        await queries.mark_sent([Sent(first, 100)])
        after_sent = await queries.outbox_depth()
        assert (after_sent.pending, after_sent.held) == (1, 1)
        assert after_sent.oldest_queued_at is not None and after_sent.oldest_queued_at >= depth.oldest_queued_at
        await queries.mark_retry(first + 1, before + 60)  # a retry does not make a message younger
        assert await queries.outbox_depth() == after_sent
    await asyncio.sleep(0.01)
    released_at = time.time()
    await outbox.release_held(3, released_at)  # a released message counts from its release, not its first queuing
    async with store.transaction() as queries:
        await queries.mark_sent([Sent(first + 1, 101)])
        released = await queries.outbox_depth()
    assert (released.pending, released.held) == (1, 0)
    assert released.oldest_queued_at is not None and released.oldest_queued_at >= released_at


async def delivered(store: Store, outbox_id: int, message_id: int) -> None:
    """The row went out and stays, as a member's current screen does (a participant refers to it)."""
    await store._run("UPDATE outbox SET state = 'sent', message_id = ? WHERE id = ?", (message_id, outbox_id))


async def test_a_screen_sent_at_once_is_committed_in_flight_and_the_next_start_sends_it(store: Store) -> None:
    outbox = Outbox(store)
    async with store.transaction():
        shown = await outbox.send(1, Screen("question 1"))
        await outbox.send(2, Screen("question 1"))
        assert shown is not None
        await delivered(store, shown, 10)
    handed: list[list[OutboxItem]] = []
    outbox.deliver_with(handed.append)
    with outbox.at_once():
        async with store.transaction():
            assert await outbox.replace(1, Screen("question 2"), shown) == shown
            # Chat 2 still waits for its question 1: its edit keeps its place in the queue.
            await outbox.edit(2, Screen("question 1, redrawn"), message_id=20, edit_of=None)
    assert [(item.chat_id, item.kind, item.payload["message_id"]) for item in handed[0]] == [(1, "edit", 10)]
    assert await due_chats(store) == [2], "the queue leaves an item in flight to the one sending it"
    # The process dies before the edit went out: the next start clears the in-flight marks and sends it once.
    async with store.transaction() as queries:
        assert await queries.clear_in_flight() == 1
    assert sorted(await due_chats(store)) == [1, 2]


async def test_a_failed_transaction_hands_nothing_over(store: Store) -> None:
    outbox = Outbox(store)
    async with store.transaction():
        shown = await outbox.send(1, Screen("question 1"))
        assert shown is not None
        await delivered(store, shown, 10)
    handed: list[list[OutboxItem]] = []
    outbox.deliver_with(handed.append)
    with pytest.raises(RuntimeError), outbox.at_once():
        async with store.transaction():
            await outbox.replace(1, Screen("question 2"), shown)
            raise RuntimeError("the press failed after queueing")
    assert handed == [] and await due_chats(store) == []


async def test_a_screen_that_never_reached_the_chat_is_shown_as_a_new_message(store: Store) -> None:
    outbox = Outbox(store)
    async with store.transaction():
        shown = await outbox.send(1, Screen("question 1"))
        assert shown is not None
        await store.mark_failed(shown)  # refused by Telegram: nothing on screen to edit
    async with store.transaction() as queries:
        showing = await outbox.replace(1, Screen("question 2"), shown)
        due = await queries.due_outbox(1e12, 10)
    assert showing is not None
    assert [(item.kind, item.payload["text"]) for item in due] == [("message", "question 2")]


async def test_a_delivered_edit_leaves_no_row_and_takes_the_screen_it_tidied_along(store: Store) -> None:
    outbox = Outbox(store)
    async with store.transaction():
        shown = await outbox.send(1, Screen("question"))
        await outbox.remove_buttons(1, shown)
        assert shown is not None
    async with store.transaction() as queries:
        await queries.mark_sent([Sent(shown, 10)])
        assert await queries.outbox_counts() == {"sent": 1, "pending": 1}, "kept: a pending edit needs its message id"
        (edit,) = await queries.due_outbox(1e12, 10)
        await queries.mark_sent([Sent(edit.id, 10, edit_of=shown)])
        assert await queries.outbox_counts() == {}


async def test_a_screen_and_its_edit_recorded_in_one_batch_leave_no_row(store: Store) -> None:
    """Deliveries are recorded in batches: a screen whose tidying edit went out in the same batch is spent too."""
    outbox = Outbox(store)
    async with store.transaction():
        shown = await outbox.send(1, Screen("question"))
        assert shown is not None
        await outbox.remove_buttons(1, shown)
        other = await outbox.send(2, Screen("question"))
        assert other == shown + 2, "the edit is the row between them"
    async with store.transaction() as queries:
        await queries.mark_sent([Sent(other, 11), Sent(shown, 10), Sent(shown + 1, 10, edit_of=shown)])
        assert await queries.outbox_counts() == {}


async def test_a_screen_read_along_with_the_press_is_trusted_only_while_the_press_has_queued_nothing(
    store: Store,
) -> None:
    """A press reads its member's screen along with its first query (`Outbox.knows`). Once the press has queued a
    message of its own, that reading is stale: an edit going out directly would overtake the message."""
    outbox = Outbox(store)
    delivered: list[OutboxItem] = []
    outbox.deliver_with(delivered.extend)
    async with store.transaction():
        shown = await outbox.send(1, Screen("question"))
        assert shown is not None
    # As a press would have read it had the question gone out as message 10 (the queue still has it: the reading
    # is what the edit goes by).
    on_screen = ScreenTarget(pending=False, message_id=10, gone=False, chat_idle=True)
    for queues_first in (False, True):
        delivered.clear()
        with outbox.at_once():
            async with store.transaction():
                outbox.knows(1, shown, on_screen)
                if queues_first:
                    await outbox.notice(1, Screen("a notice"), "topic", 0)
                await outbox.replace(1, Screen("next question"), shown)
        assert [item.kind for item in delivered] == ([] if queues_first else ["edit"])
