"""Queries for a member's own settings: language, reminders on or off, and a pause (until a date or /resume)."""

from __future__ import annotations

from dataclasses import dataclass

from checkins.storage.base import Queries
from checkins.storage.members import MemberRow, _member

_MEMBER_COLUMNS_M = (
    "m.id, m.telegram_user_id, m.language, m.first_name, m.last_name, m.username, m.reachable, m.focus_round_id"
)
# A member is paused while the flag is set and the end (if any) is still ahead.
_PAUSED = "(st.paused = 1 AND (st.paused_until IS NULL OR st.paused_until > ?))"


@dataclass(frozen=True)
class MemberSettings:
    reminders: bool = True
    paused: bool = False
    # With `paused`: when prompts resume; None means "until /resume".
    paused_until: float | None = None
    # The member's own time zone (IANA name) and nightly quiet hours ("HH:MM"); None: the group's.
    timezone: str | None = None
    quiet_start: str | None = None
    quiet_end: str | None = None

    def is_paused(self, now: float) -> bool:
        return self.paused and (self.paused_until is None or self.paused_until > now)


class SettingsQueries(Queries):
    async def member_settings(self, member_id: int) -> MemberSettings:
        row = await self._one(
            "SELECT reminders, paused, paused_until, timezone, quiet_start, quiet_end FROM member_settings "
            "WHERE member_id = ?",
            (member_id,),
        )
        return MemberSettings(bool(row[0]), bool(row[1]), row[2], row[3], row[4], row[5]) if row else MemberSettings()

    async def _ensure_settings(self, member_id: int) -> None:
        await self._run("INSERT INTO member_settings (member_id) VALUES (?) ON CONFLICT DO NOTHING", (member_id,))

    async def set_reminders(self, member_id: int, enabled: bool) -> None:
        await self._ensure_settings(member_id)
        await self._run("UPDATE member_settings SET reminders = ? WHERE member_id = ?", (int(enabled), member_id))

    async def set_pause(self, member_id: int, paused: bool, until: float | None) -> None:
        await self._ensure_settings(member_id)
        await self._run(
            "UPDATE member_settings SET paused = ?, paused_until = ? WHERE member_id = ?",
            (int(paused), until if paused else None, member_id),
        )

    async def set_member_timezone(self, member_id: int, zone_name: str | None) -> None:
        await self._ensure_settings(member_id)
        await self._run("UPDATE member_settings SET timezone = ? WHERE member_id = ?", (zone_name, member_id))

    async def set_member_quiet_hours(self, member_id: int, start: str | None, end: str | None) -> None:
        await self._ensure_settings(member_id)
        await self._run(
            "UPDATE member_settings SET quiet_start = ?, quiet_end = ? WHERE member_id = ?", (start, end, member_id)
        )

    async def set_language(self, member_id: int, language: str) -> None:
        await self._run("UPDATE members SET language = ? WHERE id = ?", (language, member_id))

    async def paused_member_ids(self, group_id: str, now: float) -> set[int]:
        rows = await self._all(
            f"SELECT s.member_id FROM memberships AS s JOIN member_settings AS st ON st.member_id = s.member_id "
            f"WHERE s.group_id = ? AND {_PAUSED}",
            (group_id, now),
        )
        return {row[0] for row in rows}

    async def reminder_recipients(self, round_id: str, now: float) -> list[MemberRow]:
        """Members of a round who have not submitted or declined it, can be reached, and neither paused nor turned
        reminders off."""
        rows = await self._all(
            f"SELECT {_MEMBER_COLUMNS_M} FROM participants AS p JOIN members AS m ON m.id = p.member_id "
            "LEFT JOIN member_settings AS st ON st.member_id = m.id "
            f"WHERE p.round_id = ? AND p.status != 'submitted' AND p.declined = 0 AND m.reachable = 1 "
            f"AND COALESCE(st.reminders, 1) = 1 AND NOT COALESCE({_PAUSED}, FALSE) ORDER BY m.id",
            (round_id, now),
        )
        return [_member(row) for row in rows]

    async def withdraw_from_open_rounds(self, member_id: int) -> list[str]:
        """Take a member who pauses out of the open rounds they have not submitted in; they count as paused there."""
        rows = await self._all(
            "SELECT p.round_id FROM participants AS p JOIN rounds AS r ON r.id = p.round_id "
            "WHERE p.member_id = ? AND r.state = 'open' AND p.status != 'submitted'",
            (member_id,),
        )
        round_ids = [row[0] for row in rows]
        for round_id in round_ids:
            await self._run("DELETE FROM drafts WHERE round_id = ? AND member_id = ?", (round_id, member_id))
            await self._run("DELETE FROM participants WHERE round_id = ? AND member_id = ?", (round_id, member_id))
            await self._run(
                "UPDATE rounds SET paused_count = paused_count + 1, "
                "invited_count = (SELECT COUNT(*) FROM participants WHERE round_id = ?) WHERE id = ?",
                (round_id, round_id),
            )
        return round_ids

    async def members_whose_pause_ended(self, now: float) -> list[MemberRow]:
        """Members still marked paused whose pause date has come (nobody has brought them back yet)."""
        rows = await self._all(
            f"SELECT {_MEMBER_COLUMNS_M} FROM members AS m JOIN member_settings AS st ON st.member_id = m.id "
            "WHERE st.paused = 1 AND st.paused_until IS NOT NULL AND st.paused_until <= ?",
            (now,),
        )
        return [_member(row) for row in rows]

    async def rounds_to_rejoin(self, member_id: int) -> list[str]:
        """Open rounds of the member's groups they are not part of (they were paused when it opened)."""
        rows = await self._all(
            "SELECT r.id FROM rounds AS r JOIN memberships AS s ON s.group_id = r.group_id "
            "WHERE s.member_id = ? AND r.state = 'open' AND NOT EXISTS "
            "(SELECT 1 FROM participants AS p WHERE p.round_id = r.id AND p.member_id = ?)",
            (member_id, member_id),
        )
        return [row[0] for row in rows]

    async def unpause_in_round(self, round_id: str) -> None:
        await self._run(
            "UPDATE rounds SET paused_count = CASE WHEN paused_count > 0 THEN paused_count - 1 ELSE 0 END WHERE id = ?",
            (round_id,),
        )
