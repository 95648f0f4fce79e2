"""What a member sees while answering: the question, review and confirmation screens, as plain data.

A `Screen` is Telegram-flavoured HTML text plus an inline keyboard of `Button`s (label and callback data); the edge
turns it into a Telegram message without deciding anything. Every user-supplied or flow-supplied string is escaped
here. Callback data is `<round id>:<step token>:<action code>` — well under Telegram's 64 bytes — and means nothing
without the server-side state it is checked against.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from html import escape
from typing import Any

from checkins.answering import (
    Action,
    Back,
    Choose,
    Done,
    EditQuestion,
    Progress,
    Reopen,
    ShowEditList,
    ShowPrivacyList,
    Skip,
    Submit,
    Toggle,
    TogglePrivate,
    encode_action,
    step_token,
)
from checkins.flows import Flow, Question, QuestionType
from checkins.i18n import Catalog


@dataclass(frozen=True)
class Button:
    text: str
    data: str


Keyboard = tuple[tuple[Button, ...], ...]


@dataclass(frozen=True)
class Screen:
    text: str
    keyboard: Keyboard = ()


def callback_data(round_id: str, progress: Progress, action: Action) -> str:
    return f"{round_id}:{step_token(progress)}:{encode_action(action)}"


def display_value(question: Question, value: Any | None, catalog: Catalog) -> str:
    """An answer as its author reads it back, escaped for HTML."""
    if value is None:
        skipped = catalog.gettext("(skipped)")
        return f"<i>{escape(skipped)}</i>"
    if question.type is QuestionType.SCALE:
        return f"{value}/{question.scale_max}"
    if question.type is QuestionType.YESNO:
        return escape(catalog.gettext("Yes") if value else catalog.gettext("No"))
    labels = {option.id: option.label.get(catalog.language) for option in question.options}
    if question.type is QuestionType.CHOICE:
        return escape(labels.get(value, str(value)))
    if question.type is QuestionType.MULTI:
        return escape(", ".join(labels.get(option_id, option_id) for option_id in value))
    return escape(str(value))


def _question_lines(flow: Flow, question: Question, progress: Progress, catalog: Catalog) -> list[str]:
    language = catalog.language
    marker = catalog.gettext("Question {index}/{total}").format(index=progress.cursor + 1, total=len(flow.questions))
    lines = [f"<i>{escape(marker)}</i>", f"<b>{escape(question.text.get(language))}</b>"]
    if question.help is not None:
        lines.append(escape(question.help.get(language)))
    if question.type is QuestionType.SCALE:
        ends = []
        if question.min_label is not None:
            ends.append(f"{question.scale_min} = {escape(question.min_label.get(language))}")
        if question.max_label is not None:
            ends.append(f"{question.scale_max} = {escape(question.max_label.get(language))}")
        if ends:
            lines.append(" … ".join(ends))
    elif question.type is QuestionType.TEXT:
        lines.append(escape(catalog.gettext("Write your answer as a message.")))
        if flow.privacy_reminder:
            reminder = catalog.gettext("Do not include names or identifying details of clients or patients.")
            lines.append(f"<i>{escape(reminder)}</i>")
    elif question.type is QuestionType.MULTI:
        lines.append(escape(catalog.gettext("Choose all that apply, then press Done.")))
    earlier = progress.answers.get(question.id)
    if earlier is not None and question.type is QuestionType.TEXT:
        lines.append(
            escape(catalog.gettext("Your earlier answer: {answer}").format(answer=str(earlier)))
            + "\n"
            + escape(catalog.gettext("Send a new message to replace it."))
        )
    return lines


def question_screen(flow: Flow, round_id: str, progress: Progress, catalog: Catalog) -> Screen:
    question = flow.questions[progress.cursor]
    lines = _question_lines(flow, question, progress, catalog)

    def button(text: str, action: Action) -> Button:
        return Button(text, callback_data(round_id, progress, action))

    rows: list[tuple[Button, ...]] = []
    earlier = progress.answers.get(question.id)
    if question.type is QuestionType.SCALE:
        rows.append(
            tuple(
                button(f"·{value}·" if value == earlier else str(value), Choose(value))
                for value in range(question.scale_min, question.scale_max + 1)
            )
        )
    elif question.type is QuestionType.YESNO:
        rows.append((button(catalog.gettext("Yes"), Choose(1)), button(catalog.gettext("No"), Choose(0))))
    elif question.type is QuestionType.CHOICE:
        rows.extend(
            (button(option.label.get(catalog.language), Choose(index)),)
            for index, option in enumerate(question.options)
        )
    elif question.type is QuestionType.MULTI:
        rows.extend(
            (
                button(
                    ("☑ " if index in progress.multi_selection else "☐ ") + option.label.get(catalog.language),
                    Toggle(index),
                ),
            )
            for index, option in enumerate(question.options)
        )
        rows.append((button(catalog.gettext("Done"), Done()),))
    navigation: list[Button] = []
    if progress.cursor > 0 or progress.editing_one:
        navigation.append(button("← " + catalog.gettext("Back"), Back()))
    if not question.required:
        navigation.append(button(catalog.gettext("Skip") + " →", Skip()))
    if navigation:
        rows.append(tuple(navigation))
    return Screen("\n\n".join(lines), tuple(rows))


def answered_text(flow: Flow, question: Question, index: int, value: Any | None, catalog: Catalog) -> str:
    """The question's message once it is answered: the chosen answer instead of live buttons."""
    marker = catalog.gettext("Question {index}/{total}").format(index=index + 1, total=len(flow.questions))
    return (
        f"<i>{escape(marker)}</i>\n{escape(question.text.get(catalog.language))}\n"
        f"→ <b>{display_value(question, value, catalog)}</b>"
    )


