"""Queries for the digest files still to be drawn after a close (chart, HTML and PDF report): see migration 0015."""

from __future__ import annotations

from dataclasses import dataclass

from checkins.storage.base import Queries


@dataclass(frozen=True)
class PendingDigestFiles:
    dedupe: str
    group_id: str
    round_number: int


class DigestFileQueries(Queries):
    async def add_pending_digest_files(self, dedupe: str, group_id: str, round_number: int, now: float) -> None:
        await self._run(
            "INSERT INTO pending_digest_files (dedupe, group_id, round_number, queued_at) "
            "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (dedupe, group_id, round_number, now),
        )

    async def pending_digest_files(self) -> list[PendingDigestFiles]:
        rows = await self._all("SELECT dedupe, group_id, round_number FROM pending_digest_files ORDER BY queued_at")
        return [PendingDigestFiles(dedupe, group_id, int(number)) for dedupe, group_id, number in rows]

    async def drop_pending_digest_files(self, dedupe: str) -> None:
        await self._run("DELETE FROM pending_digest_files WHERE dedupe = ?", (dedupe,))
