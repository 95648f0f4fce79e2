"""The answering state machine: how one member moves through a flow. Pure: no database, no Telegram.

A member's `Progress` in a round is where they are (a question, the review screen, or submitted), the draft answers so
far, whether they are writing a text answer (`composing`: every message they send belongs to the current text
question, appended, until they press Next), the pending selection of a multi-choice question and the group's round
number (rotation: a question with `every: n` is asked only in some rounds). `apply(flow, progress, action)` returns
the next progress or a `Rejection` saying why the action does not fit (a required question skipped, a text over the
limit, a value that was never offered). Only visible questions are ever reached — rotation and `show_if` are evaluated
on the current answers, so forward moves and Back both step over hidden questions, an edit that reveals new questions
asks them before the review, and answers to questions that became hidden are dropped at submit.

Callback data is parsed into actions here too, so a forged or stale button is refused before it reaches storage:
`step_token(progress)` names the screen a button belongs to, and a press whose token differs from the member's
current one is stale.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from checkins.config.flows import Flow, Question, QuestionType

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
    ON_REVIEW = "on_review"
    INVALID = "invalid"


@dataclass(frozen=True)
class Progress:
    status: Status
    cursor: int
    answers: Mapping[str, Any | None]
    round_number: int
    editing_one: bool = False
    multi_selection: tuple[int, ...] = ()
    # Answers their author keeps "only for me": shown back to them, never in the digest.
    private: frozenset[str] = frozenset()
    # Shared answers their author lets the supervisor reply to anonymously (off unless chosen at review).
    reply_ok: frozenset[str] = frozenset()
    # Writing the current text question: a message adds to its answer until Next.
    composing: bool = False

    @classmethod
    def start(cls, flow: Flow, round_number: int) -> Progress:
        """At the first question this round shows (flows are validated to always show at least one)."""
        first = flow.visible_indexes(round_number, {})[0]
        return enter_question(flow, cls(Status.ANSWERING, first, {}, round_number))

    def at(self, status: Status, cursor: int, *, editing_one: bool = False) -> Progress:
        """The same answers and round at another place; a pending multi selection does not travel."""
        return Progress(
            status, cursor, self.answers, self.round_number, editing_one, private=self.private, reply_ok=self.reply_ok
        )


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
class Next:
    """Under the echo of a text answer: the answer is complete, go on."""


@dataclass(frozen=True)
class Submit:
    pass


@dataclass(frozen=True)
class ShowReview:
    """From one of the review screen's lists (edit, only for me, allow a reply, what was removed): back to it."""


@dataclass(frozen=True)
class ShowEditList:
    pass


@dataclass(frozen=True)
class EditQuestion:
    index: int


@dataclass(frozen=True)
class ShowPrivacyList:
    """On the review screen: list the answers with a switch for "only for me"."""


@dataclass(frozen=True)
class TogglePrivate:
    index: int


@dataclass(frozen=True)
class ShowFound:
    """On the review screen: list what redaction removed, with a button to put back each name it guessed."""


@dataclass(frozen=True)
class PutBack:
    """Put back the `index`-th word of that list (see `checkins.rounds.review`)."""

    index: int


@dataclass(frozen=True)
class ShowReplyList:
    """On the review screen: list the shared text answers with a switch for "my supervisor may reply"."""


@dataclass(frozen=True)
class ToggleReply:
    index: int


@dataclass(frozen=True)
class Reopen:
    """After submitting: bring the answers back to the review screen to change them."""


Action = (
    Choose
    | Toggle
    | Done
    | Skip
    | Back
    | WriteText
    | Next
    | Submit
    | ShowReview
    | ShowEditList
    | EditQuestion
    | Reopen
    | ShowPrivacyList
    | TogglePrivate
    | ShowReplyList
    | ToggleReply
    | ShowFound
    | PutBack
)

_CODES: dict[str, type] = {
    "v": Choose,
    "t": Toggle,
    "i": EditQuestion,
    "p": TogglePrivate,
    "a": ToggleReply,
    "f": PutBack,
}
_PLAIN: dict[str, Action] = {
    "d": Done(),
    "k": Skip(),
    "b": Back(),
    "n": Next(),
    "S": Submit(),
    "V": ShowReview(),
    "E": ShowEditList(),
    "R": Reopen(),
    "P": ShowPrivacyList(),
    "A": ShowReplyList(),
    "F": ShowFound(),
}


def encode_action(action: Action) -> str:
    if isinstance(action, Choose):
        return f"v{action.value}"
    if isinstance(action, Toggle):
        return f"t{action.option_index}"
    if isinstance(action, EditQuestion):
        return f"i{action.index}"
    if isinstance(action, TogglePrivate):
        return f"p{action.index}"
    if isinstance(action, ToggleReply):
        return f"a{action.index}"
    if isinstance(action, PutBack):
        return f"f{action.index}"
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
        return f"q{progress.cursor}{'e' if progress.editing_one else ''}{'c' if progress.composing else ''}"
    return "r" if progress.status is Status.REVIEW else "s"


def current_question(flow: Flow, progress: Progress) -> Question | None:
    if progress.status is not Status.ANSWERING:
        return None
    return flow.questions[progress.cursor]


def visible_questions(flow: Flow, progress: Progress) -> tuple[int, ...]:
    """Indexes of the questions this member sees now, given the round and their answers so far."""
    return flow.visible_indexes(progress.round_number, progress.answers)


