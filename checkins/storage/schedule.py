"""Queries for the calendar: rounds bound to sessions, reminders sent, skipped sessions, calendar-end notices,
paused counts and linked group chats."""

from __future__ import annotations

from dataclasses import dataclass

from checkins.storage.base import Queries, Row
from checkins.storage.rounds import ROUND_COLUMNS_R, RoundRow, _round


@dataclass(frozen=True)
class ScheduledRoundRow:
    group_id: str
    session_key: str
    flow_id: str
    round_id: str
    is_open: bool
    reminders_sent: int
    opened_at: float | None = None


@dataclass(frozen=True)
class HeldMessageRow:
    round_id: str
    member_id: int
    kind: str  # "prompt" | "reminder"
    due_at: float
    number: int


@dataclass(frozen=True)
class GroupChatRow:
    group_id: str
    chat_id: int
    deep_link: str


_SCHEDULED_SELECT = (
    "SELECT s.group_id, s.session_key, s.flow_id, s.round_id, r.state = 'open', s.reminders_sent, r.opened_at "
    "FROM scheduled_rounds AS s JOIN rounds AS r ON r.id = s.round_id"
)


def _scheduled(row: Row) -> ScheduledRoundRow:
    return ScheduledRoundRow(row[0], row[1], row[2], row[3], bool(row[4]), row[5], row[6])


