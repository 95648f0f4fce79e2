"""The question marker never promises fewer questions than come: on any path through any bundled flow (any answers,
skips and round), the most a member can still be asked — number plus "at most n to go" — never grows going forward."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from checkins.config.flows import Flow, LocalText, QuestionType, load_flow
from checkins.config.goals import Goal, expand_goals
from checkins.rounds.answering import (
    Choose,
    Done,
    Next,
    Progress,
    Skip,
    Status,
    Toggle,
    WriteText,
    apply,
    question_position,
)
from demo import FLOWS_DIR

GOALS = tuple(Goal(f"g{n}", LocalText({"en": f"goal {n}"}, "en")) for n in range(2))
FLOWS = [expand_goals(load_flow(path), GOALS) for path in sorted(FLOWS_DIR.glob("*.yaml"))]


def _step(flow: Flow, progress: Progress, pick: int, skip: bool) -> Progress:
    question = flow.questions[progress.cursor]
    if skip and not question.required:
        actions: list[object] = [Skip()]
    elif question.type is QuestionType.TEXT:
        actions = [WriteText("words"), Next()]
    elif question.type is QuestionType.SCALE:
        actions = [Choose(question.scale_min + pick % (question.scale_max - question.scale_min + 1))]
    elif question.type is QuestionType.YESNO:
        actions = [Choose(pick % 2)]
    elif question.type is QuestionType.CHOICE:
        actions = [Choose(pick % len(question.options))]
    else:
        actions = [Toggle(pick % len(question.options)), Done()]
    for action in actions:
        result = apply(flow, progress, action)  # type: ignore[arg-type]
        assert isinstance(result, Progress), (question.id, action, result)
        progress = result
    return progress


@settings(max_examples=300, deadline=None)
@given(
    flow=st.sampled_from(FLOWS),
    round_number=st.integers(min_value=1, max_value=7),
    choices=st.lists(st.tuples(st.integers(min_value=0, max_value=20), st.booleans()), min_size=25, max_size=25),
)
def test_what_is_left_never_grows_on_any_path(flow: Flow, round_number: int, choices: list[tuple[int, bool]]) -> None:
    progress = Progress.start(flow, round_number)
    seen: list[tuple[int, int]] = []
    for pick, skip in choices:
        if progress.status is not Status.ANSWERING:
            break
        seen.append(question_position(flow, progress))
        progress = _step(flow, progress, pick, skip)
    assert progress.status is Status.REVIEW
    assert [number for number, _ in seen] == list(range(1, len(seen) + 1))
    totals = [number + left for number, left in seen]
    assert totals == sorted(totals, reverse=True), seen
    assert totals[-1] >= len(seen)
