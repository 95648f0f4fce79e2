"""`show_if` and rotation in the answering state machine: which questions are reached, counted, reviewed, submitted."""

from __future__ import annotations

from dataclasses import replace

import pytest

from checkins.config.flows import Condition, ConditionKind, Question, QuestionType
from checkins.rounds.answering import (
    Back,
    Choose,
    Done,
    EditQuestion,
    Next,
    Progress,
    Rejection,
    ShowEditList,
    Skip,
    Status,
    Submit,
    Toggle,
    WriteText,
    apply,
    has_previous,
    question_position,
    visible_questions,
)
from tests.fixtures import conditional_flow, sample_flow, text

FLOW = conditional_flow()
ENERGY, BRING, TOPIC, URGENCY, SUPPORT, GOALS, WHY_NOW = range(7)


def run(*actions: object, round_number: int = 1, flow=FLOW) -> Progress:
    progress = Progress.start(flow, round_number)
    for action in actions:
        result = apply(flow, progress, action)  # type: ignore[arg-type]
        assert isinstance(result, Progress), f"{action} refused: {result}"
        if isinstance(action, WriteText) and result.composing:
            # One message is the whole answer here: press Next under its echo.
            result = apply(flow, result, Next())
            assert isinstance(result, Progress), result
        progress = result
    return progress


def test_skipping_bring_steps_over_its_follow_up_questions() -> None:
    progress = run(Choose(4), Skip())
    assert progress.cursor == GOALS
    # Third question and the last one: skipping bring ruled out topic, urgency and why_now.
    assert question_position(FLOW, progress) == (3, 0)


def test_answering_bring_shows_its_follow_ups_and_the_marker_counts_them() -> None:
    progress = run(Choose(4))
    # Still possible after bring: topic, urgency, goals and why_now (support is ruled out by energy 4).
    assert question_position(FLOW, progress) == (2, 4)
    progress = run(Choose(4), WriteText("rotas"))
    assert progress.cursor == TOPIC
    assert question_position(FLOW, progress) == (3, 3)


def test_a_scale_condition_and_a_chained_condition() -> None:
    progress = run(Choose(2), Skip())
    assert progress.cursor == SUPPORT
    progress = run(Choose(5), WriteText("rotas"), Done(), Choose(1))
    assert progress.cursor == GOALS
    progress = apply(FLOW, progress, Choose(3))
    assert isinstance(progress, Progress) and progress.cursor == WHY_NOW


def test_back_steps_over_hidden_questions() -> None:
    progress = run(Choose(4), Skip())
    assert progress.cursor == GOALS
    back = apply(FLOW, progress, Back())
    assert isinstance(back, Progress) and back.cursor == BRING


def test_back_from_the_review_goes_to_the_last_visible_question() -> None:
    progress = run(Choose(4), Skip(), round_number=2)
    assert progress.status is Status.REVIEW
    back = apply(FLOW, progress, Back())
    assert isinstance(back, Progress) and back.cursor == BRING


def test_rotation_leaves_a_question_out_of_other_rounds() -> None:
    assert [GOALS in visible_questions(FLOW, run(round_number=n)) for n in range(1, 8)] == [
        True, False, False, True, False, False, True,
    ]  # fmt: skip


@pytest.mark.parametrize(("every", "first_round", "asked"), [(2, 1, [1, 3, 5]), (3, 2, [2, 5]), (2, 4, [4])])
def test_rotation_arithmetic(every: int, first_round: int, asked: list[int]) -> None:
    question = Question("q", QuestionType.TEXT, text("Q?"), every=every, first_round=first_round)
    assert [n for n in range(1, 6) if question.asked_in(n)] == asked


def test_a_round_can_start_after_a_rotated_out_first_question() -> None:
    flow = sample_flow()
    rotated = replace(flow, questions=(replace(flow.questions[0], every=2), *flow.questions[1:]))
    progress = Progress.start(rotated, 2)
    assert progress.cursor == 1
    assert not has_previous(rotated, progress)
    assert apply(rotated, progress, Back()) is Rejection.INVALID
    assert question_position(rotated, progress) == (1, 3)
    assert Progress.start(rotated, 3).cursor == 0


