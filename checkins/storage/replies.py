"""Queries for anonymous replies: one thread per answer, and what a person's next text message is for."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from checkins.storage.base import Queries


@dataclass(frozen=True)
class ReplyThread:
    id: str
    answer_id: str
    supervisor_id: int
    state: str


@dataclass(frozen=True)
class PendingText:
    thread: ReplyThread
    role: str


class ReplyQueries(Queries):
    async def thread_for_answer(self, answer_id: str) -> ReplyThread | None:
        row = await self._one(
            "SELECT id, answer_id, supervisor_id, state FROM reply_threads WHERE answer_id = ?", (answer_id,)
        )
        return ReplyThread(*row) if row else None

    async def thread_by_id(self, thread_id: str) -> ReplyThread | None:
        row = await self._one(
            "SELECT id, answer_id, supervisor_id, state FROM reply_threads WHERE id = ?", (thread_id,)
        )
        return ReplyThread(*row) if row else None

    async def open_thread(self, answer_id: str, supervisor_id: int) -> ReplyThread:
        thread = await self.thread_for_answer(answer_id)
        if thread is None:
            thread = ReplyThread(secrets.token_urlsafe(9), answer_id, supervisor_id, "writing")
            await self._run(
                "INSERT INTO reply_threads (id, answer_id, supervisor_id, state) VALUES (?, ?, ?, ?)",
                (thread.id, answer_id, supervisor_id, thread.state),
            )
        return thread

    async def set_thread_state(self, thread_id: str, state: str) -> None:
        await self._run("UPDATE reply_threads SET state = ? WHERE id = ?", (state, thread_id))

    async def expect_text(self, telegram_user_id: int, thread_id: str, role: str) -> None:
        await self._run(
            "INSERT INTO pending_texts (telegram_user_id, thread_id, role) VALUES (?, ?, ?) "
            "ON CONFLICT (telegram_user_id) DO UPDATE SET thread_id = excluded.thread_id, role = excluded.role",
            (telegram_user_id, thread_id, role),
        )

    async def pending_text(self, telegram_user_id: int) -> PendingText | None:
        row = await self._one(
            "SELECT t.id, t.answer_id, t.supervisor_id, t.state, p.role FROM pending_texts AS p "
            "JOIN reply_threads AS t ON t.id = p.thread_id WHERE p.telegram_user_id = ?",
            (telegram_user_id,),
        )
        return PendingText(ReplyThread(row[0], row[1], row[2], row[3]), row[4]) if row else None

    async def clear_pending_text(self, telegram_user_id: int) -> None:
        await self._run("DELETE FROM pending_texts WHERE telegram_user_id = ?", (telegram_user_id,))
