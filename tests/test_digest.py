"""The digest, built from fixed data: thresholds, counts, shuffling, redaction, escaping and splitting."""

from __future__ import annotations

import random
from html.parser import HTMLParser

from checkins.digest import MESSAGE_LIMIT, DigestInput, render_digest
from checkins.i18n import Translator
from checkins.redaction import Redactor
from tests.fixtures import sample_flow

CATALOG = Translator.load().for_language("en")
NO_NAMES = Redactor.for_names([])


def digest(answers: dict[str, list[object]], submitted: int = 4, **overrides: object) -> list[str]:
    data = DigestInput(
        group_name="Ward <5>",
        round_number=3,
        flow=sample_flow(),
        submitted=submitted,
        invited=5,
        answers=answers,
        min_responses=overrides.pop("min_responses", 3),  # type: ignore[arg-type]
        text_min_responses=overrides.pop("text_min_responses", 3),  # type: ignore[arg-type]
    )
    redactor = overrides.pop("redactor", NO_NAMES)
    return render_digest(data, CATALOG, redactor, random.Random(overrides.pop("seed", 1)))  # type: ignore[arg-type]


class TagBalance(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: object) -> None:
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack.pop() == tag, f"unbalanced </{tag}>"


def assert_balanced(message: str) -> None:
    parser = TagBalance()
    parser.feed(message)
    assert parser.stack == []


FULL = {
    "energy": [4, 2, 5, 4],
    "mind": ["Too many night shifts", "A good week", "Waiting for the reorganisation", "Team is tired"],
    "topics": [["team"], ["team", "skills"], ["other"]],
    "urgency": ["now", "now", "wait"],
    "again": [True, True, False],
}


def test_header_counts_and_every_answer_once() -> None:
    text = "\n".join(digest(FULL))
    assert "Ward &lt;5&gt;, round 3" in text
    assert "4 of 5 answered" in text
    for answer in FULL["mind"]:
        assert text.count(answer) == 1
    assert "Mean 3.8 (scale 1–5)" in text
    assert "team: <b>2</b>" in text and "skills: <b>1</b>" in text
    assert "important now: <b>2</b>" in text
    assert "Yes: <b>2</b>" in text and "No: <b>1</b>" in text


def test_scale_distribution_bars() -> None:
    text = "\n".join(digest(FULL))
    assert "<code> 4 ██████████</code> 2" in text
    assert "<code> 3 ··········</code> 0" in text


def test_below_min_responses_withholds_everything() -> None:
    messages = digest(FULL, submitted=2)
    text = "\n".join(messages)
    assert "Fewer than 3 responses – no summary shown." in text
    assert "night shifts" not in text and "Mean" not in text


def test_stricter_text_threshold_hides_only_free_text() -> None:
    text = "\n".join(digest(FULL, text_min_responses=5))
    assert "night shifts" not in text
    assert "Too few answers to show (fewer than 5)." in text
    assert "Mean 3.8" in text


def test_question_with_few_answers_is_hidden() -> None:
    answers = dict(FULL, urgency=["now"])
    text = "\n".join(digest(answers))
    assert "important now" not in text


def test_answers_are_shuffled_independently_per_question() -> None:
    orders = {
        tuple(line for line in "\n".join(digest(FULL, seed=seed)).splitlines() if line.startswith("• <i>"))
        for seed in range(8)
    }
    assert len(orders) > 1


def test_hostile_html_is_escaped_and_names_redacted() -> None:
    answers = dict(FULL, mind=["<b>bold</b> & </a> Maijalle", "x", "y", "z"])
    text = "\n".join(digest(answers, redactor=Redactor.for_names(["Maija"])))
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; &lt;/a&gt; [name]" in text
    assert "Maija" not in text
    for message in digest(answers):
        assert_balanced(message)


def test_long_answers_split_within_limit_without_losing_text() -> None:
    long_answer = " ".join(f"word{i}&" for i in range(1500))
    answers = dict(FULL, mind=[long_answer, long_answer, "short", "short"])
    messages = digest(answers)
    assert len(messages) > 2
    for message in messages:
        assert len(message) <= MESSAGE_LIMIT
        assert_balanced(message)
    joined = "\n".join(messages)
    for i in range(1500):
        assert joined.count(f"word{i}&amp;") == 2
