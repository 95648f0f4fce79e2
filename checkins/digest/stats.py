"""Per-question statistics of a round: what survives of the answers once they are deleted, and the thresholds.

At close each question that met its threshold gets one `QuestionStats` row: how many answered, how many chose each
scale point or option, and for scales the mean and median. These are aggregates over several people — never one
person's answers — and they are all the digest needs for numbers, so trends and goal progress outlive answer
retention. A question below its threshold gets no row at all: what was never shown is not kept either.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from checkins.config.flows import Flow, Question, QuestionType
from checkins.storage.digests import QuestionStats

YES, NO = "yes", "no"


@dataclass(frozen=True)
class Thresholds:
    """The fewest answers before anything of a question is shown; free text has its own, stricter one."""

    min_responses: int
    text_min_responses: int

    def for_kind(self, kind: str) -> int:
        return self.text_min_responses if kind == QuestionType.TEXT.value else self.min_responses


def _flatten(values: Sequence[Any]) -> list[str]:
    return [str(item) for value in values for item in (value if isinstance(value, list) else [value])]


def question_stats(question: Question, values: Sequence[Any]) -> QuestionStats:
    """The aggregate of one question's submitted answers."""
    kind = question.type.value
    if question.type is QuestionType.SCALE:
        numbers = [int(value) for value in values]
        counts = Counter(str(number) for number in numbers)
        return QuestionStats(
            question.id, kind, len(numbers), counts, statistics.fmean(numbers), float(statistics.median(numbers))
        )
    if question.type is QuestionType.YESNO:
        return QuestionStats(question.id, kind, len(values), Counter(YES if value else NO for value in values))
    if question.type in (QuestionType.CHOICE, QuestionType.MULTI):
        return QuestionStats(question.id, kind, len(values), Counter(_flatten(values)))
    return QuestionStats(question.id, kind, len(values), {})


def round_statistics(
    member_flow: Flow, answers: Mapping[str, Sequence[Any]], submitted: int, thresholds: Thresholds
) -> list[QuestionStats]:
    """What to keep of a closed round: nothing below `min_responses`, else each question that met its threshold."""
    if submitted < thresholds.min_responses:
        return []
    kept = []
    for question in member_flow.questions:
        values = answers.get(question.id, ())
        if values and len(values) >= thresholds.for_kind(question.type.value):
            kept.append(question_stats(question, values))
    return kept


@dataclass(frozen=True)
class RoundRecord:
    """One closed round of a group as later digests see it: participation and the statistics kept at close."""

    number: int
    closed_at: float | None
    submitted: int
    invited: int
    stats: Mapping[str, QuestionStats]
    # Members on a pause when the round opened: not asked, and not counted in `invited`.
    paused: int = 0
    # Members who answered a reminder or the intro with "not this round" and did not submit: a number, never who.
    declined: int = 0


def visible_stats(record: RoundRecord, question_id: str, thresholds: Thresholds) -> QuestionStats | None:
    """A question's statistics if today's thresholds allow showing them (they may have been raised since)."""
    if record.submitted < thresholds.min_responses:
        return None
    stats = record.stats.get(question_id)
    if stats is None or stats.responses < thresholds.for_kind(stats.kind):
        return None
    return stats
