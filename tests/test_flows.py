"""Flow files: the shipped pre-session check-in, the flow model, one exact error message per validation."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from checkins.config.flows import (
    LANGUAGES,
    Condition,
    ConditionKind,
    LocalText,
    ProctorFunction,
    QuestionType,
    load_flow,
    load_flows,
)
from checkins.config.yamlsource import ConfigError
from tests.flow_files import BASE_FLOW, MOOD_QUESTION, MOOD_TEXT, SHIPPED_FLOW, flow_error, write

# --- the shipped flow ---


def test_shipped_pre_session_flow_loads_with_the_domain_questions() -> None:
    flow = load_flow(SHIPPED_FLOW)

    assert flow.id == "pre_session"
    assert flow.default_language == "fi"
    assert flow.privacy_reminder is True
    assert [(q.id, q.type) for q in flow.questions] == [
        ("energy", QuestionType.SCALE),
        ("went_well", QuestionType.TEXT),
        ("difficult", QuestionType.TEXT),
        ("bring", QuestionType.TEXT),
        ("topic_area", QuestionType.MULTI),
        ("urgency", QuestionType.CHOICE),
    ]
    assert not any(question.required for question in flow.questions)


BUNDLED_FLOWS = {
    "pre_session": ["energy", "went_well", "difficult", "bring", "topic_area", "urgency"],
    "post_session": ["takeaway", "next_step", "useful", "heard", "on_topic", "goal_progress"],
    "wellbeing_pulse": ["energy", "workload", "support", "would_help"],
    "interim_evaluation": ["eval_goals", "eval_trust", "eval_wellbeing", "eval_skills", "eval_roles", "eval_change"],
}


@pytest.mark.parametrize("flow_id", BUNDLED_FLOWS)
def test_bundled_flows_are_short_skippable_and_remind_about_client_names(flow_id: str) -> None:
    flow = load_flow(SHIPPED_FLOW.parent / f"{flow_id}.yaml")
    assert [question.id for question in flow.questions] == BUNDLED_FLOWS[flow_id]
    assert len(flow.questions) <= 6
    assert not any(question.required for question in flow.questions)
    assert flow.privacy_reminder is True


def test_bundled_flows_use_conditions_and_rotation_where_they_help() -> None:
    flows = load_flows(SHIPPED_FLOW.parent)
    assert flows["post_session"].question("goal_progress").every == 3
    assert flows["wellbeing_pulse"].question("would_help").show_if == Condition("energy", ConditionKind.AT_MOST, (2,))
    evaluation = flows["interim_evaluation"]
    assert evaluation.questions[0].type is QuestionType.GOALS
    for question in evaluation.questions[1:5]:
        assert question.type is QuestionType.SCALE
        assert question.min_label is not None and question.min_label.get("fi") == "täysin eri mieltä"
    assert evaluation.question("eval_trust").text.get("sv") == (
        "I handledningen finns en förtroendefull och trygg atmosfär."
    )


@pytest.mark.parametrize("flow_id", BUNDLED_FLOWS)
def test_shipped_flow_has_every_text_in_every_language(flow_id: str) -> None:
    flow = load_flow(SHIPPED_FLOW.parent / f"{flow_id}.yaml")
    texts = [flow.title, flow.intro]
    for question in flow.questions:
        texts += [question.text, *(o.label for o in question.options)]
        texts += [t for t in (question.help, question.min_label, question.max_label) if t is not None]
    for text in texts:
        assert set(text.values) == set(LANGUAGES), text


def test_shipped_flow_uses_the_domain_wording() -> None:
    flow = load_flow(SHIPPED_FLOW)
    energy = flow.question("energy")
    assert energy.text.get("fi") == "Miten jaksat työssäsi juuri nyt?"
    assert energy.text.get("sv") == "Hur orkar du i arbetet just nu?"
    assert (energy.scale_min, energy.scale_max) == (1, 5)
    assert energy.min_label is not None and energy.min_label.get("en") == "running on empty"
    assert energy.max_label is not None and energy.max_label.get("fi") == "hyvin voimissani"
    assert flow.question("bring").text.get("en") == "What would you like to bring to the next session?"
    topics = flow.question("topic_area").options
    assert [o.id for o in topics] == [
        "client_work", "wellbeing", "team", "role", "change", "skills", "ethics", "other",
    ]  # fmt: skip
    assert topics[0].label.get("fi") == "asiakas-/potilastyö"
    assert [o.proctor for o in topics] == [
        (ProctorFunction.NORMATIVE, ProctorFunction.FORMATIVE),
        (ProctorFunction.RESTORATIVE,),
        (ProctorFunction.NORMATIVE,),
        (ProctorFunction.NORMATIVE,),
        (ProctorFunction.NORMATIVE,),
        (ProctorFunction.FORMATIVE,),
        (ProctorFunction.NORMATIVE,),
        (),
    ]
    urgency = flow.question("urgency")
    assert [o.label.get("sv") for o in urgency.options] == [
        "kan vänta", "önskar att det tas upp", "viktigt den här gången",
    ]  # fmt: skip
    assert flow.index_of("urgency") == 5
    bring_answered = Condition("bring", ConditionKind.ANSWERED)
    assert (flow.question("topic_area").show_if, flow.question("urgency").show_if) == (bring_answered, bring_answered)


def test_load_flows_reads_the_shipped_folder() -> None:
    flows = load_flows(SHIPPED_FLOW.parent)
    assert list(flows) == ["interim_evaluation", "post_session", "pre_session", "wellbeing_pulse"]
    assert flows["pre_session"].source == SHIPPED_FLOW


# --- model ---


def test_local_text_falls_back_to_the_default_language() -> None:
    text = LocalText({"fi": "Hei", "en": "Hello"}, "fi")
    assert text.get("en") == "Hello"
    assert text.get("sv") == "Hei"
    assert text.get("de") == "Hei"


def test_local_text_requires_its_default_language() -> None:
    with pytest.raises(ValueError, match="default language 'sv'"):
        LocalText({"fi": "Hei"}, "sv")


def test_plain_string_is_the_default_language_only(tmp_path: Path) -> None:
    english = BASE_FLOW.replace("default_language: fi", "default_language: en")
    flow = load_flow(write(tmp_path, "flow.yaml", english))
    assert dict(flow.title.values) == {"en": "Otsikko"}
    assert flow.title.get("fi") == "Otsikko"


def test_defaults_apply_to_optional_keys(tmp_path: Path) -> None:
    flow = load_flow(write(tmp_path, "flow.yaml", BASE_FLOW + SECOND_QUESTION))
    mood, second = flow.questions
    assert (mood.scale_min, mood.scale_max, mood.min_label, mood.required) == (1, 5, None, False)
    assert second.max_length == 1500
    assert flow.privacy_reminder is True
    assert flow.source == tmp_path / "flow.yaml"


def test_flow_is_frozen_and_unknown_question_ids_raise() -> None:
    flow = load_flow(SHIPPED_FLOW)
    with pytest.raises(dataclasses.FrozenInstanceError):
        flow.id = "other"  # type: ignore[misc]
    with pytest.raises(KeyError, match="no question 'nope'"):
        flow.question("nope")


# --- validation: one exact message per problem ---

SECOND_QUESTION = "  - id: second\n    type: text\n    text: Toinen\n"
OPTIONS = "    options:\n      - {id: a, label: A}\n      - {id: b, label: B}\n"
THIRTEEN_OPTIONS = "    options:\n" + "".join(f"      - {{id: o{n}, label: O}}\n" for n in range(13))
TWENTY_QUESTIONS = "".join(SECOND_QUESTION.replace("second", f"q{n}") for n in range(20))
ERROR_CASES = [
    pytest.param(
        ("title: Otsikko", "titel: Otsikko"),
        "flow.yaml:3: titel: unknown key 'titel' (did you mean 'title'?)",
        id="unknown-top-level-key",
    ),
    pytest.param(("intro: Johdanto\n", ""), "flow.yaml: intro: required key is missing", id="missing-intro"),
    pytest.param(
        ("id: demo", "id: Demo"),
        "flow.yaml:1: id: must be 1–32 characters of a-z, 0-9 and _, starting with a letter (got 'Demo')",
        id="bad-flow-id",
    ),
    pytest.param(
        ("default_language: fi", "default_language: de"),
        "flow.yaml:2: default_language: must be one of: fi, sv, en (got 'de')",
        id="unknown-default-language",
    ),
    pytest.param(
        ("    type: scale\n", "    type: scale\n    requird: true\n"),
        "flow.yaml:8: questions[0].requird: unknown key 'requird' (did you mean 'required'?)",
        id="unknown-question-key",
    ),
    pytest.param(
        (MOOD_TEXT, ""),
        "flow.yaml:6: questions[0].text: required key is missing",
        id="missing-question-text",
    ),
    pytest.param(
        (MOOD_TEXT, "    text:\n"),
        "flow.yaml:8: questions[0].text: needs a value",
        id="empty-question-text",
    ),
    pytest.param(
        ("- id: mood", "- id: 2mood"),
        "flow.yaml:6: questions[0].id: must be 1–32 characters of a-z, 0-9 and _, starting with a letter"
        " (got '2mood')",
        id="bad-question-id",
    ),
    pytest.param(
        ("type: scale\n", "type: choice\n    options:\n      - {id: a, label: A, proctor: restorativ}\n"
         "      - {id: b, label: B}\n"),
        "flow.yaml:9: questions[0].options[0].proctor: must be one of: restorative, formative, normative"
        " (got 'restorativ'; did you mean 'restorative'?)",
        id="unknown-proctor-function",
    ),
    pytest.param(
        ("type: scale\n", "type: multi\n    options:\n      - {id: a, label: A, proctor: [normative, normative]}\n"
         "      - {id: b, label: B}\n"),
        "flow.yaml:9: questions[0].options[0].proctor: lists a function twice",
        id="proctor-function-twice",
    ),
    pytest.param(
        ("type: scale\n", "type: goals\n    max_length: 20\n"),
        "flow.yaml:8: questions[0].max_length: only text questions use 'max_length' (this question is goals)",
        id="goals-question-has-no-max-length",
    ),
    pytest.param(
        ("type: scale", "type: sclae"),
        "flow.yaml:7: questions[0].type: must be one of: text, scale, choice, multi, yesno, goals"
        " (got 'sclae'; did you mean 'scale'?)",
        id="unknown-question-type",
    ),
    pytest.param(
        ("en: How are you?", "de: Wie geht's?"),
        "flow.yaml:10: questions[0].text.de: unknown language 'de' (expected one of: fi, sv, en)",
        id="unknown-language",
    ),
    pytest.param(
        ("fi: Miten menee?", "sv: Hur mår du?"),
        "flow.yaml:8: questions[0].text: missing the 'fi' text (this file's default_language)",
        id="missing-default-language-text",
    ),
    pytest.param(
        ("title: Otsikko", "title: [Otsikko]"),
        "flow.yaml:3: title: must be text or one text per language, like {fi: …, sv: …} (got a list)",
        id="text-is-a-list",
    ),
    pytest.param(
        ("en: How are you?", "en: no"),
        'flow.yaml:10: questions[0].text.en: must be text (got no, which YAML reads as true/false;'
        ' write "no" in quotes)',
        id="yaml-no-is-not-text",
    ),
    pytest.param(
        ("    type: scale\n", "    type: scale\n    min: 5\n    max: 5\n"),
        "flow.yaml:9: questions[0].max: must be greater than min (5) (got 5)",
        id="scale-min-not-below-max",
    ),
    pytest.param(
        ("    type: scale\n", "    type: scale\n    min: 0\n    max: 11\n"),
        "flow.yaml:9: questions[0].max: the scale may span at most 10 steps (got 0..11)",
        id="scale-span-too-wide",
    ),
    pytest.param(
        ("    type: scale\n", "    type: scale\n    max: yes\n"),
        "flow.yaml:8: questions[0].max: must be a whole number (got yes, which YAML reads as true/false)",
        id="scale-max-is-a-bool",
    ),
    pytest.param(
        ("    type: scale\n", "    type: scale\n    labels: {low: Huono}\n"),
        "flow.yaml:8: questions[0].labels.low: unknown key 'low' (expected one of: min, max)",
        id="unknown-scale-label",
    ),
    pytest.param(
        ("    type: scale\n", "    type: scale\n    required: maybe\n"),
        "flow.yaml:8: questions[0].required: must be true or false (got 'maybe')",
        id="required-not-a-bool",
    ),
    pytest.param(
        ("    type: scale\n", "    type: text\n    min: 1\n"),
        "flow.yaml:8: questions[0].min: only scale and goals questions use 'min' (this question is text)",
        id="scale-key-on-text",
    ),
    pytest.param(
        ("    type: scale\n", "    type: text\n    max_length: 25000\n"),
        "flow.yaml:8: questions[0].max_length: must be between 1 and 20000 (got 25000)",
        id="max-length-out-of-range",
    ),
    pytest.param(
        ("    type: scale\n", "    type: text\n" + OPTIONS),
        "flow.yaml:8: questions[0].options: only choice and multi questions use 'options'"
        " (this question is text)",
        id="options-on-text",
    ),
    pytest.param(
        ("    type: scale\n", "    type: yesno\n" + OPTIONS),
        "flow.yaml:8: questions[0].options: yesno questions have no options:"
        " the bot shows yes/no in the member's language",
        id="options-on-yesno",
    ),
    pytest.param(
        ("type: scale", "type: choice"),
        "flow.yaml:6: questions[0].options: required key is missing",
        id="choice-without-options",
    ),
    pytest.param(
        ("    type: scale\n", "    type: multi\n" + OPTIONS.replace("      - {id: b, label: B}\n", "")),
        "flow.yaml:8: questions[0].options: needs at least 2 entries (got 1)",
        id="too-few-options",
    ),
    pytest.param(
        ("    type: scale\n", "    type: choice\n" + THIRTEEN_OPTIONS),
        "flow.yaml:8: questions[0].options: may have at most 12 entries (got 13)",
        id="too-many-options",
    ),
    pytest.param(
        ("    type: scale\n", "    type: choice\n" + OPTIONS.replace("id: b", "id: a")),
        "flow.yaml:10: questions[0].options[1].id: duplicate option id 'a' (already used at line 9)",
        id="duplicate-option-id",
    ),
    pytest.param(
        ("    type: scale\n", "    type: choice\n" + OPTIONS.replace("id: b, label: B", "id: b")),
        "flow.yaml:10: questions[0].options[1].label: required key is missing",
        id="option-without-label",
    ),
    pytest.param(
        (MOOD_QUESTION, "  - mood\n"),
        "flow.yaml:6: questions[0]: must be a mapping (key: value lines) (got 'mood')",
        id="question-not-a-mapping",
    ),
    pytest.param(
        ("questions:\n" + MOOD_QUESTION, "questions: []\n"),
        "flow.yaml:5: questions: needs at least 1 entry (got 0)",
        id="empty-questions",
    ),
    pytest.param(
        ("questions:\n", "questions:\n" + TWENTY_QUESTIONS),
        "flow.yaml:5: questions: may have at most 20 entries (got 21)",
        id="too-many-questions",
    ),
    pytest.param(
        (MOOD_TEXT, MOOD_TEXT + SECOND_QUESTION.replace("second", "mood")),
        "flow.yaml:11: questions[1].id: duplicate question id 'mood' (already used at line 6)",
        id="duplicate-question-id",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("replacement", "expected"), ERROR_CASES)
def test_flow_validation_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, replacement: tuple[str, str], expected: str
) -> None:
    old, new = replacement
    assert old in BASE_FLOW
    error = flow_error(tmp_path, monkeypatch, BASE_FLOW.replace(old, new, 1))
    assert str(error) == expected


def test_error_carries_file_line_key_and_problem(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    error = flow_error(tmp_path, monkeypatch, BASE_FLOW.replace("type: scale", "type: sclae"))
    assert (error.file, error.line, error.key) == (Path("flow.yaml"), 7, "questions[0].type")
    assert error.problem.startswith("must be one of:")


def test_duplicate_flow_ids_across_files_name_both_files(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", BASE_FLOW)
    write(tmp_path, "b.yml", "# the same flow, copied\n" + BASE_FLOW)
    with pytest.raises(ConfigError) as caught:
        load_flows(tmp_path)
    first, second = tmp_path / "a.yaml", tmp_path / "b.yml"
    assert str(caught.value) == f"{second}:2: id: flow id 'demo' is already used by {first}"


def test_load_flows_ignores_other_files_and_reports_a_missing_folder(tmp_path: Path) -> None:
    write(tmp_path, "demo.yaml", BASE_FLOW)
    write(tmp_path, "notes.txt", "not a flow")
    write(tmp_path, ".editor-backup.yaml", "{{{")
    assert list(load_flows(tmp_path)) == ["demo"]
    with pytest.raises(ConfigError, match="flows folder not found"):
        load_flows(tmp_path / "missing")


def test_inline_question_mark_gets_a_quoting_hint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    error = flow_error(tmp_path, monkeypatch, BASE_FLOW.replace(MOOD_TEXT, "    text: {fi: Miten menee?}\n"))
    assert str(error) == (
        "flow.yaml:8: invalid YAML: expected ',' or '}', but got '?' (while parsing a flow mapping);"
        " inside { } or [ ], put a text that contains ? : or , in quotes"
    )
