"""The answering state machine, driven with plain actions."""

from __future__ import annotations

import pytest

from checkins.rounds.answering import (
    Back,
    Choose,
    Done,
    EditQuestion,
    Next,
    Progress,
    Rejection,
    Reopen,
    ShowEditList,
    ShowReplyList,
    Skip,
    Status,
    Submit,
    Toggle,
    TogglePrivate,
    ToggleReply,
    WriteText,
    apply,
    decode_action,
    encode_action,
    join_parts,
    step_token,
)
from tests.fixtures import sample_flow

FLOW = sample_flow()


def run(*actions: object, flow=FLOW) -> Progress:
    progress = Progress.start(flow, 1)
    for action in actions:
        result = apply(flow, progress, action)  # type: ignore[arg-type]
        assert isinstance(result, Progress), f"{action} refused: {result}"
        if isinstance(action, WriteText) and result.composing:
            # One message is the whole answer here: press Next under its echo.
            result = apply(flow, result, Next())
            assert isinstance(result, Progress), result
        progress = result
    return progress


def test_full_walk_reaches_review_with_every_answer() -> None:
    progress = run(Choose(4), WriteText("  busy weeks "), Toggle(0), Toggle(2), Done(), Choose(1), Choose(0))
    assert progress.status is Status.REVIEW
    assert progress.answers == {
        "energy": 4,
        "mind": "busy weeks",
        "topics": ["team", "other"],
        "urgency": "now",
        "again": False,
    }


def test_skip_records_none_and_moves_on() -> None:
    progress = run(Skip(), Skip())
    assert progress.cursor == 2
    assert progress.answers == {"energy": None, "mind": None}


def test_required_question_cannot_be_skipped() -> None:
    flow = sample_flow(required_text=True)
    progress = run(Choose(3), flow=flow)
    assert apply(flow, progress, Skip()) is Rejection.REQUIRED


def test_back_returns_to_previous_question_keeping_answers() -> None:
    progress = run(Choose(2), WriteText("x"), Toggle(1), Done(), Back())
    assert progress.cursor == 2 and progress.multi_selection == (1,)
    progress = apply(FLOW, progress, Back())
    assert isinstance(progress, Progress) and progress.cursor == 1
    assert progress.answers["energy"] == 2


def test_back_on_first_question_is_refused() -> None:
    assert apply(FLOW, Progress.start(FLOW, 1), Back()) is Rejection.INVALID


@pytest.mark.parametrize(
    ("action", "rejection"),
    [
        (Choose(0), Rejection.INVALID),
        (Choose(6), Rejection.INVALID),
        (WriteText("hi"), Rejection.NEEDS_BUTTON),
        (Toggle(0), Rejection.INVALID),
        (Done(), Rejection.INVALID),
    ],
)
def test_values_never_offered_are_refused(action: object, rejection: Rejection) -> None:
    assert apply(FLOW, Progress.start(FLOW, 1), action) is rejection  # type: ignore[arg-type]


def test_text_limits() -> None:
    progress = run(Choose(3))
    assert apply(FLOW, progress, WriteText("x" * 51)) is Rejection.TOO_LONG
    assert apply(FLOW, progress, WriteText("   ")) is Rejection.EMPTY
    assert apply(FLOW, progress, Choose(1)) is Rejection.NEEDS_TEXT


def test_edit_one_answer_from_review_returns_to_review() -> None:
    progress = run(Choose(4), Skip(), Done(), Choose(0), Choose(1), ShowEditList(), EditQuestion(0))
    assert progress.status is Status.ANSWERING and progress.cursor == 0 and progress.editing_one
    progress = apply(FLOW, progress, Choose(2))
    assert isinstance(progress, Progress) and progress.status is Status.REVIEW
    assert progress.answers["energy"] == 2


def test_submit_and_reopen() -> None:
    progress = run(Skip(), Skip(), Done(), Skip(), Skip(), Submit())
    assert progress.status is Status.SUBMITTED
    assert step_token(progress) == "s"
    reopened = apply(FLOW, progress, Reopen())
    assert isinstance(reopened, Progress) and reopened.status is Status.REVIEW


def test_step_tokens_differ_per_screen() -> None:
    tokens = {step_token(run()), step_token(run(Skip())), step_token(run(Skip(), Skip(), Done(), Skip(), Skip()))}
    assert tokens == {"q0", "q1", "r"}


@pytest.mark.parametrize(
    "action",
    [
        Choose(3),
        Toggle(11),
        Done(),
        Skip(),
        Back(),
        Submit(),
        ShowEditList(),
        EditQuestion(2),
        Reopen(),
        ShowReplyList(),
        ToggleReply(1),
    ],
)
def test_action_codes_round_trip(action: object) -> None:
    assert decode_action(encode_action(action)) == action  # type: ignore[arg-type]


@pytest.mark.parametrize("code", ["", "x", "v", "vabc", "v99999", "t1.5", "Z9", "v 1"])
def test_unknown_codes_decode_to_none(code: str) -> None:
    assert decode_action(code) is None


def test_a_reply_is_allowed_per_written_answer_and_never_for_a_private_one() -> None:
    review = run(Choose(4), WriteText("busy weeks"), Toggle(0), Done(), Choose(1), Choose(0))
    assert review.reply_ok == frozenset()  # off by default
    assert apply(FLOW, review, ToggleReply(0)) is Rejection.INVALID  # a scale answer has no author to reply to
    allowed = apply(FLOW, review, ToggleReply(1))
    assert isinstance(allowed, Progress) and allowed.reply_ok == {"mind"}
    submitted = apply(FLOW, allowed, Submit())
    assert isinstance(submitted, Progress) and submitted.reply_ok == {"mind"}
    private = apply(FLOW, allowed, TogglePrivate(1))
    assert isinstance(private, Progress)
    submitted = apply(FLOW, private, Submit())
    assert isinstance(submitted, Progress) and submitted.reply_ok == frozenset()
    skipped = run(Choose(4), Skip(), Toggle(0), Done(), Choose(1), Choose(0))
    assert apply(FLOW, skipped, ToggleReply(1)) is Rejection.INVALID


def test_messages_on_a_text_question_are_one_answer_until_next() -> None:
    progress = run(Choose(4))
    for text in ("I finally got", "  a good connection. "):
        result = apply(FLOW, progress, WriteText(text))
        assert isinstance(result, Progress)
        progress = result
    assert progress.cursor == 1 and progress.composing
    assert progress.answers["mind"] == "I finally got\na good connection."
    moved = apply(FLOW, progress, Next())
    assert isinstance(moved, Progress) and moved.cursor == 2 and not moved.composing
    assert apply(FLOW, moved, Next()) is Rejection.INVALID  # Next belongs only under a text being written


def test_the_first_message_after_coming_back_replaces_the_answer_and_the_limit_counts_all_parts() -> None:
    progress = run(Choose(4), WriteText("old answer"), Back())
    assert progress.cursor == 1 and not progress.composing
    replaced = apply(FLOW, progress, WriteText("new"))
    assert isinstance(replaced, Progress) and replaced.answers["mind"] == "new"
    limit = FLOW.questions[1].max_length
    assert join_parts(FLOW.questions[1], ["x" * limit, "y"]) is Rejection.TOO_LONG
    assert join_parts(FLOW.questions[1], [" ", "\u200b"]) is Rejection.EMPTY
