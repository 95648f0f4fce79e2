"""Queries linking a member's text messages to the questions they answered, so an edited message can update its
draft. A text answer written as several messages has one row per message, each keeping that message's text (`part`)
while the member drafts, so editing one message rebuilds the whole answer; the texts are cleared at submit. The link
exists only while the round is open: it is deleted with the round's participants at close."""

from __future__ import annotations

from checkins.storage.base import Queries


class WrittenAnswerQueries(Queries):
    # --- written answers -----------------------------------------------------------------------------------------

    async def remember_written(
        self, round_id: str, member_id: int, message_id: int, question_id: str, part: str | None = None
    ) -> None:
        await self._run(
            "INSERT INTO written_answers (round_id, member_id, message_id, question_id, part) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (round_id, member_id, message_id) "
            "DO UPDATE SET question_id = excluded.question_id, part = excluded.part",
            (round_id, member_id, message_id, question_id, part),
        )

    async def forget_written(self, round_id: str, member_id: int, question_id: str) -> None:
        """A new answer replaces the old one: its messages no longer belong to the question."""
        await self._run(
            "DELETE FROM written_answers WHERE round_id = ? AND member_id = ? AND question_id = ?",
            (round_id, member_id, question_id),
        )

    async def written_parts(self, round_id: str, member_id: int, question_id: str) -> list[tuple[int, str | None]]:
        """The messages (id and text, in the order written) that make up one draft answer."""
        rows = await self._all(
            "SELECT message_id, part FROM written_answers WHERE round_id = ? AND member_id = ? AND question_id = ? "
            "ORDER BY message_id",
            (round_id, member_id, question_id),
        )
        return [(row[0], row[1]) for row in rows]

    async def clear_written_parts(self, round_id: str, member_id: int) -> None:
        """At submit the draft's texts go; which message answered which question stays until the close."""
        await self._run(
            "UPDATE written_answers SET part = NULL WHERE round_id = ? AND member_id = ?", (round_id, member_id)
        )

    async def written_answer(self, member_id: int, message_id: int) -> tuple[str, str] | None:
        """The (round id, question id) a member's message answered, while that round is open."""
        row = await self._one(
            "SELECT round_id, question_id FROM written_answers WHERE member_id = ? AND message_id = ?",
            (member_id, message_id),
        )
        return (row[0], row[1]) if row else None
