"""Check-in flows: the typed, frozen model of a question sequence and its loader from YAML flow files.

A flow file (e.g. flows/pre_session.yaml) lists the questions of one check-in with their texts in fi/sv/en.
`load_flow` / `load_flows` validate everything once — ids, types, ranges, options, languages, lengths that fit a
phone screen, `show_if` conditions (which may only test an earlier question, in a way its type allows) and rotation
(`every`, `first_round`) — and report the first problem as a `ConfigError` with file, line and key path; code
downstream trusts the `Flow` it gets. `Flow.visible_indexes` says which questions a round and a set of answers show.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from typing import Any

from checkins.config.flow_digest import Presentation, Role, default_presentation, presentation_of, role_of
from checkins.config.yamlsource import ConfigError, Node, TextFormat, load_yaml, reject_duplicates

LANGUAGES = ("fi", "sv", "en")
MAX_QUESTIONS = 20
MIN_OPTIONS, MAX_OPTIONS = 2, 12
DEFAULT_MAX_LENGTH = 1500
# An answer may run over several messages (joined), so a flow may allow far more than one Telegram message (4096);
# everything that quotes an answer back in a message shortens it.
MAX_TEXT_LENGTH = 20000
MAX_SCALE_SPAN = 10
MAX_EVERY = 100
# Texts a member reads while answering must fit a phone screen together with the buttons.
MAX_TITLE_CHARS = 100
MAX_INTRO_CHARS = 600
MAX_QUESTION_CHARS = 250
MAX_HELP_CHARS = 250
MAX_OPTION_CHARS = 60
MAX_SCALE_LABEL_CHARS = 40

ID_FORMAT = TextFormat(
    re.compile(r"[a-z][a-z0-9_]{0,31}"),
    "must be 1–32 characters of a-z, 0-9 and _, starting with a letter",
)


class QuestionType(StrEnum):
    TEXT = "text"
    SCALE = "scale"
    CHOICE = "choice"
    MULTI = "multi"
    YESNO = "yesno"
    # A scale asked once per goal of the group (config.yaml `goals:`); see checkins/config/goals.py.
    GOALS = "goals"


class ProctorFunction(StrEnum):
    """Proctor's three functions of supervision, which topic options may be tagged with for the digest's agenda."""

    RESTORATIVE = "restorative"
    FORMATIVE = "formative"
    NORMATIVE = "normative"


@dataclass(frozen=True)
class LocalText:
    """One text in several languages; a missing language falls back to the default language."""

    values: Mapping[str, str]
    default_language: str

    def __post_init__(self) -> None:
        if self.default_language not in self.values:
            raise ValueError(f"LocalText has no text in its default language {self.default_language!r}")
        object.__setattr__(self, "values", MappingProxyType(dict(self.values)))

    def __hash__(self) -> int:
        return hash((tuple(sorted(self.values.items())), self.default_language))

    def get(self, language: str) -> str:
        return self.values.get(language) or self.values[self.default_language]


@dataclass(frozen=True)
class Option:
    id: str
    label: LocalText
    proctor: tuple[ProctorFunction, ...] = ()


class ConditionKind(StrEnum):
    ANSWERED = "answered"
    EQUALS = "equals"
    INCLUDES = "includes"
    AT_LEAST = "at_least"
    AT_MOST = "at_most"


@dataclass(frozen=True)
class Condition:
    """A `show_if`: a test on the answer to one earlier question. An unanswered (or hidden) question fails it.

    `values` holds what the test compares with: for `equals` any one of them matches (option ids, true/false or
    scale points), for `includes` any one of the option ids, for `at_least` / `at_most` the single bound.
    """

    question_id: str
    kind: ConditionKind
    values: tuple[str | int | bool, ...] = ()

    def holds(self, answers: Mapping[str, Any]) -> bool:
        answer = answers.get(self.question_id)
        if answer is None:
            return False
        if self.kind is ConditionKind.ANSWERED:
            return True
        if self.kind is ConditionKind.EQUALS:
            return any(type(answer) is type(value) and answer == value for value in self.values)
        if self.kind is ConditionKind.INCLUDES:
            return isinstance(answer, list) and any(value in answer for value in self.values)
        bound = self.values[0]
        assert isinstance(bound, int) and isinstance(answer, int)
        return answer >= bound if self.kind is ConditionKind.AT_LEAST else answer <= bound


@dataclass(frozen=True)
class Question:
    id: str
    type: QuestionType
    text: LocalText
    help: LocalText | None = None
    required: bool = False
    max_length: int = DEFAULT_MAX_LENGTH
    scale_min: int = 1
    scale_max: int = 5
    min_label: LocalText | None = None
    max_label: LocalText | None = None
    options: tuple[Option, ...] = ()
    show_if: Condition | None = None
    # Rotation: asked only in rounds first_round, first_round + every, … (None: every round).
    every: int | None = None
    first_round: int = 1
    # How the digest shows the answers (see checkins/config/flow_digest.py); None: the default for the type.
    digest: Presentation | None = None
    role: Role | None = None

    @property
    def presentation(self) -> Presentation:
        return self.digest or default_presentation(self.type.value)

    def asked_in(self, round_number: int) -> bool:
        """Whether rotation puts this question in the group's round `round_number` (counted from 1)."""
        if self.every is None:
            return True
        return round_number >= self.first_round and (round_number - self.first_round) % self.every == 0