class ScheduleQueries(Queries):
    # --- rounds bound to sessions ------------------------------------------------------------------------------

    async def link_scheduled_round(self, group_id: str, session_key: str, flow_id: str, round_id: str) -> None:
        """Bind a new round to its session; a second round for the same session and flow violates the key."""
        await self._run(
            "INSERT INTO scheduled_rounds (group_id, session_key, flow_id, round_id) VALUES (?, ?, ?, ?)",
            (group_id, session_key, flow_id, round_id),
        )

    async def scheduled_round(self, group_id: str, session_key: str, flow_id: str) -> ScheduledRoundRow | None:
        row = await self._one(
            f"{_SCHEDULED_SELECT} WHERE s.group_id = ? AND s.session_key = ? AND s.flow_id = ?",
            (group_id, session_key, flow_id),
        )
        return _scheduled(row) if row else None

    async def scheduled_round_of(self, round_id: str) -> ScheduledRoundRow | None:
        row = await self._one(f"{_SCHEDULED_SELECT} WHERE s.round_id = ?", (round_id,))
        return _scheduled(row) if row else None

    async def scheduled_rounds(self) -> list[ScheduledRoundRow]:
        return [_scheduled(row) for row in await self._all(_SCHEDULED_SELECT)]

    async def set_reminders_sent(self, round_id: str, number: int) -> None:
        await self._run("UPDATE scheduled_rounds SET reminders_sent = ? WHERE round_id = ?", (number, round_id))

    async def open_round_flows(self) -> set[tuple[str, str]]:
        rows = await self._all("SELECT group_id, flow_id FROM rounds WHERE state = 'open'")
        return {(row[0], row[1]) for row in rows}

    async def open_rounds_of_group(self, group_id: str) -> list[RoundRow]:
        rows = await self._all(
            f"SELECT {ROUND_COLUMNS_R} FROM rounds AS r WHERE r.group_id = ? AND r.state = 'open' ORDER BY r.opened_at",
            (group_id,),
        )
        return [_round(row) for row in rows]

    async def set_paused_count(self, round_id: str, count: int) -> None:
        await self._run("UPDATE rounds SET paused_count = ? WHERE id = ?", (count, round_id))

    async def paused_count(self, round_id: str) -> int:
        row = await self._one("SELECT paused_count FROM rounds WHERE id = ?", (round_id,))
        return int(row[0]) if row else 0

    # --- skipped sessions and calendar notices -----------------------------------------------------------------

    async def skip_session(self, group_id: str, session_key: str) -> bool:
        """Return False when the session was already skipped."""
        changed = await self._run(
            "INSERT INTO skipped_sessions (group_id, session_key) VALUES (?, ?) ON CONFLICT DO NOTHING",
            (group_id, session_key),
        )
        return changed > 0

    async def unskip_session(self, group_id: str, session_key: str) -> bool:
        """Return False when the session was not skipped."""
        changed = await self._run(
            "DELETE FROM skipped_sessions WHERE group_id = ? AND session_key = ?", (group_id, session_key)
        )
        return changed > 0

    async def skipped_sessions(self) -> set[tuple[str, str]]:
        rows = await self._all("SELECT group_id, session_key FROM skipped_sessions")
        return {(row[0], row[1]) for row in rows}

    async def record_calendar_notice(self, group_id: str, last_session_key: str) -> bool:
        """Return False when this notice was already recorded."""
        changed = await self._run(
            "INSERT INTO calendar_notices (group_id, last_session_key) VALUES (?, ?) ON CONFLICT DO NOTHING",
            (group_id, last_session_key),
        )
        return changed > 0

    async def calendar_notices(self) -> set[tuple[str, str]]:
        rows = await self._all("SELECT group_id, last_session_key FROM calendar_notices")
        return {(row[0], row[1]) for row in rows}

    # --- what the timer has seen, and missed rounds ------------------------------------------------------------

    async def schedule_seen_until(self) -> float | None:
        row = await self._one("SELECT seen_until FROM schedule_seen WHERE id = 1")
        return float(row[0]) if row else None

    async def set_schedule_seen_until(self, moment: float) -> None:
        """Move the mark forward only: a clock set back must not report rounds twice or hide missed ones."""
        await self._run(
            "INSERT INTO schedule_seen (id, seen_until) VALUES (1, ?) "
            "ON CONFLICT (id) DO UPDATE SET seen_until = CASE WHEN excluded.seen_until > schedule_seen.seen_until "
            "THEN excluded.seen_until ELSE schedule_seen.seen_until END",
            (moment,),
        )

    async def record_missed_round(self, group_id: str, session_key: str, flow_id: str) -> bool:
        """Return False when this missed round was already recorded."""
        changed = await self._run(
            "INSERT INTO missed_rounds (group_id, session_key, flow_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            (group_id, session_key, flow_id),
        )
        return changed > 0

    async def missed_rounds(self) -> set[tuple[str, str, str]]:
        rows = await self._all("SELECT group_id, session_key, flow_id FROM missed_rounds")
        return {(row[0], row[1], row[2]) for row in rows}

    # --- prompts and reminders held for one member's quiet hours ----------------------------------------------

    async def hold_message(self, round_id: str, member_id: int, kind: str, due_at: float, number: int = 0) -> None:
        """Hold a prompt or reminder until `due_at`; a reminder held again replaces the one still waiting."""
        await self._run(
            "INSERT INTO held_messages (round_id, member_id, kind, due_at, number) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (round_id, member_id, kind) DO UPDATE SET due_at = excluded.due_at, "
            "number = excluded.number, released_at = NULL WHERE held_messages.kind = 'reminder'",
            (round_id, member_id, kind, due_at, number),
        )

    async def due_held_messages(self, now: float) -> list[HeldMessageRow]:
        """Held messages whose time has come, of rounds still open, oldest first."""
        rows = await self._all(
            "SELECT h.round_id, h.member_id, h.kind, h.due_at, h.number FROM held_messages AS h "
            "JOIN rounds AS r ON r.id = h.round_id "
            "WHERE h.released_at IS NULL AND h.due_at <= ? AND r.state = 'open' ORDER BY h.due_at",
            (now,),
        )
        return [HeldMessageRow(*row) for row in rows]

    async def release_held_message(self, round_id: str, member_id: int, kind: str, now: float) -> bool:
        """Mark a held message sent; False when it already was (a timer firing twice)."""
        changed = await self._run(
            "UPDATE held_messages SET released_at = ? "
            "WHERE round_id = ? AND member_id = ? AND kind = ? AND released_at IS NULL",
            (now, round_id, member_id, kind),
        )
        return changed > 0

    async def held_prompt(self, round_id: str, member_id: int) -> tuple[float, float | None] | None:
        """(due, released) of a member's held prompt in a round, if it was held."""
        row = await self._one(
            "SELECT due_at, released_at FROM held_messages WHERE round_id = ? AND member_id = ? AND kind = 'prompt'",
            (round_id, member_id),
        )
        return (row[0], row[1]) if row else None

    async def next_held_due(self) -> float | None:
        row = await self._one(
            "SELECT MIN(h.due_at) FROM held_messages AS h JOIN rounds AS r ON r.id = h.round_id "
            "WHERE h.released_at IS NULL AND r.state = 'open'"
        )
        return float(row[0]) if row and row[0] is not None else None

    # --- linked group chats ------------------------------------------------------------------------------------

    async def link_group_chat(self, group_id: str, chat_id: int, deep_link: str) -> None:
        await self._run(
            "INSERT INTO group_chats (group_id, chat_id, deep_link) VALUES (?, ?, ?) ON CONFLICT (group_id) "
            "DO UPDATE SET chat_id = excluded.chat_id, deep_link = excluded.deep_link",
            (group_id, chat_id, deep_link),
        )

    async def unlink_group_chat(self, group_id: str) -> bool:
        return await self._run("DELETE FROM group_chats WHERE group_id = ?", (group_id,)) > 0

    async def group_chat(self, group_id: str) -> GroupChatRow | None:
        row = await self._one("SELECT group_id, chat_id, deep_link FROM group_chats WHERE group_id = ?", (group_id,))
        return GroupChatRow(row[0], row[1], row[2]) if row else None
