"""A group's supervision goals, and the flow questions that ask about them one goal at a time.

A supervision contract names the group's goals; they live in config.yaml under the group (`goals:`). A flow question
of type `goals` is asked once per goal on its scale. `expand_goals` turns that one question into one scale question
per goal before a member sees the flow, so the answering state machine needs nothing new, and each goal's answers are
stored under a question id of their own (`<question id>.<goal id>`) — which is what lets the digest follow each goal's
progress from round to round.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from checkins.config.flows import Flow, LocalText, Question, QuestionType

GOAL_SEPARATOR = "."


@dataclass(frozen=True)
class Goal:
    id: str
    text: LocalText


def goal_question_id(question_id: str, goal_id: str) -> str:
    """The id a goal's answers are stored under; never a valid flow question id, so it cannot collide with one."""
    return f"{question_id}{GOAL_SEPARATOR}{goal_id}"


def _goal_prompt(stem: LocalText, goal: LocalText) -> LocalText:
    languages = set(stem.values) | set(goal.values)
    return LocalText(
        {language: f"{stem.get(language)} — {goal.get(language)}" for language in languages}, stem.default_language
    )


def goal_question(question: Question, goal: Goal) -> Question:
    """The scale question that asks about one goal."""
    return replace(
        question,
        id=goal_question_id(question.id, goal.id),
        type=QuestionType.SCALE,
        text=_goal_prompt(question.text, goal.text),
    )


def expand_goals(flow: Flow, goals: tuple[Goal, ...]) -> Flow:
    """The flow as a member answers it: every `goals` question becomes one scale question per goal."""
    if not any(question.type is QuestionType.GOALS for question in flow.questions):
        return flow
    questions: list[Question] = []
    for question in flow.questions:
        if question.type is QuestionType.GOALS:
            questions.extend(goal_question(question, goal) for goal in goals)
        else:
            questions.append(question)
    return replace(flow, questions=tuple(questions))