@dataclass(frozen=True)
class Flow:
    id: str
    default_language: str
    title: LocalText
    intro: LocalText
    questions: tuple[Question, ...]
    source: Path
    privacy_reminder: bool = True

    @cached_property
    def _positions(self) -> Mapping[str, int]:
        return MappingProxyType({question.id: index for index, question in enumerate(self.questions)})

    def with_role(self, role: Role) -> Question | None:
        """The question that plays `role` in the digest, if any."""
        return next((question for question in self.questions if question.role is role), None)

    def question(self, question_id: str) -> Question:
        return self.questions[self.index_of(question_id)]

    def index_of(self, question_id: str) -> int:
        try:
            return self._positions[question_id]
        except KeyError:
            raise KeyError(f"flow {self.id!r} has no question {question_id!r}") from None

    def visible_indexes(self, round_number: int, answers: Mapping[str, Any]) -> tuple[int, ...]:
        """The questions a member sees in round `round_number` given their answers so far, in order.

        A condition sees only the answers to questions that are themselves visible, so an answer left behind on a
        question that has since been hidden cannot keep a later question on screen.
        """
        visible: list[int] = []
        seen: dict[str, Any] = {}
        for index, question in enumerate(self.questions):
            if not question.asked_in(round_number):
                continue
            if question.show_if is not None and not question.show_if.holds(seen):
                continue
            visible.append(index)
            seen[question.id] = answers.get(question.id)
        return tuple(visible)


# --- loading ------------------------------------------------------------------------------------------------

_FLOW_KEYS = ("id", "default_language", "title", "intro", "privacy_reminder", "questions")
_COMMON_QUESTION_KEYS = ("id", "type", "text", "help", "required", "show_if", "every", "first_round", "digest", "role")
# Keys that only some question types use, and which types those are.
_TYPE_SPECIFIC_KEYS: dict[str, tuple[QuestionType, ...]] = {
    "max_length": (QuestionType.TEXT,),
    "min": (QuestionType.SCALE, QuestionType.GOALS),
    "max": (QuestionType.SCALE, QuestionType.GOALS),
    "labels": (QuestionType.SCALE, QuestionType.GOALS),
    "options": (QuestionType.CHOICE, QuestionType.MULTI),
}


def load_flows(directory: Path) -> dict[str, Flow]:
    """Every *.yaml / *.yml flow file in `directory`, by flow id, in file-name order."""
    if not directory.is_dir():
        raise ConfigError(directory, None, "", "flows folder not found")
    files = sorted(
        path
        for path in directory.iterdir()
        if path.suffix in (".yaml", ".yml") and not path.name.startswith(".") and path.is_file()
    )
    flows: dict[str, Flow] = {}
    for path in files:
        flow = load_flow(path)
        if flow.id in flows:
            root = load_yaml(path)
            raise root.error(f"flow id '{flow.id}' is already used by {flows[flow.id].source}", "id")
        flows[flow.id] = flow
    return flows


def load_flow(path: Path) -> Flow:
    root = load_yaml(path)
    root.reject_unknown_keys(_FLOW_KEYS)
    flow_id = root.require("id", str, text_format=ID_FORMAT)
    language = root.require("default_language", str, choices=LANGUAGES)
    title = local_text(root.required("title"), language, MAX_TITLE_CHARS)
    intro = local_text(root.required("intro"), language, MAX_INTRO_CHARS)
    privacy_reminder = root.get("privacy_reminder", bool, True)
    question_nodes = root.items("questions", min_items=1, max_items=MAX_QUESTIONS)
    questions: list[Question] = []
    roles: dict[Role, str] = {}
    for node in question_nodes:
        question = _question(node, language, questions, roles)
        if question.role is not None:
            roles[question.role] = question.id
        questions.append(question)
    reject_duplicates(question_nodes, "id", "question id")
    if all(q.show_if is not None or q.every is not None for q in questions):
        raise root.error(
            "at least one question must be asked in every round: one without 'show_if' and without 'every'",
            "questions",
        )
    return Flow(flow_id, language, title, intro, tuple(questions), path, privacy_reminder)


