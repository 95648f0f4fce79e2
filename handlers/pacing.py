"""Pacing of outgoing Bot API requests under Telegram's flood limits, so the bot waits instead of being refused.

`FloodPacer` replaces PTB's `AIORateLimiter`, which has no per-private-chat limit. Every send or edit counts against
three sliding windows: all chats together (30 per second), its own chat (a burst of 3, then 1 per second) and, for
group chats, 20 per minute. A request waits until every window it counts against has room. A window counts a
request from the moment it goes out and keeps it until one window length after its reply came back: the server
counted it somewhere in between, so the pacer is never less strict than Telegram, however long requests take.
Requests that Telegram does not limit this way (answering a button press, polling, setting menus) never wait.
Interactive requests go first: a bulk request (a round's fan-out, marked by the outbox sender with a `Turn`) does
not take the last free slot of the overall window while an interactive one is waiting for it. A 429 nevertheless
pauses that chat for `retry_after` and is passed on (the outbox schedules the retry).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

PACED_PREFIXES = ("send", "edit", "copy", "forward")
UNPACED = frozenset({"sendChatAction"})


@dataclass(frozen=True)
class Turn:
    """What a caller may pass as `rate_limit_args`: whether the request is bulk, and what to do the moment it is
    its turn (the outbox marks the item as in flight then, not while it still waits here)."""

    bulk: bool = False
    on_turn: Callable[[], Awaitable[None]] | None = None


@dataclass(frozen=True)
class FloodLimits:
    """Telegram's limits for bots (core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this)."""

    overall_per_second: int = 30
    per_chat_burst: int = 3
    per_chat_per_second: float = 1.0
    per_group_per_minute: int = 20


def retry_after_seconds(error: RetryAfter) -> float:
    """PTB gives `retry_after` as int seconds or as a timedelta, depending on its settings."""
    value: Any = error.retry_after
    return value.total_seconds() if hasattr(value, "total_seconds") else float(value)


class _Window:
    """Requests counted within the last `seconds`: finished ones by reply time, plus those still in flight."""

    def __init__(self, limit: int, seconds: float) -> None:
        self.limit = limit
        self.seconds = seconds
        self.finished: deque[float] = deque()
        self.in_flight = 0
        self.paused_until = 0.0

    def wait(self, now: float) -> float | None:
        """Seconds until there is room (0: now), or None when only an in-flight request finishing can make room."""
        while self.finished and self.finished[0] <= now - self.seconds:
            self.finished.popleft()
        if self.paused_until > now:
            return self.paused_until - now
        if len(self.finished) + self.in_flight < self.limit:
            return 0.0
        return self.finished[0] + self.seconds - now if self.finished else None

    def idle(self, now: float) -> bool:
        return not self.in_flight and self.paused_until <= now and self.wait(now) == 0.0 and not self.finished


class FloodPacer(BaseRateLimiter[Turn]):
    def __init__(self, limits: FloodLimits | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits or FloodLimits()
        self._clock = clock
        self._overall = _Window(self.limits.overall_per_second, 1.0)
        self._chats: dict[int | str, _Window] = {}
        self._groups: dict[int | str, _Window] = {}
        self._changed = asyncio.Condition()
        self._interactive_waiting = 0

    async def initialize(self) -> None:
        """Nothing to open: the windows live in memory (after a restart, Telegram's own windows have moved on)."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    def _windows(self, chat_id: int | str) -> list[_Window]:
        limits = self.limits
        chat = self._chats.get(chat_id)
        if chat is None:
            self._forget_idle()
            burst_seconds = limits.per_chat_burst / limits.per_chat_per_second
            chat = self._chats[chat_id] = _Window(limits.per_chat_burst, burst_seconds)
        windows = [self._overall, chat]
        if isinstance(chat_id, str) or chat_id < 0:
            group = self._groups.setdefault(chat_id, _Window(limits.per_group_per_minute, 60.0))
            windows.append(group)
        return windows

    def _forget_idle(self) -> None:
        if len(self._chats) < 4096:
            return
        now = self._clock()
        for table in (self._chats, self._groups):
            for key in [key for key, window in table.items() if window.idle(now)]:
                del table[key]

    async def _acquire(self, windows: list[_Window], bulk: bool) -> None:
        async with self._changed:
            counted_as_waiting = False
            try:
                while True:
                    now = self._clock()
                    own = [window.wait(now) for window in windows[1:]]
                    overall = self._overall.wait(now)
                    blocked_by_priority = bulk and self._interactive_waiting > 0
                    if all(w == 0.0 for w in own) and overall == 0.0 and not blocked_by_priority:
                        break
                    if not bulk and all(w == 0.0 for w in own) and not counted_as_waiting:
                        counted_as_waiting = True
                        self._interactive_waiting += 1
                    known = [w for w in (*own, overall) if w]
                    timeout = max(known) if known and None not in (*own, overall) else 1.0
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._changed.wait(), max(timeout, 0.001))
            finally:
                if counted_as_waiting:
                    self._interactive_waiting -= 1
                    self._changed.notify_all()
            for window in windows:
                window.in_flight += 1

    async def _release(self, windows: list[_Window], pause: float) -> None:
        async with self._changed:
            now = self._clock()
            for window in windows:
                window.in_flight -= 1
                window.finished.append(now)
            if pause:
                windows[1].paused_until = max(windows[1].paused_until, now + pause)
            self._changed.notify_all()

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: Turn | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        turn = rate_limit_args or Turn()
        chat_id = data.get("chat_id")
        if chat_id is None or endpoint in UNPACED or not endpoint.startswith(PACED_PREFIXES):
            if turn.on_turn is not None:
                await turn.on_turn()
            return await callback(*args, **kwargs)
        key: int | str = int(chat_id) if isinstance(chat_id, int) or str(chat_id).lstrip("-").isdigit() else chat_id
        windows = self._windows(key)
        await self._acquire(windows, bulk=turn.bulk)
        pause = 0.0
        try:
            if turn.on_turn is not None:
                await turn.on_turn()
            return await callback(*args, **kwargs)
        except RetryAfter as error:
            pause = retry_after_seconds(error)
            raise
        finally:
            await self._release(windows, pause)
