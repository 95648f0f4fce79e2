"""Queries for drafts: a member's answers while a round is open, with their choices per answer ("only for me",
"my supervisor may reply", the words put back after redaction).

A draft is linked to its member until the round closes (PRIVACY.md says so): a submission stays in `drafts`, and
closing reads every submitted draft once (`submitted_drafts`) to write the round's answers (`answers.py`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from checkins.storage.base import Queries


class Draft(NamedTuple):
    """A member's answers so far (None: seen and skipped), and the questions they marked "only for me" and
    "my supervisor may reply"."""

    answers: dict[str, Any | None]
    private: frozenset[str]
    reply_ok: frozenset[str]


def _draft(rows: Iterable[Sequence[Any]]) -> Draft:
    rows = list(rows)
    return Draft(
        {row[0]: None if row[1] is None else json.loads(row[1]) for row in rows},
        frozenset(row[0] for row in rows if row[2]),
        frozenset(row[0] for row in rows if row[3]),
    )


class DraftQueries(Queries):
    async def set_draft(
        self, round_id: str, member_id: int, question_id: str, value: Any | None, *, private: bool | None = None
    ) -> None:
        """Store one answer of a member's draft; `None` records a skipped question. `private=None` keeps the flag."""
        await self._run(
            "INSERT INTO drafts (round_id, member_id, question_id, value, private) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (round_id, member_id, question_id) DO UPDATE SET value = excluded.value, "
            "private = CASE WHEN CAST(? AS INTEGER) IS NULL THEN drafts.private ELSE excluded.private END",
            (
                round_id,
                member_id,
                question_id,
                None if value is None else json.dumps(value),
                int(bool(private)),
                private,
            ),
        )

    async def set_draft_private(self, round_id: str, member_id: int, question_id: str, private: bool) -> None:
        await self._run(
            "UPDATE drafts SET private = ? WHERE round_id = ? AND member_id = ? AND question_id = ?",
            (int(private), round_id, member_id, question_id),
        )

    async def drafts(self, round_id: str, member_id: int) -> tuple[dict[str, Any | None], frozenset[str]]:
        """A member's draft: the answers so far, and which of them are "only for me"."""
        answers, private, _reply_ok = await self.drafts_with_choices(round_id, member_id)
        return answers, private

    async def drafts_with_choices(self, round_id: str, member_id: int) -> Draft:
        """A member's draft with both of their choices per answer: "only for me", and "my supervisor may reply"."""
        rows = await self._all(
            "SELECT question_id, value, private, reply_ok FROM drafts WHERE round_id = ? AND member_id = ?",
            (round_id, member_id),
        )
        return _draft(rows)

    async def set_draft_kept(self, round_id: str, member_id: int, question_id: str, kept: Iterable[str]) -> None:
        """The words of one draft answer that the member put back after redaction took them for names."""
        words = sorted(set(kept))
        await self._run(
            "UPDATE drafts SET kept = ? WHERE round_id = ? AND member_id = ? AND question_id = ?",
            (json.dumps(words) if words else None, round_id, member_id, question_id),
        )

    async def drafts_kept(self, round_id: str, member_id: int) -> dict[str, tuple[str, ...]]:
        """Per question, the words the member put back (see `set_draft_kept`)."""
        rows = await self._all(
            "SELECT question_id, kept FROM drafts WHERE round_id = ? AND member_id = ? AND kept IS NOT NULL",
            (round_id, member_id),
        )
        return {question_id: tuple(json.loads(kept)) for question_id, kept in rows}

    async def delete_drafts(self, round_id: str, member_id: int) -> None:
        await self._run("DELETE FROM drafts WHERE round_id = ? AND member_id = ?", (round_id, member_id))

    async def submit_drafts(
        self,
        round_id: str,
        member_id: int,
        answers: dict[str, Any | None],
        private: frozenset[str],
        reply_ok: frozenset[str],
    ) -> None:
        """A member's submission: their drafts become exactly the submitted answers. They stay drafts, linked to
        the member like any draft, until the round closes and writes every submission at once. The words the member
        put back after redaction (`set_draft_kept`) stay with their answers."""
        kept = await self.drafts_kept(round_id, member_id)
        await self.delete_drafts(round_id, member_id)
        await self._many(
            "INSERT INTO drafts (round_id, member_id, question_id, value, private, reply_ok, kept) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    round_id,
                    member_id,
                    question_id,
                    None if value is None else json.dumps(value),
                    int(question_id in private),
                    int(question_id in reply_ok),
                    json.dumps(list(kept[question_id])) if kept.get(question_id) else None,
                )
                for question_id, value in answers.items()
            ],
        )

    async def set_draft_reply_ok(self, round_id: str, member_id: int, question_id: str, allowed: bool) -> None:
        await self._run(
            "UPDATE drafts SET reply_ok = ? WHERE round_id = ? AND member_id = ? AND question_id = ?",
            (int(allowed), round_id, member_id, question_id),
        )

    async def count_drafts_of_member(self, member_id: int) -> int:
        """Answers (submitted or not) of a member's open rounds: linked to them until the round closes."""
        row = await self._one("SELECT COUNT(*) FROM drafts WHERE member_id = ? AND value IS NOT NULL", (member_id,))
        return int(row[0]) if row else 0

    async def submitted_drafts(self, round_id: str) -> list[tuple[int, str, Any, bool, str | None]]:
        """(member id, question id, value, reply allowed, words put back as JSON) of every shared answer a
        submitted member gave."""
        rows = await self._all(
            "SELECT d.member_id, d.question_id, d.value, d.reply_ok, d.kept FROM drafts AS d JOIN participants AS p "
            "ON p.round_id = d.round_id AND p.member_id = d.member_id WHERE d.round_id = ? AND p.status = 'submitted' "
            "AND d.private = 0 AND d.value IS NOT NULL",
            (round_id,),
        )
        return [(row[0], row[1], json.loads(row[2]), bool(row[3]), row[4]) for row in rows]
