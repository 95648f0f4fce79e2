"""What a member sees: markers and reviews that count only visible questions, phone layouts, screens that fit."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from checkins.config.flows import (
    MAX_HELP_CHARS,
    MAX_QUESTION_CHARS,
    MAX_QUESTIONS,
    Flow,
    Option,
    Question,
    QuestionType,
)
from checkins.i18n import Translator
from checkins.messages import Screen, shorten
from checkins.rounds.answering import Choose, Next, Progress, Skip, Status, WriteText, apply
from checkins.rounds.screens import (
    SCREEN_CHARS,
    ReviewMode,
    answered_line,
    question_screen,
    review_screen,
    review_summary_text,
)
from tests.fixtures import conditional_flow, sample_flow, text

EN = Translator.load().for_language("en")
FLOW = conditional_flow()


def walk(flow: Flow, *actions: object, round_number: int = 1) -> Progress:
    progress = Progress.start(flow, round_number)
    for action in actions:
        result = apply(flow, progress, action)  # type: ignore[arg-type]
        assert isinstance(result, Progress), result
        if isinstance(action, WriteText) and result.composing:
            # One message is the whole answer here: press Next under its echo.
            result = apply(flow, result, Next())
            assert isinstance(result, Progress), result
        progress = result
    return progress


def codes(screen: Screen) -> list[list[str]]:
    return [[button.data.rsplit(":", 1)[1] for button in row] for row in screen.keyboard]


def test_the_marker_counts_visible_questions() -> None:
    screen = question_screen(FLOW, "r1", walk(FLOW, Choose(4)), EN)
    assert "Question 2 · at most 4 to go" in screen.text
    screen = question_screen(FLOW, "r1", walk(FLOW, Choose(4), WriteText("rotas")), EN)
    assert "Question 3 · at most 3 to go" in screen.text


def test_back_is_offered_only_when_there_is_a_visible_question_before() -> None:
    first = question_screen(FLOW, "r1", walk(FLOW), EN)
    assert codes(first)[-1] == ["k"]
    second = question_screen(FLOW, "r1", walk(FLOW, Choose(4)), EN)
    assert codes(second)[-1] == ["b", "k"]


def test_review_lists_only_visible_questions_numbered_as_seen() -> None:
    progress = walk(FLOW, Choose(4), Skip(), Choose(2))
    assert progress.status is Status.REVIEW
    review = review_screen(FLOW, "r1", progress, EN, mode=ReviewMode.EDIT)
    assert "1. Energy?\n→ 4/5" in review.text
    assert "2. Bring?" in review.text and "3. Goals?\n→ 2/5" in review.text
    assert "Topic?" not in review.text and "Urgency?" not in review.text
    # Edit buttons name flow positions (0, 1, 5), then Back to review and Submit.
    assert codes(review) == [["i0"], ["i1"], ["i5"], ["V"], ["S"]]
    assert "Topic?" not in review_summary_text(FLOW, progress, EN)


def test_an_answered_question_is_one_short_line_above_the_next() -> None:
    progress = walk(FLOW, Choose(4))
    answered = answered_line(FLOW, progress, "x" * 1000, EN)
    assert answered.startswith("✓ Bring? → <b>xxx")
    assert "\n" not in answered and len(answered_line(FLOW, progress, "word " * 400, EN)) < 120


def test_a_five_point_scale_is_one_row_and_a_wide_scale_two() -> None:
    flow = sample_flow()
    assert codes(question_screen(flow, "r1", walk(flow), EN))[0] == ["v1", "v2", "v3", "v4", "v5"]
    wide = replace(flow, questions=(replace(flow.questions[0], scale_min=0, scale_max=10), *flow.questions[1:]))
    rows = codes(question_screen(wide, "r1", walk(wide), EN))
    assert rows[:2] == [[f"v{n}" for n in range(6)], [f"v{n}" for n in range(6, 11)]]


def test_end_labels_are_in_the_message_not_on_the_buttons() -> None:
    screen = question_screen(sample_flow(), "r1", walk(sample_flow()), EN)
    assert "1 = empty … 5 = full" in screen.text
    assert [button.text for button in screen.keyboard[0]] == ["1", "2", "3", "4", "5"]


@pytest.mark.parametrize(
    ("labels", "rows"),
    [
        (("yes", "partly", "no"), [["v0", "v1", "v2"]]),
        (("can wait", "I'd like to", "important this time"), [["v0"], ["v1"], ["v2"]]),
        (("a", "b", "c", "d"), [["v0"], ["v1"], ["v2"], ["v3"]]),
    ],
)
def test_short_choices_share_a_row_and_long_ones_get_their_own(labels: tuple[str, ...], rows: list[list[str]]) -> None:
    options = tuple(Option(f"o{n}", text(label)) for n, label in enumerate(labels))
    flow = replace(sample_flow(), questions=(Question("pick", QuestionType.CHOICE, text("Pick?"), options=options),))
    assert codes(question_screen(flow, "r1", walk(flow), EN))[:-1] == rows


def largest_flow() -> Flow:
    """Every text at its limit, the most questions a flow may have, each a long free-text question."""
    long_text = ("word " * 60)[:MAX_QUESTION_CHARS]
    questions = tuple(
        Question(
            f"q{n}",
            QuestionType.TEXT,
            text(long_text),
            help=text(("help " * 60)[:MAX_HELP_CHARS]),
            max_length=3500,
        )
        for n in range(MAX_QUESTIONS)
    )
    return Flow("largest", "en", text("T"), text("I"), questions, Path("largest.yaml"))


def test_no_answering_screen_is_longer_than_one_screen() -> None:
    flow = largest_flow()
    answer = "I wrote a very long answer. " * 125
    progress = walk(flow, *[WriteText(answer[:3500])] * MAX_QUESTIONS)
    assert progress.status is Status.REVIEW
    assert len(review_screen(flow, "r1", progress, EN, mode=ReviewMode.PLAIN).text) <= SCREEN_CHARS
    assert len(review_screen(flow, "r1", progress, EN, mode=ReviewMode.EDIT).text) <= SCREEN_CHARS
    editing = replace(progress, status=Status.ANSWERING, cursor=3, editing_one=True)
    assert len(question_screen(flow, "r1", editing, EN).text) <= SCREEN_CHARS


@pytest.mark.parametrize(
    ("source", "limit", "expected"),
    [
        ("short", 10, "short"),
        ("one two three four", 12, "one two…"),
        ("abcdefghijkl", 6, "abcde…"),
        ("a\n b", 9, "a b"),
    ],
)
def test_shorten(source: str, limit: int, expected: str) -> None:
    assert shorten(source, limit) == expected


def test_allow_a_reply_is_offered_only_for_a_shared_written_answer() -> None:
    skipped = walk(FLOW, Choose(4), Skip(), Choose(2))
    assert codes(review_screen(FLOW, "r1", skipped, EN)) == [["S"], ["E", "P"]]
    written = walk(FLOW, Choose(4), WriteText("rotas"), Skip(), Choose(0), Choose(2))
    assert written.status is Status.REVIEW
    assert codes(review_screen(FLOW, "r1", written, EN)) == [["S"], ["E", "P"], ["A"]]
    listing = review_screen(FLOW, "r1", written, EN, mode=ReviewMode.REPLY)
    assert codes(listing) == [["a1"], ["V"], ["S"]] and listing.keyboard[0][0].text.startswith("✕ 2.")
    allowed = replace(written, reply_ok=frozenset({"bring"}))
    assert "your supervisor may reply without learning who you are" in review_screen(FLOW, "r1", allowed, EN).text
    assert review_screen(FLOW, "r1", allowed, EN, mode=ReviewMode.REPLY).keyboard[0][0].text.startswith("↩ 2.")