def _question(node: Node, language: str, earlier: list[Question], roles: dict[Role, str]) -> Question:
    node.reject_unknown_keys((*_COMMON_QUESTION_KEYS, *_TYPE_SPECIFIC_KEYS))
    question_id = node.require("id", str, text_format=ID_FORMAT)
    question_type = QuestionType(node.require("type", str, choices=tuple(QuestionType)))
    for key in node.key_names():
        _reject_key_of_other_type(node, key, question_type)
    help_node = node.optional("help")
    every = node.get("every", int, None, minimum=2, maximum=MAX_EVERY)
    if every is None and node.optional("first_round") is not None:
        raise node.error("only a question with 'every' has a 'first_round'", "first_round")
    show_if_node = node.optional("show_if")
    base = Question(
        id=question_id,
        type=question_type,
        text=local_text(node.required("text"), language, MAX_QUESTION_CHARS),
        help=None if help_node is None else local_text(help_node, language, MAX_HELP_CHARS),
        required=node.get("required", bool, False),
        show_if=None if show_if_node is None else _condition(show_if_node, question_id, earlier),
        every=every,
        first_round=node.get("first_round", int, 1, minimum=1, maximum=MAX_EVERY * 10),
        digest=presentation_of(node, question_type.value) if node.optional("digest") is not None else None,
        role=role_of(node, question_type.value, roles),
    )
    if question_type is QuestionType.TEXT:
        max_length = node.get("max_length", int, DEFAULT_MAX_LENGTH, minimum=1, maximum=MAX_TEXT_LENGTH)
        return replace(base, max_length=max_length)
    if question_type in (QuestionType.SCALE, QuestionType.GOALS):
        return _scale(node, base, language)
    if question_type in (QuestionType.CHOICE, QuestionType.MULTI):
        return replace(base, options=_options(node, language))
    return base


def _reject_key_of_other_type(node: Node, key: str, question_type: QuestionType) -> None:
    owners = _TYPE_SPECIFIC_KEYS.get(key)
    if owners is None or question_type in owners:
        return
    if key == "options" and question_type is QuestionType.YESNO:
        problem = "yesno questions have no options: the bot shows yes/no in the member's language"
        raise node.error(problem, key)
    owner_names = " and ".join(owners)
    raise node.error(f"only {owner_names} questions use '{key}' (this question is {question_type})", key)


def _scale(node: Node, base: Question, language: str) -> Question:
    low = node.get("min", int, base.scale_min)
    high = node.get("max", int, base.scale_max)
    if high <= low:
        raise node.error(f"must be greater than min ({low}) (got {high})", "max")
    if high - low > MAX_SCALE_SPAN:
        raise node.error(f"the scale may span at most {MAX_SCALE_SPAN} steps (got {low}..{high})", "max")
    labels = node.section("labels")
    labels.reject_unknown_keys(("min", "max"))
    min_label, max_label = (labels.optional(end) for end in ("min", "max"))
    return replace(
        base,
        scale_min=low,
        scale_max=high,
        min_label=None if min_label is None else local_text(min_label, language, MAX_SCALE_LABEL_CHARS),
        max_label=None if max_label is None else local_text(max_label, language, MAX_SCALE_LABEL_CHARS),
    )


def _options(node: Node, language: str) -> tuple[Option, ...]:
    option_nodes = node.items("options", min_items=MIN_OPTIONS, max_items=MAX_OPTIONS)
    options = []
    for option_node in option_nodes:
        option_node.reject_unknown_keys(("id", "label", "proctor"))
        option_id = option_node.require("id", str, text_format=ID_FORMAT)
        label = local_text(option_node.required("label"), language, MAX_OPTION_CHARS)
        options.append(Option(option_id, label, _proctor_functions(option_node)))
    reject_duplicates(option_nodes, "id", "option id")
    return tuple(options)


def _proctor_functions(option_node: Node) -> tuple[ProctorFunction, ...]:
    """`proctor: normative` or, for an option that serves two functions, `proctor: [normative, formative]`."""
    node = option_node.optional("proctor")
    if node is None:
        return ()
    choices = tuple(ProctorFunction)
    if isinstance(node.value, str):
        return (ProctorFunction(node.expect(str, choices=choices)),)
    items = option_node.items("proctor", min_items=1, max_items=len(choices))
    functions = tuple(ProctorFunction(item.expect(str, choices=choices)) for item in items)
    if len(set(functions)) != len(functions):
        raise option_node.error("lists a function twice", "proctor")
    return functions


