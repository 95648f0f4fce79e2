"""Queries for a closed round's answers: written in one shuffled batch at close, with no member id and an author tag
(an HMAC under the round's secret) only where the author allowed a reply; the tags and the secret are destroyed when
the reply window ends, and retention deletes old answers.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from checkins.storage.base import Queries


class AnswerQueries(Queries):
    async def insert_answers(self, round_id: str, answers: list[tuple[str, bytes | None, Any, str | None]]) -> None:
        """Write a closed round's answers in one batch, in the order given (the caller shuffles them): per answer
        the question id, an author tag only where its author allowed a reply, the value, and the words its author
        put back after redaction (honoured by the scrub at close, then cleared)."""
        # Written in the order of their random ids: on either engine the rows' physical order is then just as random.
        await self._many(
            "INSERT INTO answers (id, round_id, question_id, author_tag, value, kept) VALUES (?, ?, ?, ?, ?, ?)",
            sorted(
                (secrets.token_hex(12), round_id, question, tag, json.dumps(value), kept)
                for question, tag, value, kept in answers
            ),
        )

    async def destroy_expired_links(self, now: float) -> int:
        """Past a closed round's reply window, destroy its secret and author tags: nothing links answers to people."""
        expired = "SELECT id FROM rounds WHERE state = 'closed' AND secret IS NOT NULL AND reply_until <= ?"
        await self._run(f"UPDATE answers SET author_tag = NULL WHERE round_id IN ({expired})", (now,))
        await self._run(
            f"DELETE FROM reply_threads WHERE answer_id IN (SELECT id FROM answers WHERE round_id IN ({expired}))",
            (now,),
        )
        return await self._run(
            "UPDATE rounds SET secret = NULL WHERE state = 'closed' AND secret IS NOT NULL AND reply_until <= ?",
            (now,),
        )

    async def purge_answers_before(self, cutoff: float) -> int:
        """Retention: delete the answers of rounds closed before `cutoff`."""
        return await self._run(
            "DELETE FROM answers WHERE round_id IN (SELECT id FROM rounds WHERE state = 'closed' AND closed_at < ?)",
            (cutoff,),
        )

    async def round_answers(self, round_id: str) -> dict[str, list[Any]]:
        """Every shared answer of a round by question, in the random order of their random ids."""
        rows = await self._all(
            "SELECT question_id, value FROM answers WHERE round_id = ? AND private = 0 ORDER BY id", (round_id,)
        )
        grouped: dict[str, list[Any]] = {}
        for question_id, value in rows:
            grouped.setdefault(question_id, []).append(json.loads(value))
        return grouped

    async def count_answers_by_tags(self, tags: list[bytes]) -> int:
        placeholders = ", ".join("?" for _ in tags)
        row = await self._one(f"SELECT COUNT(*) FROM answers WHERE author_tag IN ({placeholders})", tags)
        return int(row[0]) if row else 0

    async def unlink_answers_by_tags(self, tags: list[bytes]) -> int:
        """Replace these author tags by random bytes: the answers stay in the closed round's digest and in the
        reply list exactly as before (so neither changes when someone erases themselves), linked to nobody."""
        unlinked = 0
        for tag in tags:
            unlinked += await self._run(
                "UPDATE answers SET author_tag = ? WHERE author_tag = ?", (secrets.token_bytes(len(tag)), tag)
            )
        return unlinked

    async def answer_for_reply(self, answer_id: str) -> tuple[str, str, bytes | None, Any] | None:
        """(round id, question id, author tag, value) of a shared answer, for an anonymous reply."""
        row = await self._one(
            "SELECT round_id, question_id, author_tag, value FROM answers WHERE id = ? AND private = 0", (answer_id,)
        )
        return (row[0], row[1], row[2], json.loads(row[3])) if row else None

    async def shared_text_answers(
        self, round_id: str, question_id: str, *, replyable: bool = False
    ) -> list[tuple[str, str]]:
        """(answer id, text) of one question's shared answers (`replyable`: only those whose author allowed a
        reply), in the random order of their ids."""
        only = " AND author_tag IS NOT NULL" if replyable else ""
        rows = await self._all(
            f"SELECT id, value FROM answers WHERE round_id = ? AND question_id = ? AND private = 0{only} ORDER BY id",
            (round_id, question_id),
        )
        return [(answer_id, str(json.loads(value))) for answer_id, value in rows]
