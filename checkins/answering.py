"""The answering state machine: how one member moves through a flow. Pure: no database, no Telegram.

A member's `Progress` in a round is where they are (a question, the review screen, or submitted), the draft answers
so far and the pending selection of a multi-choice question. `apply(flow, progress, action)` returns the next
progress or a `Rejection` saying why the action does not fit (a required question skipped, a text over the limit,
a value that was never offered). Callback data is parsed into actions here too, so a forged or stale button is
refused before it reaches storage: `step_token(progress)` names the screen a button belongs to, and a press whose
token differs from the member's current one is stale.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from checkins.flows import Flow, Question, QuestionType

# Zero-width and direction marks: a text made of only these looks empty, so it is not an answer.
INVISIBLE = "\u200b\u200c\u200d\u200e\u200f\u2060\u202a\u202b\u202c\u202d\u202e\ufeff \t\n"


class Status(StrEnum):
    ANSWERING = "answering"
    REVIEW = "review"
    SUBMITTED = "submitted"


class Rejection(StrEnum):
    REQUIRED = "required"
    TOO_LONG = "too_long"
    EMPTY = "empty"
    NEEDS_TEXT = "needs_text"
    NEEDS_BUTTON = "needs_button"
    INVALID = "invalid"


@dataclass(frozen=True)
class Progress:
    status: Status
    cursor: int
    answers: dict[str, Any | None]
    editing_one: bool = False
    multi_selection: tuple[int, ...] = ()

    @classmethod
    def start(cls) -> Progress:
        return cls(Status.ANSWERING, 0, {})


@dataclass(frozen=True)
class Choose:
    """A button with a value: a scale point, a choice's option index, yes (1) or no (0)."""

    value: int


@dataclass(frozen=True)
class Toggle:
    option_index: int


@dataclass(frozen=True)
class Done:
    pass


@dataclass(frozen=True)
class Skip:
    pass


@dataclass(frozen=True)
class Back:
    pass


@dataclass(frozen=True)
class WriteText:
    text: str


@dataclass(frozen=True)
class Submit:
    pass


@dataclass(frozen=True)
class ShowEditList:
    pass


@dataclass(frozen=True)
class EditQuestion:
    index: int


@dataclass(frozen=True)
class Reopen:
    """After submitting: bring the answers back to the review screen to change them."""


Action = Choose | Toggle | Done | Skip | Back | WriteText | Submit | ShowEditList | EditQuestion | Reopen

_CODES: dict[str, type] = {"v": Choose, "t": Toggle, "i": EditQuestion}
_PLAIN: dict[str, Action] = {
    "d": Done(),
    "k": Skip(),
    "b": Back(),
    "S": Submit(),
    "E": ShowEditList(),
    "R": Reopen(),
}


def encode_action(action: Action) -> str:
    if isinstance(action, Choose):
        return f"v{action.value}"
    if isinstance(action, Toggle):
        return f"t{action.option_index}"
    if isinstance(action, EditQuestion):
        return f"i{action.index}"
    for code, plain in _PLAIN.items():
        if plain == action:
            return code
    raise ValueError(f"action {action!r} has no button")


def decode_action(code: str) -> Action | None:
    """Parse the action part of callback data; None for anything we never issued."""
    if code in _PLAIN:
        return _PLAIN[code]
    kind, argument = code[:1], code[1:]
    if kind in _CODES and argument.lstrip("-").isdigit() and len(argument) <= 4:
        return _CODES[kind](int(argument))
    return None


def step_token(progress: Progress) -> str:
    """Names the screen the member is on; buttons carry it so a press on an older screen is recognised."""
    if progress.status is Status.ANSWERING:
        return f"q{progress.cursor}{'e' if progress.editing_one else ''}"
    return "r" if progress.status is Status.REVIEW else "s"


def current_question(flow: Flow, progress: Progress) -> Question | None:
    if progress.status is not Status.ANSWERING:
        return None
    return flow.questions[progress.cursor]


def _advance(flow: Flow, progress: Progress, answers: dict[str, Any | None]) -> Progress:
    if progress.editing_one or progress.cursor + 1 >= len(flow.questions):
        return Progress(Status.REVIEW, len(flow.questions), answers)
    return Progress(Status.ANSWERING, progress.cursor + 1, answers)


