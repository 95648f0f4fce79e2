"""Retention: what is deleted when, run at start-up and every hour.

Two clocks run for every closed round: its reply window (`privacy.reply_window_hours`), after which the round's
secret and its answers' author tags are destroyed so nothing links an answer to a person any more; and its retention
(`privacy.retention_days`), after which its answers are deleted (SQLite's `secure_delete` overwrites them). Outbox
rows nothing refers to any more are deleted. Then the database file is rewritten and the WAL truncated, so no old
page survives in either. Digests already delivered to the supervisor are theirs.
"""

from __future__ import annotations

from dataclasses import dataclass

from checkins.config.app import AppConfig
from checkins.storage import Store

SECONDS_PER_DAY = 86_400


@dataclass(frozen=True)
class PurgeReport:
    rounds_unlinked: int
    answers_deleted: int


async def purge_expired(store: Store, config: AppConfig, now: float) -> PurgeReport:
    async with store.transaction():
        unlinked = await store.destroy_expired_links(now)
        deleted = await store.purge_answers_before(now - config.privacy.retention_days * SECONDS_PER_DAY)
        await store.delete_spent_outbox()
    # Every time, not only when something went now: a close whose cleaning could not run is cleaned here.
    await store.scrub_disk(rewrite=True)
    return PurgeReport(unlinked, deleted)
