"""Queries for a group's process as a whole: whether it has finished, and the figures of the supervisor's overview."""

from __future__ import annotations

from checkins.storage.base import Queries


class GroupQueries(Queries):
    async def finish_group(self, group_id: str, now: float) -> bool:
        """Mark a process finished; False when it already was."""
        changed = await self._run(
            "INSERT INTO finished_groups (group_id, finished_at) VALUES (?, ?) ON CONFLICT DO NOTHING", (group_id, now)
        )
        return changed > 0

    async def finished_at(self, group_id: str) -> float | None:
        row = await self._one("SELECT finished_at FROM finished_groups WHERE group_id = ?", (group_id,))
        return float(row[0]) if row else None

    async def member_count(self, group_id: str) -> int:
        row = await self._one("SELECT COUNT(*) FROM memberships WHERE group_id = ?", (group_id,))
        return int(row[0]) if row else 0

    async def active_invite_count(self, group_id: str, now: float) -> int:
        row = await self._one(
            "SELECT COUNT(*) FROM invites WHERE group_id = ? AND revoked = 0 AND expires_at > ?", (group_id, now)
        )
        return int(row[0]) if row else 0