def _record(flow: Flow, progress: Progress, question: Question, value: Any | None) -> Progress:
    answers = {**progress.answers, question.id: value}
    return _advance(flow, progress, answers)


def _value_for_choice(question: Question, value: int) -> Any | Rejection:
    if question.type is QuestionType.SCALE:
        return value if question.scale_min <= value <= question.scale_max else Rejection.INVALID
    if question.type is QuestionType.CHOICE:
        return question.options[value].id if 0 <= value < len(question.options) else Rejection.INVALID
    if question.type is QuestionType.YESNO:
        return {0: False, 1: True}.get(value, Rejection.INVALID)
    return Rejection.NEEDS_TEXT if question.type is QuestionType.TEXT else Rejection.INVALID


def _answering(flow: Flow, progress: Progress, action: Action) -> Progress | Rejection:
    question = flow.questions[progress.cursor]
    if isinstance(action, Choose):
        value = _value_for_choice(question, action.value)
        return value if isinstance(value, Rejection) else _record(flow, progress, question, value)
    if isinstance(action, Toggle):
        if question.type is not QuestionType.MULTI or not 0 <= action.option_index < len(question.options):
            return Rejection.INVALID
        selection = set(progress.multi_selection) ^ {action.option_index}
        return replace(progress, multi_selection=tuple(sorted(selection)))
    if isinstance(action, Done):
        if question.type is not QuestionType.MULTI:
            return Rejection.INVALID
        if not progress.multi_selection:
            return Rejection.REQUIRED if question.required else _record(flow, progress, question, None)
        chosen = [question.options[index].id for index in progress.multi_selection]
        return _record(flow, progress, question, chosen)
    if isinstance(action, Skip):
        return Rejection.REQUIRED if question.required else _record(flow, progress, question, None)
    if isinstance(action, WriteText):
        if question.type is not QuestionType.TEXT:
            return Rejection.NEEDS_BUTTON
        text = action.text.strip()
        if not text.strip(INVISIBLE):
            return Rejection.EMPTY
        if len(text) > question.max_length:
            return Rejection.TOO_LONG
        return _record(flow, progress, question, text)
    if isinstance(action, Back):
        if progress.editing_one:
            return Progress(Status.REVIEW, len(flow.questions), progress.answers)
        if progress.cursor == 0:
            return Rejection.INVALID
        return enter_question(flow, Progress(Status.ANSWERING, progress.cursor - 1, progress.answers))
    return Rejection.INVALID


def enter_question(flow: Flow, progress: Progress) -> Progress:
    """Arriving at a multi-choice question pre-selects what the member chose before."""
    question = flow.questions[progress.cursor]
    earlier = progress.answers.get(question.id)
    if question.type is QuestionType.MULTI and isinstance(earlier, list):
        ids = [option.id for option in question.options]
        return replace(progress, multi_selection=tuple(sorted(ids.index(i) for i in earlier if i in ids)))
    return replace(progress, multi_selection=())


def apply(flow: Flow, progress: Progress, action: Action) -> Progress | Rejection:
    """The member's next progress after an action, or why the action was refused."""
    if progress.status is Status.ANSWERING:
        moved = _answering(flow, progress, action)
        if isinstance(moved, Progress) and moved.status is Status.ANSWERING and moved.cursor != progress.cursor:
            return enter_question(flow, moved)
        return moved
    if progress.status is Status.REVIEW:
        if isinstance(action, Submit):
            missing = [q for q in flow.questions if q.required and progress.answers.get(q.id) is None]
            return Rejection.REQUIRED if missing else Progress(Status.SUBMITTED, len(flow.questions), progress.answers)
        if isinstance(action, ShowEditList | Back):
            # The edit list is part of the review screen; Back from review returns to the last question.
            if isinstance(action, ShowEditList):
                return progress
            return enter_question(flow, Progress(Status.ANSWERING, len(flow.questions) - 1, progress.answers))
        if isinstance(action, EditQuestion) and 0 <= action.index < len(flow.questions):
            return enter_question(flow, Progress(Status.ANSWERING, action.index, progress.answers, editing_one=True))
        if isinstance(action, WriteText):
            return Rejection.NEEDS_BUTTON
        return Rejection.INVALID
    if isinstance(action, Reopen):
        return Progress(Status.REVIEW, len(flow.questions), progress.answers)
    return Rejection.INVALID
