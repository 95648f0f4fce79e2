"""Queries for rounds: the round itself, who was asked and where they are, and who pressed a button.

A submission stays in `drafts` (`drafts.py`), linked to its member, until the round closes; closing writes every
submitted answer to `answers` (`answers.py`) in one shuffled batch. A round without answers whose author allowed a
reply loses its secret at close.
"""

from __future__ import annotations

import itertools
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from checkins.storage.answers import AnswerQueries
from checkins.storage.drafts import Draft, _draft
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


class Presser(NamedTuple):
    """Who pressed a button, the round it belongs to, their place in it and their draft (None: not found)."""

    member: MemberRow | None
    round: RoundRow | None
    participant: ParticipantRow | None
    draft: Draft
    screen: ScreenTarget | None  # the member's current screen (`participant.prompt_outbox_id`), if any


def _json_or_none(value: Any | None) -> str | None:
    return None if value is None else json.dumps(value)


class RoundQueries(AnswerQueries):
    """Rounds and participants; closing a round ends what its answers may still be linked to (`AnswerQueries`)."""

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

    async def rounds_of_group(self, group_id: str) -> list[RoundRow]:
        rows = await self._all(f"SELECT {_ROUND_COLUMNS} FROM rounds WHERE group_id = ? ORDER BY number", (group_id,))
        return [_round(row) for row in rows]

    async def rounds_with_secret(self) -> list[RoundRow]:
        """Rounds whose answers can still be linked to authors: open ones and closed ones inside the reply window."""
        rows = await self._all(f"SELECT {_ROUND_COLUMNS} FROM rounds WHERE secret IS NOT NULL ORDER BY opened_at")
        return [_round(row) for row in rows]

    async def remove_participant(self, round_id: str, member_id: int) -> None:
        await self._run("DELETE FROM drafts WHERE round_id = ? AND member_id = ?", (round_id, member_id))
        await self._run("DELETE FROM participants WHERE round_id = ? AND member_id = ?", (round_id, member_id))
