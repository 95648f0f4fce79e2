"""Queries for what a member answers to a reminder: "not this round" (no more reminders for it; at close only the
number of those who declined is kept) and "remind me later" (one more reminder at a moment they chose)."""

from __future__ import annotations

from checkins.storage.base import Queries
from checkins.storage.members import MemberRow, _member
from checkins.storage.settings import _MEMBER_COLUMNS_M, _PAUSED


class ReminderQueries(Queries):
    async def decline_round(self, round_id: str, member_id: int) -> bool:
        """Mark "not this round"; False when the member is not (or no longer) asked in that round."""
        changed = await self._run(
            "UPDATE participants SET declined = 1, remind_at = NULL WHERE round_id = ? AND member_id = ?",
            (round_id, member_id),
        )
        return changed > 0

    async def remind_later(self, round_id: str, member_id: int, at: float) -> bool:
        changed = await self._run(
            "UPDATE participants SET remind_at = ?, declined = 0 WHERE round_id = ? AND member_id = ?",
            (at, round_id, member_id),
        )
        return changed > 0

    async def due_later_reminders(self, now: float) -> list[tuple[str, float, MemberRow]]:
        """(round id, when it was asked for, member) of every asked-for reminder that is due: in open rounds, to
        members who have not submitted, can be reached and are not paused. Reminders switched off do not stop it:
        the member asked for this one."""
        rows = await self._all(
            f"SELECT p.round_id, p.remind_at, {_MEMBER_COLUMNS_M} FROM participants AS p "
            "JOIN rounds AS r ON r.id = p.round_id JOIN members AS m ON m.id = p.member_id "
            "LEFT JOIN member_settings AS st ON st.member_id = m.id "
            "WHERE p.remind_at IS NOT NULL AND p.remind_at <= ? AND r.state = 'open' AND p.status != 'submitted' "
            f"AND m.reachable = 1 AND NOT COALESCE({_PAUSED}, FALSE) ORDER BY p.remind_at",
            (now, now),
        )
        return [(row[0], row[1], _member(row[2:])) for row in rows]

    async def clear_remind_at(self, round_id: str, member_id: int) -> None:
        await self._run(
            "UPDATE participants SET remind_at = NULL WHERE round_id = ? AND member_id = ?", (round_id, member_id)
        )
