"""Queries for rounds: the round itself, who was asked and where they are, drafts, and submitted answers.

A submission stays in `drafts`, linked to its member, until the round closes; closing writes every submitted answer
to `answers` in one shuffled batch, with no member id and an author tag (an HMAC under the round's secret) only where
the author allowed a reply. A round without such answers loses its secret at close.
"""

from __future__ import annotations

import itertools
import json
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from checkins.storage.base import Queries
from checkins.storage.members import _MEMBER_COLUMNS, MemberRow, _member
from checkins.storage.outbox import ScreenTarget, screen_target, screen_target_columns


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
    declined_count: int = 0

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
    composing: bool = False
    declined: bool = False
    remind_at: float | None = None


_ROUND_COLUMNS = (
    "id, group_id, number, flow_id, state, opened_at, closed_at, secret, invited_count, submitted_count, reply_until, "
    "paused_count, flow_number, declined_count"
)
# The same columns for queries that join rounds as `r`.
ROUND_COLUMNS_R = ", ".join(f"r.{column.strip()}" for column in _ROUND_COLUMNS.split(","))
_PARTICIPANT_COLUMNS = (
    "round_id, member_id, status, cursor, editing_one, multi_selection, prompt_outbox_id, composing, declined, "
    "remind_at"
)


def _round(row: Sequence[Any]) -> RoundRow:
    return RoundRow(*row)


def _participant(row: Sequence[Any]) -> ParticipantRow:
    selection = tuple(json.loads(row[5])) if row[5] else ()
    return ParticipantRow(
        row[0], row[1], row[2], row[3], bool(row[4]), selection, row[6], bool(row[7]), bool(row[8]), row[9]
    )


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


