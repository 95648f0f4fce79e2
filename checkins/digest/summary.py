"""The digest of a closed round as plain data, with every anonymity threshold applied once, here.

`build_summary` takes what storage kept of a group's closed rounds (participation and per-question statistics, see
`checkins.digest.stats`) and the round's free-text answers, and decides what the supervisor may see: nothing when fewer
than `min_responses` submitted; per question, its figures or "too few answers" (the stricter `text_min_responses`
for free text); free text redacted and shuffled on its own per question, so one person's answers cannot be lined up
across questions. The compact message (`digest.py`), the chart (`chart.py`) and the report (`report.py`) only
render a `Summary`, so none of them can show more than it holds.

The flow decides the digest's shape through its questions' `role` keys (checkins/config/flow_digest.py), never
through magic question ids. The agenda is what the group wants to work on: the answers to the `agenda` question, the
topic areas (`agenda-topic`) grouped by Proctor function — an option tagged with two functions counted once, under
its first — and the `urgency` counts. Topic counts are never attached to individual agenda texts: that would link
one person's answers across questions. The view over time follows the `wellbeing` scale.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from checkins.config.flow_digest import Role
from checkins.config.flows import Flow, Option, ProctorFunction, Question, QuestionType
from checkins.config.goals import Goal, goal_question
from checkins.digest.stats import NO, YES, QuestionStats, RoundRecord, Thresholds, visible_stats
from checkins.digest.trends import Trend, trend
from checkins.i18n import Catalog
from checkins.privacy.redaction import Redactor
from checkins.privacy.scrubbing import placeholders

AGENDA_ROLES = (Role.AGENDA, Role.AGENDA_TOPIC, Role.URGENCY)


@dataclass(frozen=True)
class Hidden:
    """A question with fewer answers than its threshold: shown only as "too few answers"."""

    question: Question
    threshold: int


@dataclass(frozen=True)
class ScaleSection:
    question: Question
    stats: QuestionStats
    trend: Trend


@dataclass(frozen=True)
class CountSection:
    """A choice, multi-choice or yes/no question: how many gave each answer, in the flow's order."""

    question: Question
    stats: QuestionStats

    def rows(self, catalog: Catalog) -> list[tuple[str, int]]:
        if self.question.type is QuestionType.YESNO:
            return [(catalog.gettext("Yes"), self.stats.count(YES)), (catalog.gettext("No"), self.stats.count(NO))]
        return [(option.label.get(catalog.language), self.stats.count(option.id)) for option in self.question.options]


@dataclass(frozen=True)
class TextSection:
    question: Question
    answers: tuple[str, ...]  # redacted, shuffled, not yet escaped
    # The answers were deleted after the retention period; only their number is known.
    deleted: bool = False


Section = ScaleSection | CountSection | TextSection | Hidden


@dataclass(frozen=True)
class TopicGroup:
    function: ProctorFunction | None  # None: options the flow does not tag
    topics: tuple[tuple[Option, int], ...]


@dataclass(frozen=True)
class Agenda:
    bring: Section | None
    topics: Section | None
    topic_groups: tuple[TopicGroup, ...]
    urgency: Section | None


@dataclass(frozen=True)
class GoalProgress:
    goal: Goal
    section: ScaleSection | Hidden


@dataclass(frozen=True)
class HistoryRow:
    """One round in the group-level view over time."""

    number: int
    closed_at: float | None
    submitted: int
    invited: int
    energy: float | None  # the wellbeing scale's mean; None when the round did not ask it or too few answered


@dataclass(frozen=True)
class DigestSource:
    """Everything a digest is built from; `history` is the group's closed rounds up to and including this one."""

    group_name: str
    flow: Flow
    goals: tuple[Goal, ...]
    thresholds: Thresholds
    history: tuple[RoundRecord, ...]
    texts: Mapping[str, Sequence[str]]

    @property
    def round(self) -> RoundRecord:
        return self.history[-1]


