"""Queries linking a member's text messages to the questions they answered, so an edited message can update its
draft. The link exists only while the round is open: it is deleted with the round's participants at close."""

from __future__ import annotations

from checkins.storage.base import Queries


class WrittenAnswerQueries(Queries):
    # --- written answers -----------------------------------------------------------------------------------------

    async def remember_written(self, round_id: str, member_id: int, message_id: int, question_id: str) -> None:
        await self._run(
            "INSERT OR REPLACE INTO written_answers (round_id, member_id, message_id, question_id) VALUES (?, ?, ?, ?)",
            (round_id, member_id, message_id, question_id),
        )

    async def written_answer(self, member_id: int, message_id: int) -> tuple[str, str] | None:
        """The (round id, question id) a member's message answered, while that round is open."""
        row = await self._one(
            "SELECT round_id, question_id FROM written_answers WHERE member_id = ? AND message_id = ?",
            (member_id, message_id),
        )
        return (row[0], row[1]) if row else None
