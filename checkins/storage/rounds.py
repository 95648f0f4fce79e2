"""Queries for rounds: the round itself, who was asked and where they are, drafts, and submitted answers.

Submitted answers carry no member id: only an author tag (an HMAC under the round's secret) while the round is
open, cleared with the secret at close.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any

import aiosqlite

from checkins.storage.base import Queries


@dataclass(frozen=True)
class RoundRow:
    id: str
    group_id: str
    number: int
    flow_id: str
    state: str
    opened_at: float
    closed_at: float | None
    secret: bytes | None
    invited_count: int
    submitted_count: int | None
    reply_until: float | None
    paused_count: int
    # The round's number among the group's rounds of its flow (the group's running number is `number`).
    flow_number: int

    @property
    def is_open(self) -> bool:
        return self.state == "open"


@dataclass(frozen=True)
class ParticipantRow:
    round_id: str
    member_id: int
    status: str
    cursor: int
    editing_one: bool
    multi_selection: tuple[int, ...]
    prompt_outbox_id: int | None


_ROUND_COLUMNS = (
    "id, group_id, number, flow_id, state, opened_at, closed_at, secret, invited_count, submitted_count, reply_until, "
    "paused_count, flow_number"
)
# The same columns for queries that join rounds as `r`.
ROUND_COLUMNS_R = ", ".join(f"r.{column.strip()}" for column in _ROUND_COLUMNS.split(","))
_PARTICIPANT_COLUMNS = "round_id, member_id, status, cursor, editing_one, multi_selection, prompt_outbox_id"


def _round(row: aiosqlite.Row) -> RoundRow:
    return RoundRow(*row)


def _participant(row: aiosqlite.Row) -> ParticipantRow:
    selection = tuple(json.loads(row[5])) if row[5] else ()
    return ParticipantRow(row[0], row[1], row[2], row[3], bool(row[4]), selection, row[6])


def _json_or_none(value: Any | None) -> str | None:
    return None if value is None else json.dumps(value)


class RoundQueries(Queries):
    # --- rounds and participants -------------------------------------------------------------------------------

    async def create_round(self, group_id: str, flow_id: str, now: float) -> RoundRow:
        row = await self._one("SELECT COALESCE(MAX(number), 0) + 1 FROM rounds WHERE group_id = ?", (group_id,))
        number = int(row[0]) if row else 1
        row = await self._one(
            "SELECT COALESCE(MAX(flow_number), 0) + 1 FROM rounds WHERE group_id = ? AND flow_id = ?",
            (group_id, flow_id),
        )
        flow_number = int(row[0]) if row else 1
        # Short and random: it travels in every button's callback data (64 bytes at most).
        round_id = secrets.token_urlsafe(6)
        await self._run(
            "INSERT INTO rounds (id, group_id, number, flow_number, flow_id, state, opened_at, secret) "
            "VALUES (?, ?, ?, ?, ?, 'open', ?, ?)",
            (round_id, group_id, number, flow_number, flow_id, now, secrets.token_bytes(32)),
        )
        created = await self.round_by_id(round_id)
        assert created is not None
        return created

    async def round_by_id(self, round_id: str) -> RoundRow | None:
        row = await self._one(f"SELECT {_ROUND_COLUMNS} FROM rounds WHERE id = ?", (round_id,))
        return _round(row) if row else None

    async def open_round(self, group_id: str) -> RoundRow | None:
        row = await self._one(f"SELECT {_ROUND_COLUMNS} FROM rounds WHERE group_id = ? AND state = 'open'", (group_id,))
        return _round(row) if row else None

    async def add_participant(self, round_id: str, member_id: int) -> None:
        await self._run(
            "INSERT OR IGNORE INTO participants (round_id, member_id, status) VALUES (?, ?, 'answering')",
            (round_id, member_id),
        )
        await self._run(
            "UPDATE rounds SET invited_count = (SELECT COUNT(*) FROM participants WHERE round_id = ?) WHERE id = ?",
            (round_id, round_id),
        )

    async def participant(self, round_id: str, member_id: int) -> ParticipantRow | None:
        row = await self._one(
            f"SELECT {_PARTICIPANT_COLUMNS} FROM participants WHERE round_id = ? AND member_id = ?",
            (round_id, member_id),
        )
        return _participant(row) if row else None

    async def participants(self, round_id: str) -> list[ParticipantRow]:
        rows = await self._all(
            f"SELECT {_PARTICIPANT_COLUMNS} FROM participants WHERE round_id = ? ORDER BY member_id",
            (round_id,),
        )
        return [_participant(row) for row in rows]

    async def open_rounds_of_member(self, member_id: int) -> list[RoundRow]:
        rows = await self._all(
            f"SELECT {ROUND_COLUMNS_R} FROM participants AS p "
            "JOIN rounds AS r ON r.id = p.round_id WHERE p.member_id = ? AND r.state = 'open' ORDER BY r.opened_at",
            (member_id,),
        )
        return [_round(row) for row in rows]

    async def save_progress(
        self,
        round_id: str,
        member_id: int,
        *,
        status: str,
        cursor: int,
        editing_one: bool,
        multi_selection: tuple[int, ...],
        prompt_outbox_id: int | None,
    ) -> None:
        await self._run(
            "UPDATE participants SET status = ?, cursor = ?, editing_one = ?, multi_selection = ?, "
            "prompt_outbox_id = ? WHERE round_id = ? AND member_id = ?",
            (
                status,
                cursor,
                int(editing_one),
                json.dumps(list(multi_selection)) if multi_selection else None,
                prompt_outbox_id,
                round_id,
                member_id,
            ),
        )

    async def close_round(self, round_id: str, now: float, reply_until: float) -> int:
        """Close a round: count submissions, drop drafts, progress and private answers. The secret and the
        author tags stay only until `reply_until` (for anonymous replies); `destroy_expired_links` ends them."""
        row = await self._one(
            "SELECT COUNT(*) FROM participants WHERE round_id = ? AND status = 'submitted'", (round_id,)
        )
        submitted = int(row[0]) if row else 0
        await self._run(
            "UPDATE rounds SET state = 'closed', closed_at = ?, submitted_count = ?, reply_until = ? WHERE id = ?",
            (now, submitted, reply_until, round_id),
        )
        await self._run("DELETE FROM answers WHERE round_id = ? AND private = 1", (round_id,))
        await self._run("DELETE FROM drafts WHERE round_id = ?", (round_id,))
        await self._run("DELETE FROM participants WHERE round_id = ?", (round_id,))
        await self.destroy_expired_links(now)
        return submitted

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

    async def rounds_of_group(self, group_id: str) -> list[RoundRow]:
        rows = await self._all(f"SELECT {_ROUND_COLUMNS} FROM rounds WHERE group_id = ? ORDER BY number", (group_id,))
        return [_round(row) for row in rows]

    # --- drafts and answers ------------------------------------------------------------------------------------

    async def set_draft(
        self, round_id: str, member_id: int, question_id: str, value: Any | None, *, private: bool | None = None
    ) -> None:
        """Store one answer of a member's draft; `None` records a skipped question. `private=None` keeps the flag."""
        await self._run(
            "INSERT INTO drafts (round_id, member_id, question_id, value, private) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (round_id, member_id, question_id) DO UPDATE SET value = excluded.value, "
            "private = CASE WHEN ? IS NULL THEN drafts.private ELSE excluded.private END",
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
        rows = await self._all(
            "SELECT question_id, value, private FROM drafts WHERE round_id = ? AND member_id = ?",
            (round_id, member_id),
        )
        answers = {row[0]: None if row[1] is None else json.loads(row[1]) for row in rows}
        return answers, frozenset(row[0] for row in rows if row[2])

    async def delete_drafts(self, round_id: str, member_id: int) -> None:
        await self._run("DELETE FROM drafts WHERE round_id = ? AND member_id = ?", (round_id, member_id))

    async def replace_answers(
        self, round_id: str, tagged_values: dict[str, tuple[bytes, Any | None]], private: frozenset[str]
    ) -> None:
        """Write a member's submission: per question, an author tag and the value (None removes the answer)."""
        for question_id, (tag, value) in tagged_values.items():
            await self._run("DELETE FROM answers WHERE author_tag = ?", (tag,))
            if value is not None:
                await self._run(
                    "INSERT INTO answers (id, round_id, question_id, author_tag, value, private) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (secrets.token_hex(12), round_id, question_id, tag, json.dumps(value), int(question_id in private)),
                )

    async def answers_by_tags(self, tags: dict[str, bytes]) -> tuple[dict[str, Any], frozenset[str]]:
        """A member's own submitted answers (and which are private), found through the tags only they can compute."""
        found: dict[str, Any] = {}
        private: set[str] = set()
        for question_id, tag in tags.items():
            row = await self._one("SELECT value, private FROM answers WHERE author_tag = ?", (tag,))
            if row:
                found[question_id] = json.loads(row[0])
                if row[1]:
                    private.add(question_id)
        return found, frozenset(private)

    async def round_answers(self, round_id: str) -> dict[str, list[Any]]:
        """Every shared answer of a round by question, in the random order of their random ids."""
        rows = await self._all(
            "SELECT question_id, value FROM answers WHERE round_id = ? AND private = 0 ORDER BY id", (round_id,)
        )
        grouped: dict[str, list[Any]] = {}
        for question_id, value in rows:
            grouped.setdefault(question_id, []).append(json.loads(value))
        return grouped

    async def rounds_with_secret(self) -> list[RoundRow]:
        """Rounds whose answers can still be linked to authors: open ones and closed ones inside the reply window."""
        rows = await self._all(f"SELECT {_ROUND_COLUMNS} FROM rounds WHERE secret IS NOT NULL ORDER BY opened_at")
        return [_round(row) for row in rows]

    async def count_answers_by_tags(self, tags: list[bytes]) -> int:
        placeholders = ", ".join("?" for _ in tags)
        row = await self._one(f"SELECT COUNT(*) FROM answers WHERE author_tag IN ({placeholders})", tags)
        return int(row[0]) if row else 0

    async def delete_answers_by_tags(self, tags: list[bytes]) -> int:
        deleted = 0
        for tag in tags:
            deleted += await self._run("DELETE FROM answers WHERE author_tag = ?", (tag,))
        return deleted

    async def remove_participant(self, round_id: str, member_id: int) -> None:
        await self._run("DELETE FROM drafts WHERE round_id = ? AND member_id = ?", (round_id, member_id))
        await self._run("DELETE FROM participants WHERE round_id = ? AND member_id = ?", (round_id, member_id))

    async def answer_for_reply(self, answer_id: str) -> tuple[str, str, bytes | None, Any] | None:
        """(round id, question id, author tag, value) of a shared answer, for an anonymous reply."""
        row = await self._one(
            "SELECT round_id, question_id, author_tag, value FROM answers WHERE id = ? AND private = 0", (answer_id,)
        )
        return (row[0], row[1], row[2], json.loads(row[3])) if row else None

    async def shared_text_answers(self, round_id: str, question_id: str) -> list[tuple[str, str]]:
        """(answer id, text) of one question's shared answers, in the random order of their ids."""
        rows = await self._all(
            "SELECT id, value FROM answers WHERE round_id = ? AND question_id = ? AND private = 0 ORDER BY id",
            (round_id, question_id),
        )
        return [(answer_id, str(json.loads(value))) for answer_id, value in rows]
