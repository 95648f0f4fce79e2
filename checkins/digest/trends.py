"""Trends of scale questions across a group's rounds: the mean per round and which way it moved.

A trend follows one question id (a goal's answers have their own id, so each goal has its own trend) through the
group's closed rounds, using only rounds whose statistics met today's thresholds: a round with too few answers is
skipped, never shown as a gap filled in from fewer people. The direction compares this round with the last earlier
round shown; a change smaller than `STEADY_BAND` on the scale counts as steady.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from checkins.digest.stats import RoundRecord, Thresholds, visible_stats

TREND_ROUNDS = 6
STEADY_BAND = 0.2


class Direction(StrEnum):
    UP = "↑"
    DOWN = "↓"
    STEADY = "→"


@dataclass(frozen=True)
class TrendPoint:
    round_number: int
    closed_at: float | None
    mean: float


@dataclass(frozen=True)
class Trend:
    question_id: str
    points: tuple[TrendPoint, ...]  # oldest first; the last one is the digest's own round

    @property
    def current(self) -> TrendPoint:
        return self.points[-1]

    @property
    def direction(self) -> Direction | None:
        """None when there is no earlier round to compare with."""
        if len(self.points) < 2:
            return None
        change = self.points[-1].mean - self.points[-2].mean
        if change >= STEADY_BAND:
            return Direction.UP
        if change <= -STEADY_BAND:
            return Direction.DOWN
        return Direction.STEADY


def trend(
    history: Sequence[RoundRecord], question_id: str, thresholds: Thresholds, rounds: int = TREND_ROUNDS
) -> Trend | None:
    """The question's means over the last `rounds` shown rounds up to the last record; None if that round hides it."""
    points = []
    for record in history:
        stats = visible_stats(record, question_id, thresholds)
        if stats is not None and stats.mean is not None:
            points.append(TrendPoint(record.number, record.closed_at, stats.mean))
    if not points or not history or points[-1].round_number != history[-1].number:
        return None
    return Trend(question_id, tuple(points[-rounds:]))
