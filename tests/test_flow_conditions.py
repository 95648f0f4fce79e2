"""Flow files, the keys that shape a round and its digest: `show_if` and `rotation` (which questions a member is
asked, each round), and `digest` and `role` (how the digest shows a question) — their forms and one exact error
message per problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from checkins.config.flow_digest import Presentation, Role
from checkins.config.flows import (
    Condition,
    ConditionKind,
    load_flow,
    load_flows,
)
from tests.flow_files import BASE_FLOW, SHIPPED_FLOW, flow_error, write

# --- show_if and rotation ---

# Line 26 holds the last question's show_if; the cases below replace it.
CONDITIONAL_FLOW = """\
id: demo
default_language: en
title: Title
intro: Intro
questions:
  - id: mood
    type: scale
    text: Mood?
  - id: bring
    type: text
    text: Bring?
  - id: topic
    type: multi
    text: Topic?
    options: [{id: team, label: Team}, {id: role, label: Role}]
  - id: urgency
    type: choice
    text: Urgency?
    options: [{id: wait, label: Can wait}, {id: now, label: Now}]
  - id: again
    type: yesno
    text: Again?
  - id: last
    type: text
    text: Last?
    show_if: {answered: bring}
"""
SHOW_IF_LINE = "    show_if: {answered: bring}\n"


@pytest.mark.parametrize(
    ("show_if", "condition"),
    [
        ("{answered: bring}", Condition("bring", ConditionKind.ANSWERED)),
        ("{question: urgency, equals: now}", Condition("urgency", ConditionKind.EQUALS, ("now",))),
        ("{question: urgency, equals: [wait, now]}", Condition("urgency", ConditionKind.EQUALS, ("wait", "now"))),
        ("{question: topic, includes: role}", Condition("topic", ConditionKind.INCLUDES, ("role",))),
        ("{question: mood, at_least: 4}", Condition("mood", ConditionKind.AT_LEAST, (4,))),
        ("{question: mood, equals: [1, 2]}", Condition("mood", ConditionKind.EQUALS, (1, 2))),
        ("{question: again, equals: true}", Condition("again", ConditionKind.EQUALS, (True,))),
    ],
)
def test_show_if_forms(tmp_path: Path, show_if: str, condition: Condition) -> None:
    flow = load_flow(write(tmp_path, "flow.yaml", CONDITIONAL_FLOW.replace("{answered: bring}", show_if)))
    assert flow.question("last").show_if == condition
    assert flow.question("mood").show_if is None


def test_rotation_keys(tmp_path: Path) -> None:
    rotated = CONDITIONAL_FLOW.replace(SHOW_IF_LINE, "    every: 3\n    first_round: 2\n")
    last = load_flow(write(tmp_path, "flow.yaml", rotated)).question("last")
    assert (last.every, last.first_round) == (3, 2)
    assert [n for n in range(1, 9) if last.asked_in(n)] == [2, 5, 8]


SHOW_IF_ERRORS = [
    pytest.param(
        "{answered: nope}",
        "flow.yaml:26: questions[5].show_if.answered: must name an earlier question"
        " (got 'nope'; earlier questions: mood, bring, topic, urgency, again)",
        id="unknown-question",
    ),
    pytest.param(
        "{answered: last}",
        "flow.yaml:26: questions[5].show_if.answered: a question cannot depend on itself",
        id="itself",
    ),
    pytest.param(
        "{question: bring, equals: x}",
        "flow.yaml:26: questions[5].show_if.equals: a text question ('bring') can be tested with: answered",
        id="text-tested-by-value",
    ),
    pytest.param(
        "{question: topic, equals: team}",
        "flow.yaml:26: questions[5].show_if.equals: a multi question ('topic') can be tested with: answered, includes",
        id="multi-needs-includes",
    ),
    pytest.param(
        "{question: urgency, equals: later}",
        "flow.yaml:26: questions[5].show_if.equals: must be one of: wait, now (got 'later')",
        id="unknown-option",
    ),
    pytest.param(
        "{question: urgency, equals: [wait, soon]}",
        "flow.yaml:26: questions[5].show_if.equals[1]: must be one of: wait, now (got 'soon')",
        id="unknown-option-in-list",
    ),
    pytest.param(
        "{question: mood, at_least: 6}",
        "flow.yaml:26: questions[5].show_if.at_least: must be between 1 and 5 (got 6)",
        id="outside-the-scale",
    ),
    pytest.param(
        "{question: mood, at_most: [1, 2]}",
        "flow.yaml:26: questions[5].show_if.at_most: takes one number, not a list",
        id="bound-is-one-value",
    ),
    pytest.param(
        "{question: urgency, equals: []}",
        "flow.yaml:26: questions[5].show_if.equals: needs at least one value",
        id="empty-list",
    ),
    pytest.param(
        "{question: again, equals: 'yes'}",
        "flow.yaml:26: questions[5].show_if.equals: must be true or false (got 'yes')",
        id="yesno-needs-a-bool",
    ),
    pytest.param(
        "{question: urgency}",
        "flow.yaml:26: questions[5].show_if: write {answered: <question id>} or"
        " {question: <question id>, <test>: <value>} where <test> is one of: equals, includes, at_least, at_most",
        id="no-test",
    ),
    pytest.param(
        "{question: mood, at_least: 2, at_most: 4}",
        "flow.yaml:26: questions[5].show_if: write {answered: <question id>} or"
        " {question: <question id>, <test>: <value>} where <test> is one of: equals, includes, at_least, at_most",
        id="two-tests",
    ),
    pytest.param(
        "{answered: bring, question: mood}",
        "flow.yaml:26: questions[5].show_if.question: 'answered' stands alone: write {answered: <question id>} or"
        " {question: <question id>, <test>: <value>} where <test> is one of: equals, includes, at_least, at_most",
        id="answered-with-more",
    ),
    pytest.param(
        "{anwsered: bring}",
        "flow.yaml:26: questions[5].show_if.anwsered: unknown key 'anwsered' (did you mean 'answered'?)",
        id="typo",
    ),
    pytest.param(
        "bring",
        "flow.yaml:26: questions[5].show_if: must be a mapping: write {answered: <question id>} or"
        " {question: <question id>, <test>: <value>} where <test> is one of: equals, includes, at_least, at_most"
        " (got 'bring')",
        id="not-a-mapping",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("show_if", "expected"), SHOW_IF_ERRORS)
def test_show_if_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, show_if: str, expected: str) -> None:
    error = flow_error(tmp_path, monkeypatch, CONDITIONAL_FLOW.replace("{answered: bring}", show_if))
    assert str(error) == expected


def test_show_if_may_not_look_ahead(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = CONDITIONAL_FLOW.replace("    text: Bring?\n", "    text: Bring?\n    show_if: {answered: last}\n")
    error = flow_error(tmp_path, monkeypatch, text)
    assert str(error) == (
        "flow.yaml:12: questions[1].show_if.answered: must name an earlier question"
        " (got 'last'; earlier questions: mood)"
    )


@pytest.mark.parametrize(
    ("rotation", "expected"),
    [
        ("    every: 1\n", "flow.yaml:26: questions[5].every: must be between 2 and 100 (got 1)"),
        ("    first_round: 2\n", "flow.yaml:26: questions[5].first_round: only a question with 'every' has a"
         " 'first_round'"),
        ("    every: 2\n    first_round: 0\n", "flow.yaml:27: questions[5].first_round: must be between 1 and 1000"
         " (got 0)"),
    ],
)  # fmt: skip
def test_rotation_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rotation: str, expected: str) -> None:
    assert str(flow_error(tmp_path, monkeypatch, CONDITIONAL_FLOW.replace(SHOW_IF_LINE, rotation))) == expected


def test_some_question_must_be_asked_in_every_round(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    error = flow_error(tmp_path, monkeypatch, BASE_FLOW.replace("    type: scale\n", "    type: scale\n    every: 2\n"))
    assert str(error) == (
        "flow.yaml:5: questions: at least one question must be asked in every round:"
        " one without 'show_if' and without 'every'"
    )


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("    text: Mood?\n", f"    text: {'x' * 251}\n", "flow.yaml:8: questions[0].text: may be at most 250"
         " characters, to fit on a phone screen (got 251)"),
        ("{id: team, label: Team}", f"{{id: team, label: {'x' * 61}}}", "flow.yaml:15:"
         " questions[2].options[0].label: may be at most 60 characters, to fit on a phone screen (got 61)"),
    ],
)  # fmt: skip
def test_texts_must_fit_a_phone_screen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, old: str, new: str, expected: str
) -> None:
    assert str(flow_error(tmp_path, monkeypatch, CONDITIONAL_FLOW.replace(old, new, 1))) == expected


# --- how the digest shows a question: `digest` and `role` ---

DIGEST_FLOW = BASE_FLOW + "  - id: note\n    type: text\n    text: Mitä mielessä?\n"


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        ("    digest: quoted\n", "flow.yaml:8: questions[0].digest: must be one of: quote, summary, report-only"
         " (got 'quoted'; did you mean 'quote'?)"),
        ("    digest: quote\n", "flow.yaml:8: questions[0].digest: only text questions can be quoted (this question"
         " is scale): use summary"),
        ("    role: agenda\n", "flow.yaml:8: questions[0].role: the role 'agenda' is for text questions (this"
         " question is scale)"),
        ("    role: topic\n", "flow.yaml:8: questions[0].role: must be one of: agenda, agenda-topic, urgency,"
         " wellbeing (got 'topic')"),
    ],
)  # fmt: skip
def test_digest_key_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, keys: str, expected: str) -> None:
    text = DIGEST_FLOW.replace("    type: scale\n", "    type: scale\n" + keys)
    assert str(flow_error(tmp_path, monkeypatch, text)) == expected


def test_a_role_is_given_to_one_question_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = DIGEST_FLOW.replace("    type: scale\n", "    type: scale\n    role: wellbeing\n")
    text += "  - id: mood2\n    type: scale\n    role: wellbeing\n    text: Entä nyt?\n"
    assert str(flow_error(tmp_path, monkeypatch, text)) == (
        "flow.yaml:17: questions[2].role: the role 'wellbeing' is already given to question 'mood'"
    )


def test_without_digest_keys_text_is_quoted_and_the_rest_summed_up(tmp_path: Path) -> None:
    flow = load_flow(write(tmp_path, "flow.yaml", DIGEST_FLOW))
    assert [(q.id, q.presentation, q.role) for q in flow.questions] == [
        ("mood", Presentation.SUMMARY, None), ("note", Presentation.QUOTE, None),
    ]  # fmt: skip


def test_bundled_flows_give_their_questions_digest_roles() -> None:
    flows = load_flows(SHIPPED_FLOW.parent)
    pre = flows["pre_session"]
    assert {role: pre.with_role(role).id for role in Role} == {  # type: ignore[union-attr]
        Role.AGENDA: "bring", Role.AGENDA_TOPIC: "topic_area", Role.URGENCY: "urgency", Role.WELLBEING: "energy",
    }  # fmt: skip
    assert flows["wellbeing_pulse"].with_role(Role.WELLBEING) is not None
    assert flows["post_session"].with_role(Role.WELLBEING) is None
    assert flows["post_session"].question("takeaway").presentation is Presentation.QUOTE