class ReviewMode(StrEnum):
    PLAIN = "plain"
    EDIT = "edit"
    PRIVACY = "privacy"


def _answers_list(flow: Flow, progress: Progress, catalog: Catalog, preview: Mapping[str, str] | None = None) -> str:
    """Each question with its answer; private ones marked, and where scrubbing changes a text, what the
    supervisor will see instead."""
    only_for_me = escape(catalog.gettext("only for you"))
    supervisor_sees = escape(catalog.gettext("your supervisor sees:"))
    lines = []
    for index, question in enumerate(flow.questions, start=1):
        value = progress.answers.get(question.id)
        line = f"{index}. {escape(question.text.get(catalog.language))}\n→ {display_value(question, value, catalog)}"
        if question.id in progress.private and value is not None:
            line += f"\n🔒 <i>{only_for_me}</i>"
        elif preview and question.id in preview:
            line += f"\n<i>{supervisor_sees}</i> {escape(preview[question.id])}"
        lines.append(line)
    return "\n\n".join(lines)


def review_screen(
    flow: Flow,
    round_id: str,
    progress: Progress,
    catalog: Catalog,
    *,
    mode: ReviewMode = ReviewMode.PLAIN,
    preview: Mapping[str, str] | None = None,
) -> Screen:
    """The answers before Submit, exactly as the supervisor will get them (scrubbed, private ones left out)."""
    header = _your_answers_header(catalog)
    note = escape(
        catalog.gettext("Nothing is sent until you press Submit. Answers marked 🔒 stay with you and are not sent.")
    )
    text = f"{header}\n\n{_answers_list(flow, progress, catalog, preview)}\n\n{note}"

    def button(label: str, action: Action) -> Button:
        return Button(label, callback_data(round_id, progress, action))

    submit_row = (button("✓ " + catalog.gettext("Submit"), Submit()),)
    if mode is ReviewMode.EDIT:
        text += "\n\n" + escape(catalog.gettext("Which answer would you like to change?"))
        rows = [
            (button(f"{index + 1}. {question.text.get(catalog.language)}"[:60], EditQuestion(index)),)
            for index, question in enumerate(flow.questions)
        ]
        return Screen(text, (*rows, submit_row))
    if mode is ReviewMode.PRIVACY:
        text += "\n\n" + escape(catalog.gettext("Tap an answer to keep it only for you (🔒) or to share it again."))
        rows = [
            (
                button(
                    ("🔒 " if question.id in progress.private else "👁 ")
                    + f"{index + 1}. {question.text.get(catalog.language)}"[:58],
                    TogglePrivate(index),
                ),
            )
            for index, question in enumerate(flow.questions)
            if progress.answers.get(question.id) is not None
        ]
        return Screen(text, (*rows, submit_row))
    return Screen(
        text,
        (
            submit_row,
            (
                button("✎ " + catalog.gettext("Edit"), ShowEditList()),
                button("🔒 " + catalog.gettext("Only for me"), ShowPrivacyList()),
            ),
        ),
    )


def submitted_screen(round_id: str, progress: Progress, catalog: Catalog) -> Screen:
    text = escape(catalog.gettext("Thank you! Your answers are submitted. You can change them until the round closes."))
    return Screen(text, ((Button(catalog.gettext("Change my answers"), callback_data(round_id, progress, Reopen())),),))


def review_summary_text(flow: Flow, progress: Progress, catalog: Catalog) -> str:
    """The member's own record of their answers (the review screen without buttons), private ones included."""
    return f"{_your_answers_header(catalog)}\n\n{_answers_list(flow, progress, catalog)}"


def _your_answers_header(catalog: Catalog) -> str:
    title = catalog.gettext("Your answers")
    return f"<b>{escape(title)}</b>"