def local_text(node: Node, default_language: str, max_chars: int) -> LocalText:
    """A plain string (the default language only) or a {fi: …, sv: …, en: …} mapping."""
    if isinstance(node.value, str):
        return LocalText({default_language: _short_text(node, max_chars)}, default_language)
    if not isinstance(node.value, dict):
        raise node.error(f"must be text or one text per language, like {{fi: …, sv: …}} (got {node.shown})")
    node.reject_unknown_keys(LANGUAGES, what="language")
    values = {language: _short_text(node.required(language), max_chars) for language in node.key_names()}
    if default_language not in values:
        raise node.error(f"missing the '{default_language}' text (this file's default_language)")
    return LocalText(values, default_language)


def _short_text(node: Node, max_chars: int) -> str:
    text = node.expect(str)
    if len(text) > max_chars:
        raise node.error(f"may be at most {max_chars} characters, to fit on a phone screen (got {len(text)})")
    return text


# --- show_if ------------------------------------------------------------------------------------------------

_TESTS = tuple(kind.value for kind in ConditionKind if kind is not ConditionKind.ANSWERED)
_SHOW_IF_FORMS = (
    "write {answered: <question id>} or {question: <question id>, <test>: <value>}"
    f" where <test> is one of: {', '.join(_TESTS)}"
)


def _condition(node: Node, question_id: str, earlier: list[Question]) -> Condition:
    """`{answered: id}` or `{question: id, equals|includes|at_least|at_most: value}` about an earlier question."""
    if not isinstance(node.value, dict):
        raise node.error(f"must be a mapping: {_SHOW_IF_FORMS} (got {node.shown})")
    node.reject_unknown_keys(("answered", "question", *_TESTS))
    keys = set(node.key_names())
    if "answered" in keys:
        if keys != {"answered"}:
            extra = sorted(keys - {"answered"})[0]
            raise node.error(f"'answered' stands alone: {_SHOW_IF_FORMS}", extra)
        target = _earlier_question(node, "answered", question_id, earlier)
        return Condition(target.id, ConditionKind.ANSWERED)
    tests = [key for key in node.key_names() if key in _TESTS]
    if "question" not in keys or len(tests) != 1:
        raise node.error(_SHOW_IF_FORMS)
    target = _earlier_question(node, "question", question_id, earlier)
    kind = ConditionKind(tests[0])
    return Condition(target.id, kind, _test_values(node.child(kind.value), kind, target))


def _earlier_question(node: Node, key: str, question_id: str, earlier: list[Question]) -> Question:
    target_id = node.require(key, str)
    for question in earlier:
        if question.id == target_id:
            return question
    names = ", ".join(q.id for q in earlier) or "none"
    if target_id == question_id:
        problem = "a question cannot depend on itself"
    else:
        problem = f"must name an earlier question (got '{target_id}'; earlier questions: {names})"
    raise node.error(problem, key)


def _test_values(node: Node, kind: ConditionKind, target: Question) -> tuple[str | int | bool, ...]:
    """The value(s) of a test, checked against what the tested question can answer."""
    allowed_kinds = {
        QuestionType.TEXT: (),
        QuestionType.SCALE: (ConditionKind.EQUALS, ConditionKind.AT_LEAST, ConditionKind.AT_MOST),
        QuestionType.CHOICE: (ConditionKind.EQUALS,),
        QuestionType.MULTI: (ConditionKind.INCLUDES,),
        QuestionType.YESNO: (ConditionKind.EQUALS,),
    }[target.type]
    if kind not in allowed_kinds:
        usable = ", ".join(["answered", *allowed_kinds])
        raise node.error(f"a {target.type} question ('{target.id}') can be tested with: {usable}")
    if isinstance(node.value, list):
        if kind in (ConditionKind.AT_LEAST, ConditionKind.AT_MOST):
            raise node.error("takes one number, not a list")
        if not node.value:
            raise node.error("needs at least one value")
    entries = [node.child(index) for index in range(len(node.value))] if isinstance(node.value, list) else [node]
    if target.type is QuestionType.SCALE:
        low, high = target.scale_min, target.scale_max
        return tuple(entry.expect(int, minimum=low, maximum=high) for entry in entries)
    if target.type is QuestionType.YESNO:
        return tuple(entry.expect(bool) for entry in entries)
    option_ids = tuple(option.id for option in target.options)
    return tuple(entry.expect(str, choices=option_ids) for entry in entries)
