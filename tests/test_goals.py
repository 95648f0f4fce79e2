"""Goals: config.yaml `goals:`, the `goals` question type expanded per goal, and answering it with the state machine."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from checkins.config.app import load_config
from checkins.config.flows import QuestionType, load_flow
from checkins.config.goals import Goal, expand_goals, goal_question_id
from checkins.config.yamlsource import ConfigError
from checkins.rounds.answering import Back, Choose, EditQuestion, Progress, Rejection, Skip, Status, Submit, apply
from tests.fixtures import sample_flow, text
from tests.test_config import BASE_CONFIG, write_setup

GOALS = (Goal("roles", text("Clearer roles", "Selkeämmät roolit")), Goal("coping", text("Coping at work")))

EVALUATION_FLOW = """\
id: evaluation
default_language: fi
title: Väliarviointi
intro: Arvioidaan yhdessä.
questions:
  - id: eval_goals
    type: goals
    text: {fi: Tavoite on toteutunut, en: This goal has been met}
    labels: {min: {fi: eri mieltä, en: disagree}, max: {fi: samaa mieltä, en: agree}}
  - id: eval_trust
    type: scale
    text: {fi: Ilmapiiri on turvallinen, en: The atmosphere is safe}
"""

GOALS_CONFIG = """\
    goals:
      - id: roles
        text: {fi: Roolit selkeytyvät, sv: Rollerna klarnar, en: Clearer roles}
      - id: coping
        text: Jaksaminen paranee
"""


def goals_flow() -> object:
    flow = sample_flow()
    energy = flow.questions[0]
    goals_question = replace(energy, id="progress", type=QuestionType.GOALS, text=text("Progress?", "Edistyminen?"))
    return replace(flow, questions=(energy, goals_question, *flow.questions[1:]))


def test_a_goals_question_becomes_one_scale_question_per_goal() -> None:
    expanded = expand_goals(goals_flow(), GOALS)  # type: ignore[arg-type]
    ids = [question.id for question in expanded.questions]
    assert ids == ["energy", "progress.roles", "progress.coping", "mind", "topics", "urgency", "again"]
    roles = expanded.question("progress.roles")
    assert roles.type is QuestionType.SCALE
    assert (roles.scale_min, roles.scale_max) == (1, 5)
    assert roles.text.get("fi") == "Edistyminen? — Selkeämmät roolit"
    assert roles.text.get("en") == "Progress? — Clearer roles"
    # A language the goal lacks falls back to the goal's default language.
    assert expanded.question("progress.coping").text.get("fi") == "Edistyminen? — Coping at work"
    assert goal_question_id("progress", "roles") == "progress.roles"


def test_a_flow_without_goals_questions_is_unchanged() -> None:
    flow = sample_flow()
    assert expand_goals(flow, GOALS) is flow


def test_answering_walks_through_every_goal_and_back() -> None:
    flow = expand_goals(goals_flow(), GOALS)  # type: ignore[arg-type]
    progress = Progress.start(flow, 1)
    for action in (Choose(3), Choose(4), Skip(), Back(), Choose(2)):
        if flow.questions[progress.cursor].type is QuestionType.SCALE:
            assert apply(flow, progress, Choose(9)) is Rejection.INVALID  # each goal keeps the scale's range
        result = apply(flow, progress, action)
        assert isinstance(result, Progress), result
        progress = result
    assert progress.answers == {"energy": 3, "progress.roles": 4, "progress.coping": 2}
    assert (progress.status, progress.cursor) == (Status.ANSWERING, 3)
    for action in (Skip(), Skip(), Skip(), Skip(), EditQuestion(1), Choose(5), Submit()):
        result = apply(flow, progress, action)
        assert isinstance(result, Progress), result
        progress = result
    assert progress.status is Status.SUBMITTED
    assert progress.answers["progress.roles"] == 5


def write_evaluation_setup(tmp_path: Path, group_extra: str) -> Path:
    path = write_setup(tmp_path, BASE_CONFIG.replace("flow: pre_session", "flow: evaluation") + group_extra)
    (tmp_path / "flows" / "evaluation.yaml").write_text(EVALUATION_FLOW, encoding="utf-8")
    return path


def test_config_goals_are_read_and_expand_the_groups_flow(tmp_path: Path) -> None:
    config = load_config(write_evaluation_setup(tmp_path, GOALS_CONFIG))
    group = config.groups["ward5"]
    assert [goal.id for goal in group.goals] == ["roles", "coping"]
    assert group.goals[0].text.get("sv") == "Rollerna klarnar"
    assert group.goals[1].text.get("sv") == "Jaksaminen paranee"
    flow = config.member_flow("ward5", "evaluation")
    assert flow is not None
    assert [q.id for q in flow.questions] == ["eval_goals.roles", "eval_goals.coping", "eval_trust"]
    assert config.flows["evaluation"].questions[0].type is QuestionType.GOALS
    assert config.member_flow("ward5", "missing") is None
    assert config.member_flow("nobody", "evaluation") is None


@pytest.mark.parametrize(
    ("group_extra", "expected"),
    [
        (
            "",
            "config.yaml:12: groups[0].flow: flow 'evaluation' asks about the group's goals"
            " (question 'eval_goals'): list them under goals",
        ),
        (
            GOALS_CONFIG.replace("id: coping", "id: roles"),
            "config.yaml:17: groups[0].goals[1].id: duplicate goal id 'roles' (already used at line 15)",
        ),
        (
            GOALS_CONFIG.replace("id: coping", "id: Coping"),
            "config.yaml:17: groups[0].goals[1].id: must be 1–32 characters of a-z, 0-9 and _, starting with a"
            " letter (got 'Coping')",
        ),
        (
            GOALS_CONFIG.replace("text: Jaksaminen paranee", "text: {en: Coping}"),
            "config.yaml:18: groups[0].goals[1].text: missing the 'fi' text (this file's default_language)",
        ),
    ],
    ids=["flow-asks-goals-group-has-none", "duplicate-goal", "bad-goal-id", "goal-text-missing-default-language"],
)
def test_goal_config_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, group_extra: str, expected: str) -> None:
    monkeypatch.chdir(tmp_path)
    write_evaluation_setup(tmp_path, group_extra)
    with pytest.raises(ConfigError) as caught:
        load_config(Path("config.yaml"))
    assert str(caught.value) == expected


def test_goals_question_type_takes_the_scale_settings(tmp_path: Path) -> None:
    path = tmp_path / "evaluation.yaml"
    path.write_text(EVALUATION_FLOW, encoding="utf-8")
    question = load_flow(path).question("eval_goals")
    assert question.type is QuestionType.GOALS
    assert question.min_label is not None and question.min_label.get("en") == "disagree"
