"""Digests of the bundled flows (or any flow file) from answers given here, as a closed round would keep them."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from checkins.config.flows import Flow, QuestionType, load_flow
from checkins.config.goals import Goal, expand_goals
from checkins.digest.stats import RoundRecord, Thresholds, round_statistics
from checkins.digest.summary import DigestSource, Summary, build_summary
from checkins.privacy.redaction import Redactor
from tests.digest_data import catalog, timestamp

FLOWS = Path(__file__).resolve().parent.parent / "flows"
THRESHOLDS = Thresholds(3, 3)

# The demo's round (demo.py, English): three members submit, one of them keeps energy low.
DEMO_ANSWERS: list[dict[str, Any]] = [
    {"energy": 4, "went_well": "A resident's relative thanked us.", "difficult": "Rush and too few substitutes.",
     "bring": "How to cope with long runs of shifts?", "topic_area": ["client_work", "skills"],
     "urgency": "would_like"},
    {"energy": 3, "went_well": "A difficult home visit went well.", "difficult": "An ethical situation with a client.",
     "bring": "Setting boundaries.", "topic_area": ["ethics"], "urgency": "important"},
    {"energy": 2, "went_well": "Colleagues help.", "difficult": "Too many clients a day.",
     "bring": "I hope [name] and I get help with the evening visits. Call me on [phone number].",
     "topic_area": ["wellbeing"], "urgency": "important"},
]  # fmt: skip


def flow(flow_id: str) -> Flow:
    return load_flow(FLOWS / f"{flow_id}.yaml")


def by_question(members: Sequence[Mapping[str, Any]]) -> dict[str, list[Any]]:
    answers: dict[str, list[Any]] = {}
    for member in members:
        for question_id, value in member.items():
            answers.setdefault(question_id, []).append(value)
    return answers


def digest_of(
    the_flow: Flow,
    rounds: Sequence[Sequence[Mapping[str, Any]]],
    language: str = "en",
    goals: tuple[Goal, ...] = (),
    group_name: str = "Home care team",
    invited: int = 5,
) -> Summary:
    """The digest of the last of `rounds` (each a list of the members' answers), with the earlier ones as history."""
    member_flow = expand_goals(the_flow, goals)
    history = []
    for number, members in enumerate(rounds, 1):
        answers = by_question(members)
        stats = round_statistics(member_flow, answers, len(members), THRESHOLDS)
        kept = {s.question_id: s for s in stats}
        history.append(RoundRecord(number, timestamp(number), len(members), max(invited, len(members)), kept))
    last = by_question(rounds[-1])
    texts = {q.id: last[q.id] for q in the_flow.questions if q.type is QuestionType.TEXT and q.id in last}
    source = DigestSource(group_name, the_flow, goals, THRESHOLDS, tuple(history), texts)
    return build_summary(source, catalog(language), Redactor.for_names([]), random.Random(7))
