"""SQLite storage: the one place with SQL. Schema versions and migrations, members, invites, rounds, answers, outbox.

`Store.open(path)` connects with aiosqlite, turns on WAL, foreign keys and `secure_delete`, and applies every
migration in `checkins/migrations/` whose number is above the database's `user_version`, each in its own
transaction. All access goes through `async with store.transaction():`, which serialises writers of this process on
one connection (`BEGIN IMMEDIATE`), commits on success and rolls back on any exception — so an answer and the
messages it triggers are committed together or not at all. Every statement is parameterised.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiosqlite

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


@dataclass(frozen=True)
class MemberRow:
    id: int
    telegram_user_id: int
    language: str
    first_name: str | None
    last_name: str | None
    username: str | None
    reachable: bool
    focus_round_id: str | None


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


@dataclass(frozen=True)
class OutboxItem:
    id: int
    chat_id: int
    kind: str
    payload: dict[str, Any]
    attempts: int


_MEMBER_COLUMNS = "id, telegram_user_id, language, first_name, last_name, username, reachable, focus_round_id"
_ROUND_COLUMNS = "id, group_id, number, flow_id, state, opened_at, closed_at, secret, invited_count, submitted_count"
_PARTICIPANT_COLUMNS = "round_id, member_id, status, cursor, editing_one, multi_selection, prompt_outbox_id"


def _member(row: aiosqlite.Row) -> MemberRow:
    return MemberRow(row[0], row[1], row[2], row[3], row[4], row[5], bool(row[6]), row[7])


def _round(row: aiosqlite.Row) -> RoundRow:
    return RoundRow(*row)


def _participant(row: aiosqlite.Row) -> ParticipantRow:
    selection = tuple(json.loads(row[5])) if row[5] else ()
    return ParticipantRow(row[0], row[1], row[2], row[3], bool(row[4]), selection, row[6])


class Store:
    """Repository over one SQLite database."""

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._db = connection
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path | str) -> Store:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        connection = await aiosqlite.connect(str(path), isolation_level=None)
        await connection.execute("PRAGMA journal_mode=WAL")
        await connection.execute("PRAGMA foreign_keys=ON")
        # Deleted answers are overwritten on disk, not just unlinked.
        await connection.execute("PRAGMA secure_delete=ON")
        await connection.execute("PRAGMA busy_timeout=5000")
        store = cls(connection)
        await store._migrate()
        return store

    async def close(self) -> None:
        await self._db.close()

    async def _migrate(self) -> None:
        async with self._db.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        current = int(row[0]) if row else 0
        for script in sorted(MIGRATIONS_DIR.glob("[0-9][0-9][0-9][0-9]_*.sql")):
            version = int(script.name[:4])
            if version <= current:
                continue
            # executescript commits on its own, so the version bump sits inside the script's transaction.
            await self._db.executescript(
                f"BEGIN IMMEDIATE;\n{script.read_text(encoding='utf-8')}\nPRAGMA user_version={version};\nCOMMIT;"
            )

    async def schema_version(self) -> int:
        async with self._db.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Store]:
        async with self._lock:
            await self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self
            except BaseException:
                await self._db.execute("ROLLBACK")
                raise
            await self._db.execute("COMMIT")

    async def _one(self, sql: str, params: Iterable[Any] = ()) -> aiosqlite.Row | None:
        async with self._db.execute(sql, tuple(params)) as cursor:
            return await cursor.fetchone()

    async def _all(self, sql: str, params: Iterable[Any] = ()) -> list[aiosqlite.Row]:
        async with self._db.execute(sql, tuple(params)) as cursor:
            return list(await cursor.fetchall())

    async def _run(self, sql: str, params: Iterable[Any] = ()) -> int:
        async with self._db.execute(sql, tuple(params)) as cursor:
            return cursor.rowcount

    # --- members and memberships -------------------------------------------------------------------------------

    async def upsert_member(
        self,
        telegram_user_id: int,
        *,
        language: str,
        first_name: str | None,
        last_name: str | None,
        username: str | None,
    ) -> MemberRow:
        """Create a member on first contact, or refresh the names Telegram reports (language stays as chosen)."""
        await self._run(
            "INSERT INTO members (telegram_user_id, language, first_name, last_name, username) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (telegram_user_id) DO UPDATE SET "
            "first_name = excluded.first_name, last_name = excluded.last_name, username = excluded.username, "
            "reachable = 1",
            (telegram_user_id, language, first_name, last_name, username),
        )
        member = await self.member_by_telegram_id(telegram_user_id)
        assert member is not None
        return member

    async def member_by_telegram_id(self, telegram_user_id: int) -> MemberRow | None:
        row = await self._one(f"SELECT {_MEMBER_COLUMNS} FROM members WHERE telegram_user_id = ?", (telegram_user_id,))
        return _member(row) if row else None

    async def member_by_id(self, member_id: int) -> MemberRow | None:
        row = await self._one(f"SELECT {_MEMBER_COLUMNS} FROM members WHERE id = ?", (member_id,))
        return _member(row) if row else None

    async def set_focus_round(self, member_id: int, round_id: str | None) -> None:
        await self._run("UPDATE members SET focus_round_id = ? WHERE id = ?", (round_id, member_id))

    async def set_reachable(self, member_id: int, reachable: bool) -> None:
        await self._run("UPDATE members SET reachable = ? WHERE id = ?", (int(reachable), member_id))

    async def add_membership(self, group_id: str, member_id: int) -> bool:
        """Return False when the member was already in the group."""
        changed = await self._run(
            "INSERT OR IGNORE INTO memberships (group_id, member_id) VALUES (?, ?)", (group_id, member_id)
        )
        return changed > 0

    async def group_members(self, group_id: str) -> list[MemberRow]:
        rows = await self._all(
            f"SELECT {', '.join('m.' + c.strip() for c in _MEMBER_COLUMNS.split(','))} "
            "FROM memberships AS s JOIN members AS m ON m.id = s.member_id WHERE s.group_id = ? ORDER BY m.id",
            (group_id,),
        )
        return [_member(row) for row in rows]

    async def member_group_ids(self, member_id: int) -> list[str]:
        rows = await self._all("SELECT group_id FROM memberships WHERE member_id = ? ORDER BY group_id", (member_id,))
        return [row[0] for row in rows]

    # --- invites -----------------------------------------------------------------------------------------------

    async def create_invite(self, group_id: str, expires_at: float) -> str:
        token = secrets.token_urlsafe(16)
        await self._run(
            "INSERT INTO invites (token, group_id, expires_at) VALUES (?, ?, ?)",
            (token, group_id, expires_at),
        )
        return token

    async def invite_group(self, token: str, now: float) -> str | None:
        """The group a valid (known, unrevoked, unexpired) invite token leads to."""
        row = await self._one(
            "SELECT group_id FROM invites WHERE token = ? AND revoked = 0 AND expires_at > ?", (token, now)
        )
        return row[0] if row else None

    async def revoke_invites(self, group_id: str) -> int:
        return await self._run("UPDATE invites SET revoked = 1 WHERE group_id = ? AND revoked = 0", (group_id,))

    # --- rounds and participants -------------------------------------------------------------------------------

    async def create_round(self, group_id: str, flow_id: str, now: float) -> RoundRow:
        row = await self._one("SELECT COALESCE(MAX(number), 0) + 1 FROM rounds WHERE group_id = ?", (group_id,))
        number = int(row[0]) if row else 1
        # Short and random: it travels in every button's callback data (64 bytes at most).
        round_id = secrets.token_urlsafe(6)
        await self._run(
            "INSERT INTO rounds (id, group_id, number, flow_id, state, opened_at, secret) "
            "VALUES (?, ?, ?, ?, 'open', ?, ?)",
            (round_id, group_id, number, flow_id, now, secrets.token_bytes(32)),
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
            f"SELECT {', '.join('r.' + c.strip() for c in _ROUND_COLUMNS.split(','))} FROM participants AS p "
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

    async def close_round(self, round_id: str, now: float) -> int:
        """Close a round for good: count submissions, then drop every link between answers and members."""
        row = await self._one(
            "SELECT COUNT(*) FROM participants WHERE round_id = ? AND status = 'submitted'", (round_id,)
        )
        submitted = int(row[0]) if row else 0
        await self._run(
            "UPDATE rounds SET state = 'closed', closed_at = ?, submitted_count = ?, secret = NULL WHERE id = ?",
            (now, submitted, round_id),
        )
        await self._run("UPDATE answers SET author_tag = NULL WHERE round_id = ?", (round_id,))
        await self._run("DELETE FROM drafts WHERE round_id = ?", (round_id,))
        await self._run("DELETE FROM participants WHERE round_id = ?", (round_id,))
        return submitted

    async def rounds_of_group(self, group_id: str) -> list[RoundRow]:
        rows = await self._all(f"SELECT {_ROUND_COLUMNS} FROM rounds WHERE group_id = ? ORDER BY number", (group_id,))
        return [_round(row) for row in rows]

    # --- drafts and answers ------------------------------------------------------------------------------------

    async def set_draft(self, round_id: str, member_id: int, question_id: str, value: Any | None) -> None:
        """Store one answer of a member's draft; `None` records a skipped question."""
        await self._run(
            "INSERT INTO drafts (round_id, member_id, question_id, value) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (round_id, member_id, question_id) DO UPDATE SET value = excluded.value",
            (round_id, member_id, question_id, None if value is None else json.dumps(value)),
        )

    async def drafts(self, round_id: str, member_id: int) -> dict[str, Any | None]:
        rows = await self._all(
            "SELECT question_id, value FROM drafts WHERE round_id = ? AND member_id = ?",
            (round_id, member_id),
        )
        return {row[0]: None if row[1] is None else json.loads(row[1]) for row in rows}

    async def delete_drafts(self, round_id: str, member_id: int) -> None:
        await self._run("DELETE FROM drafts WHERE round_id = ? AND member_id = ?", (round_id, member_id))

    async def replace_answers(self, round_id: str, tagged_values: dict[str, tuple[bytes, Any | None]]) -> None:
        """Write a member's submission: per question, an author tag and the value (None removes the answer)."""
        for question_id, (tag, value) in tagged_values.items():
            await self._run("DELETE FROM answers WHERE author_tag = ?", (tag,))
            if value is not None:
                await self._run(
                    "INSERT INTO answers (id, round_id, question_id, author_tag, value) VALUES (?, ?, ?, ?, ?)",
                    (secrets.token_hex(12), round_id, question_id, tag, json.dumps(value)),
                )

    async def answers_by_tags(self, tags: dict[str, bytes]) -> dict[str, Any]:
        """A member's own submitted answers, found through the tags only they can compute while the round is open."""
        found: dict[str, Any] = {}
        for question_id, tag in tags.items():
            row = await self._one("SELECT value FROM answers WHERE author_tag = ?", (tag,))
            if row:
                found[question_id] = json.loads(row[0])
        return found

    async def round_answers(self, round_id: str) -> dict[str, list[Any]]:
        """Every submitted answer of a round by question, in the random order of their random ids."""
        rows = await self._all("SELECT question_id, value FROM answers WHERE round_id = ? ORDER BY id", (round_id,))
        grouped: dict[str, list[Any]] = {}
        for question_id, value in rows:
            grouped.setdefault(question_id, []).append(json.loads(value))
        return grouped

    # --- outbox ------------------------------------------------------------------------------------------------

    async def enqueue(
        self, chat_id: int, kind: str, payload: dict[str, Any], dedupe_key: str | None = None
    ) -> int | None:
        """Queue a message; returns its id, or None when a message with the same dedupe key already exists."""
        async with self._db.execute(
            "INSERT OR IGNORE INTO outbox (chat_id, kind, payload, dedupe_key) VALUES (?, ?, ?, ?)",
            (chat_id, kind, json.dumps(payload, ensure_ascii=False), dedupe_key),
        ) as cursor:
            return cursor.lastrowid if cursor.rowcount else None

    async def due_outbox(self, now: float, limit: int) -> list[OutboxItem]:
        rows = await self._all(
            # An item waits while an earlier item of its chat is backing off, so a chat's messages stay in order.
            "SELECT id, chat_id, kind, payload, attempts FROM outbox AS item "
            "WHERE state = 'pending' AND not_before <= ? AND NOT EXISTS (SELECT 1 FROM outbox AS earlier "
            "WHERE earlier.chat_id = item.chat_id AND earlier.state = 'pending' AND earlier.id < item.id) "
            "ORDER BY id LIMIT ?",
            (now, limit),
        )
        return [OutboxItem(row[0], row[1], row[2], json.loads(row[3]), row[4]) for row in rows]

    async def next_outbox_time(self) -> float | None:
        row = await self._one("SELECT MIN(not_before) FROM outbox WHERE state = 'pending'")
        return float(row[0]) if row and row[0] is not None else None

    async def outbox_message_id(self, outbox_id: int) -> int | None:
        row = await self._one("SELECT message_id FROM outbox WHERE id = ?", (outbox_id,))
        return int(row[0]) if row and row[0] is not None else None

    async def mark_sent(self, outbox_id: int, message_id: int | None) -> None:
        # The text is no longer needed once Telegram has it: keep only what later edits refer to.
        await self._run(
            "UPDATE outbox SET state = 'sent', payload = NULL, message_id = ? WHERE id = ?",
            (message_id, outbox_id),
        )

    async def mark_retry(self, outbox_id: int, not_before: float) -> None:
        await self._run(
            "UPDATE outbox SET attempts = attempts + 1, not_before = ? WHERE id = ?", (not_before, outbox_id)
        )

    async def mark_failed(self, outbox_id: int) -> None:
        await self._run("UPDATE outbox SET state = 'failed', payload = NULL WHERE id = ?", (outbox_id,))

    async def drop_pending_for_chat(self, chat_id: int) -> int:
        return await self._run(
            "UPDATE outbox SET state = 'failed', payload = NULL WHERE chat_id = ? AND state = 'pending'",
            (chat_id,),
        )

    async def dump_tables(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of every table: for confidentiality tests that inspect what a database reader would see."""
        tables = await self._all("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        return {name: [tuple(row) for row in await self._all(f'SELECT * FROM "{name}"')] for (name,) in tables}
