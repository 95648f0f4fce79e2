"""An update Telegram delivers again changes nothing, whatever path its repeat takes through the state the first
delivery left — against both storage engines, without a bot (the end-to-end case is in test_receiving_e2e)."""

from __future__ import annotations

import pytest

from checkins.storage import AlreadyHandled, Store, handling_update
from checkins.storage.outbox import PRIORITY_INTERACTIVE


async def queue_one(store: Store, chat_id: int) -> None:
    async with store.transaction() as queries:
        await queries.enqueue(chat_id, "message", {"text": "next question"}, None, PRIORITY_INTERACTIVE)


async def test_a_repeat_is_refused_whether_it_would_change_something_nothing_or_fail(store: Store) -> None:
    handling_update(7)
    await queue_one(store, 1)
    async with store.transaction() as queries:
        await queries.enqueue(1, "message", {"text": "the same update's second change"}, None, PRIORITY_INTERACTIVE)

    handling_update(7)  # delivered again, e.g. after a crash before the offset was confirmed
    with pytest.raises(AlreadyHandled):
        await queue_one(store, 1)  # a change: rolled back
    handling_update(7)
    with pytest.raises(AlreadyHandled):
        async with store.transaction():
            pass  # nothing to change in the new state (a stale button): refused all the same, so no toast
    handling_update(7)
    with pytest.raises(AlreadyHandled):
        async with store.transaction():
            raise ValueError("a path the first delivery's state does not allow")

    handling_update(8)  # the next update is handled as usual
    await queue_one(store, 2)
    handling_update(None)
    async with store.transaction() as queries:
        assert await queries.outbox_counts() == {"pending": 3}


async def test_an_update_that_changed_nothing_is_not_recorded(store: Store) -> None:
    handling_update(9)
    async with store.transaction():
        pass
    handling_update(9)  # again: it changed nothing the first time, so it is not a repeat
    await queue_one(store, 1)
    handling_update(None)
    async with store.transaction() as queries:
        assert await queries.outbox_counts() == {"pending": 1}