def test_review_and_submit_keep_only_visible_answers() -> None:
    # Answer bring and its follow-ups, then take bring back: the follow-ups' answers must not be submitted.
    progress = run(
        Choose(4), WriteText("rotas"), Toggle(0), Done(), Choose(1), Choose(3), WriteText("because"),
        ShowEditList(), EditQuestion(BRING), Skip(),
    )  # fmt: skip
    assert progress.status is Status.REVIEW
    assert visible_questions(FLOW, progress) == (ENERGY, BRING, GOALS)
    submitted = apply(FLOW, progress, Submit())
    assert isinstance(submitted, Progress) and submitted.status is Status.SUBMITTED
    assert submitted.answers == {"energy": 4, "bring": None, "goals": 3}


def test_a_required_question_blocks_submit_only_while_visible() -> None:
    hidden = run(Choose(4), Skip(), Skip())
    assert hidden.status is Status.REVIEW
    assert isinstance(apply(FLOW, hidden, Submit()), Progress)
    # Urgency is required once bring is answered: it cannot be skipped.
    shown = run(Choose(4), WriteText("rotas"), Done())
    assert shown.cursor == URGENCY
    assert apply(FLOW, shown, Skip()) is Rejection.REQUIRED


def test_an_edit_that_reveals_questions_asks_them_before_the_review() -> None:
    progress = run(Choose(4), Skip(), Skip(), ShowEditList(), EditQuestion(BRING), WriteText("rotas"))
    assert (progress.cursor, progress.editing_one) == (TOPIC, True)
    progress = apply(FLOW, progress, Done())
    assert isinstance(progress, Progress) and progress.cursor == URGENCY
    progress = apply(FLOW, progress, Choose(0))
    assert isinstance(progress, Progress) and progress.status is Status.REVIEW
    assert progress.answers == {"energy": 4, "bring": "rotas", "goals": None, "topic": None, "urgency": "wait"}


def test_hidden_questions_cannot_be_chosen_for_editing() -> None:
    progress = run(Choose(4), Skip(), Skip())
    assert apply(FLOW, progress, EditQuestion(TOPIC)) is Rejection.INVALID


def test_a_stale_answer_to_a_hidden_question_does_not_show_later_ones() -> None:
    # urgency was "now" (which shows why_now), but bring — and so urgency — is now hidden.
    flow = FLOW
    progress = Progress(Status.REVIEW, len(flow.questions), {"energy": 4, "bring": None, "urgency": "now"}, 1)
    assert WHY_NOW not in visible_questions(flow, progress)


@pytest.mark.parametrize(
    ("condition", "answers", "holds"),
    [
        (Condition("a", ConditionKind.ANSWERED), {"a": "x"}, True),
        (Condition("a", ConditionKind.ANSWERED), {"a": None}, False),
        (Condition("a", ConditionKind.ANSWERED), {}, False),
        (Condition("a", ConditionKind.EQUALS, ("x", "y")), {"a": "y"}, True),
        (Condition("a", ConditionKind.EQUALS, (True,)), {"a": True}, True),
        (Condition("a", ConditionKind.EQUALS, (True,)), {"a": 1}, False),
        (Condition("a", ConditionKind.EQUALS, (1,)), {"a": True}, False),
        (Condition("a", ConditionKind.INCLUDES, ("x",)), {"a": ["y", "x"]}, True),
        (Condition("a", ConditionKind.INCLUDES, ("x",)), {"a": ["y"]}, False),
        (Condition("a", ConditionKind.AT_LEAST, (4,)), {"a": 4}, True),
        (Condition("a", ConditionKind.AT_LEAST, (4,)), {"a": 3}, False),
        (Condition("a", ConditionKind.AT_MOST, (2,)), {"a": 2}, True),
        (Condition("a", ConditionKind.AT_MOST, (2,)), {"a": 3}, False),
    ],
)
def test_condition_tests(condition: Condition, answers: dict[str, object], holds: bool) -> None:
    assert condition.holds(answers) is holds