def question_position(flow: Flow, progress: Progress) -> tuple[int, int]:
    """(number, at most left) for the "Question 2 · at most 4 to go" marker.

    The number counts the visible questions up to this one. What is left counts every later question this member
    can still be asked: one whose `show_if` depends on an answer not given yet counts, one already ruled out by an
    earlier answer does not. Moving forward can only shrink it, so the member never sees the count grow.
    """
    visible = visible_questions(flow, progress)
    number = sum(1 for index in visible if index < progress.cursor) + 1
    decided: dict[str, Any] = {}
    undecided: set[str] = set()
    left = 0
    for index, question in enumerate(flow.questions):
        if not question.asked_in(progress.round_number):
            continue
        if index < progress.cursor:
            shown = index in visible
            decided[question.id] = progress.answers.get(question.id) if shown else None
            continue
        condition = question.show_if
        possible = (
            index == progress.cursor
            or condition is None
            or condition.question_id in undecided
            or condition.holds(decided)
        )
        if not possible:
            decided[question.id] = None
            continue
        undecided.add(question.id)
        left += index > progress.cursor
    return number, left


def has_previous(flow: Flow, progress: Progress) -> bool:
    """Whether Back leads somewhere from this question."""
    return progress.editing_one or any(index < progress.cursor for index in visible_questions(flow, progress))


def visible_answers(flow: Flow, progress: Progress) -> dict[str, Any | None]:
    """The answers that count: one per visible question (None when skipped), none for hidden questions."""
    return {
        flow.questions[index].id: progress.answers.get(flow.questions[index].id)
        for index in visible_questions(flow, progress)
    }


def _review(flow: Flow, progress: Progress) -> Progress:
    return progress.at(Status.REVIEW, len(flow.questions))


def _advance(flow: Flow, progress: Progress) -> Progress:
    later = [index for index in visible_questions(flow, progress) if index > progress.cursor]
    if progress.editing_one:
        # An edit can reveal questions that were hidden until now: ask those before returning to the review.
        unseen = [index for index in later if flow.questions[index].id not in progress.answers]
        return progress.at(Status.ANSWERING, unseen[0], editing_one=True) if unseen else _review(flow, progress)
    return progress.at(Status.ANSWERING, later[0]) if later else _review(flow, progress)


def _record(flow: Flow, progress: Progress, question: Question, value: Any | None) -> Progress:
    answered = replace(progress, answers={**progress.answers, question.id: value})
    return _advance(flow, answered)


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
        if not action.text.strip(INVISIBLE):
            return Rejection.EMPTY
        earlier = progress.answers.get(question.id)
        parts = [earlier, action.text] if progress.composing and isinstance(earlier, str) else [action.text]
        joined = join_parts(question, parts)
        if isinstance(joined, Rejection):
            return joined
        return replace(progress, answers={**progress.answers, question.id: joined}, composing=True)
    if isinstance(action, Next):
        if not progress.composing or progress.answers.get(question.id) is None:
            return Rejection.INVALID
        return _advance(flow, progress)
    if isinstance(action, Back):
        if progress.editing_one:
            return _review(flow, progress)
        earlier = [index for index in visible_questions(flow, progress) if index < progress.cursor]
        if not earlier:
            return Rejection.INVALID
        return enter_question(flow, progress.at(Status.ANSWERING, earlier[-1]))
    return Rejection.INVALID


def join_parts(question: Question, parts: list[str]) -> str | Rejection:
    """A text answer written as several messages: joined line by line, within the question's limit."""
    texts = [part.strip() for part in parts if part.strip(INVISIBLE)]
    if not texts:
        return Rejection.EMPTY
    joined = "\n".join(texts)
    return Rejection.TOO_LONG if len(joined) > question.max_length else joined


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
        visible = visible_questions(flow, progress)
        if isinstance(action, Submit):
            answers = visible_answers(flow, progress)
            missing = [q for q in flow.questions if q.required and q.id in answers and answers[q.id] is None]
            if missing:
                return Rejection.REQUIRED
            private = frozenset(progress.private & answers.keys())
            reply_ok = frozenset(q for q in progress.reply_ok - private if answers.get(q) is not None)
            return Progress(
                Status.SUBMITTED,
                len(flow.questions),
                answers,
                progress.round_number,
                private=private,
                reply_ok=reply_ok,
            )
        if isinstance(action, ShowEditList | ShowPrivacyList | ShowReplyList | ShowReview | ShowFound | PutBack):
            # The lists are variants of the review screen, drawn by the caller; putting a word back changes what
            # the caller stores beside the answers, not the answers.
            return progress
        if isinstance(action, Back):
            return enter_question(flow, progress.at(Status.ANSWERING, visible[-1]))
        if isinstance(action, EditQuestion) and action.index in visible:
            return enter_question(flow, progress.at(Status.ANSWERING, action.index, editing_one=True))
        if isinstance(action, TogglePrivate) and action.index in visible:
            question_id = flow.questions[action.index].id
            if progress.answers.get(question_id) is None:
                return Rejection.INVALID
            return replace(progress, private=progress.private ^ {question_id})
        if isinstance(action, ToggleReply) and action.index in visible:
            question = flow.questions[action.index]
            if question.type is not QuestionType.TEXT or not isinstance(progress.answers.get(question.id), str):
                return Rejection.INVALID
            return replace(progress, reply_ok=progress.reply_ok ^ {question.id})
        if isinstance(action, WriteText):
            return Rejection.ON_REVIEW
        return Rejection.INVALID
    if isinstance(action, Reopen):
        return _review(flow, progress)
    return Rejection.INVALID
