"""Flood limits and fault injection.

This module owns the two ways the simulator misbehaves on purpose. :class:`RateLimits` /
:class:`RateLimiter` model Telegram's flood control with sliding windows over successful sends:
a global window (``global_per_second`` per 1 s), a per-chat window (at most ``per_chat_burst``
sends within ``per_chat_burst / per_chat_per_second`` seconds, i.e. the average rate with a small
burst allowance, applied to every chat) and a per-group window (``per_group_per_minute`` per 60 s,
groups and supergroups only). The methods in ``RateLimits.counted_methods`` (by default sends *and*
edits) count towards all three; exceeding any window answers 429 with ``retry_after`` = seconds
until the oldest send leaves that window (rounded up, at least 1). :class:`FaultPlan` scripts
transport-level trouble — latency, 500s, proxy-style 502 HTML pages, dropped connections (before or
after the method ran), a burst of 429s and a ``network_down`` switch — deterministically from a seed.
"""

from __future__ import annotations

import math
import random
from collections import deque
from collections.abc import Callable, Collection
from dataclasses import dataclass, field

__all__ = ["COUNTED_METHODS", "FaultPlan", "RateLimiter", "RateLimits"]

COUNTED_METHODS = frozenset({"sendMessage", "sendPhoto", "sendDocument", "editMessageText", "editMessageReplyMarkup"})


@dataclass(frozen=True)
class RateLimits:
    """Telegram-like flood limits; pass to ``BotApiSimulator(rate_limits=...)`` (None = unlimited)."""

    global_per_second: int = 30
    per_chat_per_second: float = 1.0
    per_chat_burst: int = 3
    per_group_per_minute: int = 20
    counted_methods: frozenset[str] = COUNTED_METHODS

    @property
    def per_chat_window(self) -> float:
        return self.per_chat_burst / self.per_chat_per_second


class _Window:
    def __init__(self, limit: int, seconds: float) -> None:
        self.limit = limit
        self.seconds = seconds
        self.times: deque[float] = deque()

    def retry_after(self, now: float) -> int | None:
        while self.times and self.times[0] <= now - self.seconds:
            self.times.popleft()
        if len(self.times) < self.limit:
            return None
        return max(1, math.ceil(self.times[0] + self.seconds - now))


class RateLimiter:
    """Sliding-window flood control state for one simulator."""

    def __init__(self, limits: RateLimits, clock: Callable[[], float]) -> None:
        self.limits = limits
        self._clock = clock
        self._global = _Window(limits.global_per_second, 1.0)
        self._chats: dict[int, _Window] = {}
        self._groups: dict[int, _Window] = {}

    def counts(self, method: str) -> bool:
        return method in self.limits.counted_methods

    def _windows(self, chat_id: int, is_group: bool) -> list[_Window]:
        limits = self.limits
        chat = self._chats.setdefault(chat_id, _Window(limits.per_chat_burst, limits.per_chat_window))
        windows = [self._global, chat]
        if is_group:
            windows.append(self._groups.setdefault(chat_id, _Window(limits.per_group_per_minute, 60.0)))
        return windows

    def check(self, chat_id: int, is_group: bool) -> int | None:
        """Seconds to wait before the next counted send to ``chat_id`` is allowed, or None."""
        now = self._clock()
        waits = [w for w in (win.retry_after(now) for win in self._windows(chat_id, is_group)) if w]
        return max(waits) if waits else None

    def record(self, chat_id: int, is_group: bool) -> None:
        now = self._clock()
        for window in self._windows(chat_id, is_group):
            window.times.append(now)


@dataclass
class FaultPlan:
    """Scripted transport faults. Mutable: tests may flip fields (e.g. ``network_down``) at runtime.

    Order per eligible request: ``latency`` (+ uniform ``latency_jitter``) is awaited; then
    ``network_down`` drops the connection (applies to *every* method, getUpdates included); then a
    pending 429 burst answers "Too Many Requests"; then one random roll picks 500 / 502 / drop-before
    / drop-after with the given probabilities. ``methods`` limits eligibility (canonical names);
    None means every method except getUpdates. ``chats`` limits it to requests for those chat ids, and ``script``,
    when given, replaces the roll: the faults (or None) of the next eligible requests, in order, then none.
    """

    seed: int | None = 0
    error_500_rate: float = 0.0
    error_502_rate: float = 0.0
    drop_rate: float = 0.0
    drop_after_rate: float = 0.0
    latency: float = 0.0
    latency_jitter: float = 0.0
    burst_429: int = 0
    burst_429_retry_after: int = 1
    network_down: bool = False
    methods: Collection[str] | None = None
    chats: Collection[int] | None = None
    script: list[str | None] | None = None
    rng: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def applies_to(self, method: str, chat_id: object = None) -> bool:
        if self.chats is not None and str(chat_id) not in {str(chat) for chat in self.chats}:
            return False
        if self.methods is None:
            return method != "getUpdates"
        return method.lower() in {m.lower() for m in self.methods}

    def trigger_429_burst(self, count: int, retry_after: int = 1) -> None:
        """Answer the next ``count`` eligible requests with 429 ``retry_after``."""
        self.burst_429 = count
        self.burst_429_retry_after = retry_after

    def next_latency(self) -> float:
        if self.latency_jitter > 0:
            return self.latency + self.rng.uniform(0, self.latency_jitter)
        return self.latency

    def roll(self) -> str | None:
        """Pick a random fault for one request: "500", "502", "drop", "drop_after" or None."""
        if self.script is not None:
            return self.script.pop(0) if self.script else None
        rates = (
            ("500", self.error_500_rate),
            ("502", self.error_502_rate),
            ("drop", self.drop_rate),
            ("drop_after", self.drop_after_rate),
        )
        if not any(rate for _, rate in rates):
            return None
        value = self.rng.random()
        for kind, rate in rates:
            if value < rate:
                return kind
            value -= rate
        return None
