"""Queries for people: members, group memberships and invite tokens."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from checkins.storage.base import Queries

# Random member ids are drawn below 2**53: unique in practice, and exact in any JSON reader.
MEMBER_ID_RANGE = 2**53 - 1


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


_MEMBER_COLUMNS = "id, telegram_user_id, language, first_name, last_name, username, reachable, focus_round_id"


def _member(row: Sequence[Any]) -> MemberRow:
    return MemberRow(row[0], row[1], row[2], row[3], row[4], row[5], bool(row[6]), row[7])


class MemberQueries(Queries):
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
        """Create a member on first contact, or refresh the names Telegram reports (language stays as chosen).
        A new member gets a random id, never the next integer: an id is never reused after an erasure, so nothing
        keyed by an old id can point to someone new (and ids say nothing about who joined when)."""
        await self._run(
            "INSERT INTO members (id, telegram_user_id, language, first_name, last_name, username) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (telegram_user_id) DO UPDATE SET "
            "first_name = excluded.first_name, last_name = excluded.last_name, username = excluded.username, "
            "reachable = 1",
            (secrets.randbelow(MEMBER_ID_RANGE) + 1, telegram_user_id, language, first_name, last_name, username),
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

    async def add_membership(self, group_id: str, member_id: int, *, attributed_consent: bool = False) -> bool:
        """Return False when the member was already in the group. `attributed_consent`: they agreed, when joining,
        that their answers are read under their name (individual supervision)."""
        changed = await self._run(
            "INSERT INTO memberships (group_id, member_id, attributed_consent) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            (group_id, member_id, int(attributed_consent)),
        )
        return changed > 0

    async def attributed_consent(self, group_id: str, member_id: int) -> bool:
        row = await self._one(
            "SELECT attributed_consent FROM memberships WHERE group_id = ? AND member_id = ?", (group_id, member_id)
        )
        return bool(row and row[0])

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

    async def remove_membership(self, group_id: str, member_id: int) -> bool:
        removed = await self._run("DELETE FROM memberships WHERE group_id = ? AND member_id = ?", (group_id, member_id))
        return removed > 0

    async def delete_members_without_groups(self, member_ids: list[int]) -> int:
        """Members who left their last group are erased like after /forgetme, once no open round still holds a
        submission of theirs: nothing is kept for later."""
        deleted = 0
        for member_id in member_ids:
            deleted += await self._run(
                "DELETE FROM members WHERE id = ? AND NOT EXISTS (SELECT 1 FROM memberships WHERE member_id = ?) "
                "AND NOT EXISTS (SELECT 1 FROM participants WHERE member_id = ?)",
                (member_id, member_id, member_id),
            )
        return deleted

    async def delete_member(self, member_id: int) -> None:
        """Erase a person: memberships, progress and drafts go with them (foreign keys cascade)."""
        await self._run("DELETE FROM members WHERE id = ?", (member_id,))

    async def consume_invite(self, token: str) -> None:
        await self._run("UPDATE invites SET revoked = 1 WHERE token = ?", (token,))
