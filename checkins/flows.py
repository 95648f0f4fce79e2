"""Check-in flows: the typed, frozen model of a question sequence and its loader from YAML flow files.

A flow file (e.g. flows/pre_session.yaml) lists the questions of one check-in with their texts in fi/sv/en.
`load_flow` / `load_flows` validate everything once — ids, types, ranges, options, languages — and report the
first problem as a `ConfigError` with file, line and key path; code downstream trusts the `Flow` it gets.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from types import MappingProxyType

from checkins.yamlsource import ConfigError, Node, TextFormat, load_yaml, reject_duplicates

LANGUAGES = ("fi", "sv", "en")
MAX_QUESTIONS = 20
MIN_OPTIONS, MAX_OPTIONS = 2, 12
DEFAULT_MAX_LENGTH = 1500
# Telegram caps a message at 4096 characters; the rest is room for quoting the answer back with a label.
MAX_TEXT_LENGTH = 3500
MAX_SCALE_SPAN = 10

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
    # A scale asked once per goal of the group (config.yaml `goals:`); see checkins/goals.py.
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

    def question(self, question_id: str) -> Question:
        return self.questions[self.index_of(question_id)]

    def index_of(self, question_id: str) -> int:
        try:
            return self._positions[question_id]
        except KeyError:
            raise KeyError(f"flow {self.id!r} has no question {question_id!r}") from None


# --- loading ------------------------------------------------------------------------------------------------

_FLOW_KEYS = ("id", "default_language", "title", "intro", "privacy_reminder", "questions")
_COMMON_QUESTION_KEYS = ("id", "type", "text", "help", "required")
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
    title = local_text(root.required("title"), language)
    intro = local_text(root.required("intro"), language)
    privacy_reminder = root.get("privacy_reminder", bool, True)
    question_nodes = root.items("questions", min_items=1, max_items=MAX_QUESTIONS)
    questions = tuple(_question(node, language) for node in question_nodes)
    reject_duplicates(question_nodes, "id", "question id")
    return Flow(flow_id, language, title, intro, questions, path, privacy_reminder)


def _question(node: Node, language: str) -> Question:
    node.reject_unknown_keys((*_COMMON_QUESTION_KEYS, *_TYPE_SPECIFIC_KEYS))
    question_id = node.require("id", str, text_format=ID_FORMAT)
    question_type = QuestionType(node.require("type", str, choices=tuple(QuestionType)))
    for key in node.key_names():
        _reject_key_of_other_type(node, key, question_type)
    help_node = node.optional("help")
    base = Question(
        id=question_id,
        type=question_type,
        text=local_text(node.required("text"), language),
        help=None if help_node is None else local_text(help_node, language),
        required=node.get("required", bool, False),
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
        min_label=None if min_label is None else local_text(min_label, language),
        max_label=None if max_label is None else local_text(max_label, language),
    )


def _options(node: Node, language: str) -> tuple[Option, ...]:
    option_nodes = node.items("options", min_items=MIN_OPTIONS, max_items=MAX_OPTIONS)
    options = []
    for option_node in option_nodes:
        option_node.reject_unknown_keys(("id", "label", "proctor"))
        option_id = option_node.require("id", str, text_format=ID_FORMAT)
        label = local_text(option_node.required("label"), language)
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


def local_text(node: Node, default_language: str) -> LocalText:
    """A plain string (the default language only) or a {fi: …, sv: …, en: …} mapping."""
    if isinstance(node.value, str):
        return LocalText({default_language: node.expect(str)}, default_language)
    if not isinstance(node.value, dict):
        raise node.error(f"must be text or one text per language, like {{fi: …, sv: …}} (got {node.shown})")
    node.reject_unknown_keys(LANGUAGES, what="language")
    values = {language: node.require(language, str) for language in node.key_names()}
    if default_language not in values:
        raise node.error(f"missing the '{default_language}' text (this file's default_language)")
    return LocalText(values, default_language)
