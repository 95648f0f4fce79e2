"""The outbox queue's order and the sender's batched bookkeeping, against a real SQLite database."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from checkins.messages import Screen
from checkins.outbox import Outbox
from checkins.storage import OutboxDepth, Store
from handlers.delivery import BatchedWrites
from tests.conftest import StorageChoice


@pytest.fixture
async def store(tmp_path: Path, storage: StorageChoice) -> AsyncIterator[Store]:
    opened = await Store.open(storage.target(tmp_path / "queue.sqlite3"))
    try:
        yield opened
    finally:
        await opened.close()


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
        await queries.mark_sent(first, 100)
        after_sent = await queries.outbox_depth()
        assert (after_sent.pending, after_sent.held) == (1, 1)
        assert after_sent.oldest_queued_at is not None and after_sent.oldest_queued_at >= depth.oldest_queued_at
        await queries.mark_retry(first + 1, before + 60)  # a retry does not make a message younger
        assert await queries.outbox_depth() == after_sent
    await asyncio.sleep(0.01)
    released_at = time.time()
    await outbox.release_held(3, released_at)  # a released message counts from its release, not its first queuing
    async with store.transaction() as queries:
        await queries.mark_sent(first + 1, 101)
        released = await queries.outbox_depth()
    assert (released.pending, released.held) == (1, 0)
    assert released.oldest_queued_at is not None and released.oldest_queued_at >= released_at