class Presser(NamedTuple):
    """Who pressed a button, the round it belongs to, their place in it and their draft (None: not found)."""

    member: MemberRow | None
    round: RoundRow | None
    participant: ParticipantRow | None
    draft: Draft
    screen: ScreenTarget | None  # the member's current screen (`participant.prompt_outbox_id`), if any


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

    async def open_round_count(self) -> int:
        row = await self._one("SELECT COUNT(*) FROM rounds WHERE state = 'open'")
        return int(row[0]) if row else 0

    async def add_participant(self, round_id: str, member_id: int) -> None:
        await self._run(
            "INSERT INTO participants (round_id, member_id, status) VALUES (?, ?, 'answering') ON CONFLICT DO NOTHING",
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

    async def presser(self, telegram_user_id: int, round_id: str) -> Presser:
        """Who pressed a button of a round, the round, their place in it, their draft and the screen they pressed
        on, in one query (every press asks): a row per draft answer, the rest repeated on each."""
        member_columns = ", ".join(f"m.{column.strip()}" for column in _MEMBER_COLUMNS.split(","))
        participant_columns = ", ".join(f"p.{column.strip()}" for column in _PARTICIPANT_COLUMNS.split(","))
        rows = await self._all(
            f"SELECT {member_columns}, {ROUND_COLUMNS_R}, {participant_columns}, "
            f"{screen_target_columns('p.prompt_outbox_id', 'm.telegram_user_id')}, "
            "d.question_id, d.value, d.private, d.reply_ok FROM members AS m "
            "LEFT JOIN rounds AS r ON r.id = ? LEFT JOIN participants AS p ON p.round_id = r.id AND p.member_id = m.id "
            "LEFT JOIN drafts AS d ON d.round_id = p.round_id AND d.member_id = p.member_id "
            "WHERE m.telegram_user_id = ?",
            (round_id, telegram_user_id),
        )
        if not rows:
            return Presser(None, None, None, _draft([]), None)
        row = rows[0]
        ends = list(
            itertools.accumulate(
                len(columns.split(",")) for columns in (_MEMBER_COLUMNS, _ROUND_COLUMNS, _PARTICIPANT_COLUMNS)
            )
        )
        member_part, round_part = row[: ends[0]], row[ends[0] : ends[1]]
        participant_part, screen_part = row[ends[1] : ends[2]], row[ends[2] : ends[2] + 3]
        participant = _participant(participant_part) if participant_part[0] is not None else None
        shown = participant is not None and participant.prompt_outbox_id is not None
        return Presser(
            _member(member_part),
            _round(round_part) if round_part[0] is not None else None,
            participant,
            _draft(draft[ends[2] + 3 :] for draft in rows if draft[-4] is not None),
            screen_target(screen_part) if shown else None,
        )

    async def prompt_ref(self, round_id: str, member_id: int) -> int | None:
        """The outbox row of the screen a member has in front of them in this round (what an edit redraws)."""
        row = await self._one(
            "SELECT prompt_outbox_id FROM participants WHERE round_id = ? AND member_id = ?", (round_id, member_id)
        )
        return row[0] if row else None

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
        composing: bool = False,
    ) -> None:
        await self._run(
            "UPDATE participants SET status = ?, cursor = ?, editing_one = ?, multi_selection = ?, "
            "prompt_outbox_id = ?, composing = ? WHERE round_id = ? AND member_id = ?",
            (
                status,
                cursor,
                int(editing_one),
                json.dumps(list(multi_selection)) if multi_selection else None,
                prompt_outbox_id,
                int(composing),
                round_id,
                member_id,
            ),
        )

    async def close_round(self, round_id: str, now: float, reply_until: float) -> int:
        """Close a round: count submissions, drop drafts and progress (the caller has written the submitted answers
        with `insert_answers`). Answers an older version wrote before close lose their tags, private ones go. The
        secret stays only until `reply_until` (for anonymous replies); `destroy_expired_links` ends it."""
        row = await self._one(
            "SELECT COUNT(*) FROM participants WHERE round_id = ? AND status = 'submitted'", (round_id,)
        )
        submitted = int(row[0]) if row else 0
        # Only how many said "not this round" outlives the participants, never who.
        await self._run(
            "UPDATE rounds SET state = 'closed', closed_at = ?, submitted_count = ?, reply_until = ?, "
            "declined_count = (SELECT COUNT(*) FROM participants WHERE round_id = ? AND declined = 1 "
            "AND status != 'submitted') WHERE id = ?",
            (now, submitted, reply_until, round_id, round_id),
        )
        await self._run("DELETE FROM answers WHERE round_id = ? AND private = 1", (round_id,))
        await self._run(
            "UPDATE answers SET author_tag = NULL WHERE round_id = ? AND author_tag IS NOT NULL", (round_id,)
        )
        await self._run("DELETE FROM drafts WHERE round_id = ?", (round_id,))
        await self._run("DELETE FROM participants WHERE round_id = ?", (round_id,))
        # Whose messages waited for their own quiet hours says who set them: nothing to keep once the round closed.
        await self._run("DELETE FROM held_messages WHERE round_id = ?", (round_id,))
        await self.destroy_expired_links(now)
        return submitted

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

    async def unlink_answers_by_tags(self, tags: list[bytes]) -> int:
        """Replace these author tags by random bytes: the answers stay in the closed round's digest and in the
        reply list exactly as before (so neither changes when someone erases themselves), linked to nobody."""
        unlinked = 0
        for tag in tags:
            unlinked += await self._run(
                "UPDATE answers SET author_tag = ? WHERE author_tag = ?", (secrets.token_bytes(len(tag)), tag)
            )
        return unlinked

    async def count_drafts_of_member(self, member_id: int) -> int:
        """Answers (submitted or not) of a member's open rounds: linked to them until the round closes."""
        row = await self._one("SELECT COUNT(*) FROM drafts WHERE member_id = ? AND value IS NOT NULL", (member_id,))
        return int(row[0]) if row else 0

    async def remove_participant(self, round_id: str, member_id: int) -> None:
        await self._run("DELETE FROM drafts WHERE round_id = ? AND member_id = ?", (round_id, member_id))
        await self._run("DELETE FROM participants WHERE round_id = ? AND member_id = ?", (round_id, member_id))

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