@dataclass(frozen=True)
class Summary:
    group_name: str
    flow: Flow
    round: RoundRecord
    thresholds: Thresholds
    withheld: bool
    sections: tuple[Section, ...]  # every question in flow order, except goals
    agenda: Agenda | None
    goals: tuple[GoalProgress, ...]
    history: tuple[HistoryRow, ...]

    def section(self, question_id: str) -> Section | None:
        return next((s for s in self.sections if s.question.id == question_id), None)

    @property
    def agenda_ids(self) -> frozenset[str]:
        """The questions the agenda shows (so the other parts of the digest do not show them twice)."""
        return frozenset(s.question.id for s in self.sections if s.question.role in AGENDA_ROLES)

    @property
    def wellbeing_asked(self) -> bool:
        """Whether the flow follows a wellbeing scale over time (the report's process table has its column)."""
        return self.flow.with_role(Role.WELLBEING) is not None

    @property
    def scales(self) -> tuple[ScaleSection, ...]:
        return tuple(s for s in self.sections if isinstance(s, ScaleSection))

    @property
    def goal_scales(self) -> tuple[tuple[Goal, ScaleSection], ...]:
        return tuple((g.goal, g.section) for g in self.goals if isinstance(g.section, ScaleSection))

    @property
    def has_figures(self) -> bool:
        """Whether any scale figure may be shown (the chart is sent only then)."""
        return not self.withheld and bool(self.scales or self.goal_scales)


def _section(
    question: Question, source: DigestSource, catalog: Catalog, redactor: Redactor, rng: random.Random
) -> Section:
    threshold = source.thresholds.for_kind(question.type.value)
    stats = visible_stats(source.round, question.id, source.thresholds)
    if stats is None:
        return Hidden(question, threshold)
    if question.type is QuestionType.SCALE:
        scale_trend = trend(source.history, question.id, source.thresholds)
        assert scale_trend is not None  # this round's statistics are visible, so its trend ends here
        return ScaleSection(question, stats, scale_trend)
    if question.type is QuestionType.TEXT:
        stored = list(source.texts.get(question.id, ()))
        if not stored:
            return TextSection(question, (), deleted=True)
        rng.shuffle(stored)
        marks = placeholders(catalog)
        return TextSection(question, tuple(redactor.redact(text, marks) for text in stored))
    return CountSection(question, stats)


def _topic_groups(section: Section | None) -> tuple[TopicGroup, ...]:
    if not isinstance(section, CountSection):
        return ()
    options = section.question.options
    groups = []
    # An option tagged with two functions is one topic: it is listed once, under its first function.
    for function in (*ProctorFunction, None):
        tagged = [o for o in options if (o.proctor[:1] == (function,) if function else not o.proctor)]
        chosen = tuple((option, section.stats.count(option.id)) for option in tagged if section.stats.count(option.id))
        if chosen:
            groups.append(TopicGroup(function, chosen))
    return tuple(groups)


def _history(source: DigestSource) -> tuple[HistoryRow, ...]:
    rows = []
    wellbeing = source.flow.with_role(Role.WELLBEING)
    for record in source.history:
        stats = visible_stats(record, wellbeing.id, source.thresholds) if wellbeing is not None else None
        energy = stats.mean if stats is not None else None
        rows.append(HistoryRow(record.number, record.closed_at, record.submitted, record.invited, energy))
    return tuple(rows)


def build_summary(
    source: DigestSource, catalog: Catalog, redactor: Redactor, rng: random.Random | None = None
) -> Summary:
    shuffler = rng or random.SystemRandom()
    withheld = source.round.submitted < source.thresholds.min_responses
    sections: list[Section] = []
    goals: list[GoalProgress] = []
    if not withheld:
        for question in source.flow.questions:
            if not question.asked_in(source.round.number):
                continue  # rotated out of this round: nobody was asked
            if question.type is QuestionType.GOALS:
                for goal in source.goals:
                    section = _section(goal_question(question, goal), source, catalog, redactor, shuffler)
                    assert isinstance(section, ScaleSection | Hidden)
                    goals.append(GoalProgress(goal, section))
            else:
                sections.append(_section(question, source, catalog, redactor, shuffler))
    by_role = {section.question.role: section for section in sections if section.question.role is not None}
    agenda = None
    if any(role in by_role for role in AGENDA_ROLES):
        topics = by_role.get(Role.AGENDA_TOPIC)
        agenda = Agenda(by_role.get(Role.AGENDA), topics, _topic_groups(topics), by_role.get(Role.URGENCY))
    return Summary(
        group_name=source.group_name,
        flow=source.flow,
        round=source.round,
        thresholds=source.thresholds,
        withheld=withheld,
        sections=tuple(sections),
        agenda=agenda,
        goals=tuple(goals),
        history=_history(source),
    )
