"""What a member sees while answering: the question, review and confirmation screens, as plain data.

A `Screen` is Telegram-flavoured HTML text plus an inline keyboard of `Button`s (label and callback data); the edge
turns it into a Telegram message without deciding anything. Every user-supplied or flow-supplied string is escaped
here. Callback data is `<round id>:<step token>:<action code>` — well under Telegram's 64 bytes — and means nothing
without the server-side state it is checked against. Screens are laid out for a phone: a scale on one row with its
end labels in the text, short options side by side and long ones one per row, and no answering screen longer than
`SCREEN_CHARS` (quoted answers and the review are shortened to fit; the stored answers are not).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum
from html import escape
from typing import Any

from checkins.config.flows import Flow, Question, QuestionType
from checkins.i18n import N_, Catalog
from checkins.messages import QUOTE_CHARS, Button, Screen, display_value, shorten
from checkins.rounds.answering import (
    Action,
    Back,
    Choose,
    Done,
    EditQuestion,
    Next,
    Progress,
    Rejection,
    Reopen,
    ShowEditList,
    ShowFound,
    ShowPrivacyList,
    ShowReplyList,
    ShowReview,
    Skip,
    Status,
    Submit,
    Toggle,
    TogglePrivate,
    ToggleReply,
    encode_action,
    has_previous,
    question_position,
    step_token,
    visible_questions,
)

# About one phone screen of text; flow texts are limited in checkins/config/flows.py so a question screen fits.
SCREEN_CHARS = 1500
# The review shares this among the listed answers; a text answer quoted back on its own gets this much.
REVIEW_LIST_CHARS = 1150
REVIEW_QUESTION_CHARS = 80
# The line that keeps an answered question above the next one: short, so the new question stays in view.
ANSWERED_QUESTION_CHARS = 60
ANSWERED_VALUE_CHARS = 80
# A button label wider than this is cut by Telegram on a phone.
EDIT_BUTTON_CHARS = 56
# A scale with more points than this is split over two rows; choices this short may share one row.
SCALE_ROW_POINTS = 7
SHORT_OPTION_CHARS = 14
SHORT_OPTIONS_PER_ROW = 3

_REJECTION_TEXTS = {
    Rejection.REQUIRED: N_("This question needs an answer."),
    Rejection.TOO_LONG: N_(
        "That message would make your answer longer than this question allows ({limit} characters), so I did not "
        "add it. What you wrote before is kept; please send a shorter message or press Next."
    ),
    Rejection.EMPTY: N_("Please write your answer as text."),
    Rejection.NEEDS_TEXT: N_("Please write your answer as a message."),
    Rejection.NEEDS_BUTTON: N_("Please answer with the buttons."),
    Rejection.ON_REVIEW: N_(
        "I did not save that message: your answers are in the review above. To add to an answer, press Edit there."
    ),
    Rejection.INVALID: N_("This button is not valid."),
}


def callback_data(round_id: str, progress: Progress, action: Action) -> str:
    return f"{round_id}:{step_token(progress)}:{encode_action(action)}"


def rejection_text(rejection: Rejection, flow: Flow, progress: Progress, catalog: Catalog) -> str:
    """Why an answer or a press was refused, in the member's language."""
    limit = flow.questions[progress.cursor].max_length if progress.status is Status.ANSWERING else 0
    return catalog.gettext(_REJECTION_TEXTS[rejection]).format(limit=limit)


def _marker(flow: Flow, progress: Progress, catalog: Catalog) -> str:
    number, left = question_position(flow, progress)
    if progress.editing_one:
        marker = catalog.gettext("Question {index}").format(index=number)
    elif left:
        marker = catalog.gettext("Question {index} · at most {left} to go").format(index=number, left=left)
    else:
        marker = catalog.gettext("Question {index} · the last one").format(index=number)
    return f"<i>{escape(marker)}</i>"


def _question_lines(flow: Flow, question: Question, progress: Progress, catalog: Catalog) -> list[str]:
    language = catalog.language
    lines = [_marker(flow, progress, catalog), f"<b>{escape(question.text.get(language))}</b>"]
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
        lines.append(
            escape(
                catalog.gettext(
                    "Write your answer as one message or several (up to {limit} characters in all), then press Next."
                ).format(limit=question.max_length)
            )
        )
        if flow.privacy_reminder:
            reminder = catalog.gettext("Do not include names or identifying details of clients or patients.")
            lines.append(f"<i>{escape(reminder)}</i>")
    elif question.type is QuestionType.MULTI:
        lines.append(escape(catalog.gettext("Choose all that apply, then press Done.")))
    earlier = progress.answers.get(question.id)
    if earlier is not None and question.type is QuestionType.TEXT:
        lines.append(
            escape(catalog.gettext("Your earlier answer: {answer}").format(answer=shorten(str(earlier), QUOTE_CHARS)))
            + "\n"
            + escape(catalog.gettext("Send a new message to replace it."))
        )
    return lines


def _rows(buttons: list[Button], per_row: int) -> list[tuple[Button, ...]]:
    return [tuple(buttons[start : start + per_row]) for start in range(0, len(buttons), per_row)]


def question_screen(flow: Flow, round_id: str, progress: Progress, catalog: Catalog) -> Screen:
    question = flow.questions[progress.cursor]
    lines = _question_lines(flow, question, progress, catalog)

    def button(text: str, action: Action) -> Button:
        return Button(text, callback_data(round_id, progress, action))

    rows: list[tuple[Button, ...]] = []
    earlier = progress.answers.get(question.id)
    if question.type is QuestionType.SCALE:
        points = [
            button(f"·{value}·" if value == earlier else str(value), Choose(value))
            for value in range(question.scale_min, question.scale_max + 1)
        ]
        # One row on a phone up to about seven points; a wider scale takes two even rows.
        rows.extend(_rows(points, len(points) if len(points) <= SCALE_ROW_POINTS else (len(points) + 1) // 2))
    elif question.type is QuestionType.YESNO:
        rows.append((button(catalog.gettext("Yes"), Choose(1)), button(catalog.gettext("No"), Choose(0))))
    elif question.type is QuestionType.CHOICE:
        labels = [option.label.get(catalog.language) for option in question.options]
        choices = [button(label, Choose(index)) for index, label in enumerate(labels)]
        short = len(labels) <= SHORT_OPTIONS_PER_ROW and all(len(label) <= SHORT_OPTION_CHARS for label in labels)
        rows.extend(_rows(choices, len(choices) if short else 1))
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
    if has_previous(flow, progress):
        navigation.append(button("← " + catalog.gettext("Back"), Back()))
    if not question.required:
        navigation.append(button(catalog.gettext("Skip") + " →", Skip()))
    if navigation:
        rows.append(tuple(navigation))
    return Screen("\n\n".join(lines), tuple(rows))


# Past this share of the limit, the echo says how much room is left, so the member hears of the limit before it.
ROOM_WARNING_SHARE = 0.75


def composing_screen(flow: Flow, round_id: str, progress: Progress, catalog: Catalog, *, live: bool = True) -> Screen:
    """The echo of a text answer being written: what the member wrote so far, with Next under it (`live`), or the
    same text without buttons once a newer echo replaced it."""
    question = flow.questions[progress.cursor]
    answer = str(progress.answers.get(question.id) or "")
    lines = [
        _marker(flow, progress, catalog),
        escape(catalog.gettext("Your answer so far:")) + "\n" + f"<b>{escape(shorten(answer, REVIEW_LIST_CHARS))}</b>",
    ]
    if not live:
        return Screen("\n\n".join(lines))
    lines.append(escape(catalog.gettext("Send another message to add to it, or press Next when you are done.")))
    room = question.max_length - len(answer)
    if len(answer) >= question.max_length * ROOM_WARNING_SHARE:
        lines.append(
            "<i>"
            + escape(catalog.gettext("Room for about {room} more characters in this answer.").format(room=room))
            + "</i>"
        )

    def button(text: str, action: Action) -> Button:
        return Button(text, callback_data(round_id, progress, action))

    row = [button(catalog.gettext("Next") + " →", Next())]
    if has_previous(flow, progress):
        row.insert(0, button("← " + catalog.gettext("Back"), Back()))
    return Screen("\n\n".join(lines), (tuple(row),))


def not_saved_screen(flow: Flow, round_id: str, progress: Progress, text: str, catalog: Catalog) -> Screen:
    """The current button question shown again, after a message typed where buttons were expected: it says that
    the words were not saved and reached nobody, so nothing is lost without the member knowing."""
    notice = catalog.gettext(
        "I did not save your message “{text}”: this question is answered with the buttons, so here it is again. "
        "Your message was not sent to anyone."
    ).format(text=shorten(text, QUOTE_CHARS))
    screen = question_screen(flow, round_id, progress, catalog)
    return Screen(f"<i>{escape(notice)}</i>\n\n{screen.text}", screen.keyboard)


def answered_line(flow: Flow, progress: Progress, value: Any | None, catalog: Catalog) -> str:
    """One line for the question `progress` is on, once answered ("✓ Energy? → 4/5"): the message that asked it
    becomes the next question under this line, so the chat keeps what was answered without a message per answer."""
    question = flow.questions[progress.cursor]
    text = escape(shorten(question.text.get(catalog.language), ANSWERED_QUESTION_CHARS))
    return f"✓ {text} → <b>{display_value(question, value, catalog, limit=ANSWERED_VALUE_CHARS)}</b>"


def after_answer(line: str, screen: Screen) -> Screen:
    """The next screen with the answered question's line above it (see `answered_line`), unless that would make it
    longer than one screen."""
    text = f"{line}\n\n{screen.text}"
    return Screen(text, screen.keyboard) if len(text) <= SCREEN_CHARS else screen


class ReviewMode(StrEnum):
    PLAIN = "plain"
    EDIT = "edit"
    PRIVACY = "privacy"
    REPLY = "reply"


def _answers_list(flow: Flow, progress: Progress, catalog: Catalog, preview: Mapping[str, str] | None = None) -> str:
    """The visible questions with their answers, numbered as the member saw them and shortened to fit a screen;
    private ones marked, and where scrubbing changes a text, what the supervisor will see instead."""
    visible = visible_questions(flow, progress)
    share = REVIEW_LIST_CHARS // max(1, len(visible))
    question_chars = min(REVIEW_QUESTION_CHARS, share // 2)
    value_chars = max(20, share - question_chars)
    only_for_me = escape(catalog.gettext("only for you"))
    supervisor_sees = escape(catalog.gettext("your supervisor sees:"))
    may_reply = escape(catalog.gettext("your supervisor may reply without learning who you are"))
    lines = []
    for number, index in enumerate(visible, start=1):
        question = flow.questions[index]
        value = progress.answers.get(question.id)
        text = escape(shorten(question.text.get(catalog.language), question_chars))
        line = f"{number}. {text}\n→ {display_value(question, value, catalog, limit=value_chars)}"
        if question.id in progress.private and value is not None:
            line += f"\n🔒 <i>{only_for_me}</i>"
        elif preview and question.id in preview:
            line += f"\n<i>{supervisor_sees}</i> {escape(shorten(preview[question.id], value_chars))}"
        if question.id in progress.reply_ok and question.id not in progress.private and value is not None:
            line += f"\n↩ <i>{may_reply}</i>"
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
    removed: Sequence[str] = (),
) -> Screen:
    """The answers before Submit, exactly as the supervisor will get them (scrubbed, private ones left out), and
    `removed`: the lines saying what scrubbing took (HTML, see `review.removed_lines`)."""
    header = _your_answers_header(catalog)
    note = escape(
        catalog.gettext("Nothing is sent until you press Submit. Answers marked 🔒 stay with you and are not sent.")
    )
    text = f"{header}\n\n{_answers_list(flow, progress, catalog, preview)}\n\n{note}"
    if removed:
        text += "\n\n<i>" + "\n".join(removed) + "</i>"

    def button(label: str, action: Action) -> Button:
        return Button(label, callback_data(round_id, progress, action))

    submit_row = (button("✓ " + catalog.gettext("Submit"), Submit()),)
    back_row = (button("← " + catalog.gettext("Back to review"), ShowReview()),)
    if mode is ReviewMode.EDIT:
        text += "\n\n" + escape(catalog.gettext("Which answer would you like to change?"))
        rows = [
            (
                button(
                    f"{number}. {shorten(flow.questions[index].text.get(catalog.language), EDIT_BUTTON_CHARS)}",
                    EditQuestion(index),
                ),
            )
            for number, index in enumerate(visible_questions(flow, progress), start=1)
        ]
        return Screen(text, (*rows, back_row, submit_row))
    if mode is ReviewMode.PRIVACY:
        text += "\n\n" + escape(catalog.gettext("Tap an answer to keep it only for you (🔒) or to share it again."))
        rows = [
            (
                button(
                    ("🔒 " if flow.questions[index].id in progress.private else "👁 ")
                    + f"{number}. {shorten(flow.questions[index].text.get(catalog.language), EDIT_BUTTON_CHARS)}",
                    TogglePrivate(index),
                ),
            )
            for number, index in enumerate(visible_questions(flow, progress), start=1)
            if progress.answers.get(flow.questions[index].id) is not None
        ]
        return Screen(text, (*rows, back_row, submit_row))
    replyable = _replyable(flow, progress)
    if mode is ReviewMode.REPLY:
        text += "\n\n" + escape(
            catalog.gettext(
                "Tap a written answer to let your supervisor reply to it anonymously (↩). Off by default: an answer "
                "nobody may reply to is linked to no one from the moment the round closes."
            )
        )
        rows = [
            (
                button(
                    ("↩ " if flow.questions[index].id in progress.reply_ok else "✕ ")
                    + f"{number}. {shorten(flow.questions[index].text.get(catalog.language), EDIT_BUTTON_CHARS)}",
                    ToggleReply(index),
                ),
            )
            for number, index in enumerate(visible_questions(flow, progress), start=1)
            if index in replyable
        ]
        return Screen(text, (*rows, back_row, submit_row))
    rows = [
        submit_row,
        (
            button("✎ " + catalog.gettext("Edit"), ShowEditList()),
            button("🔒 " + catalog.gettext("Only for me"), ShowPrivacyList()),
        ),
    ]
    if replyable:
        rows.append((button("↩ " + catalog.gettext("Allow a reply"), ShowReplyList()),))
    if removed:
        rows.append((button("🔍 " + catalog.gettext("What was removed"), ShowFound()),))
    return Screen(text, tuple(rows))


def _replyable(flow: Flow, progress: Progress) -> frozenset[int]:
    """Positions of the shown written answers that are shared: the ones a supervisor could reply to."""
    return frozenset(
        index
        for index in visible_questions(flow, progress)
        if flow.questions[index].type is QuestionType.TEXT
        and isinstance(progress.answers.get(flow.questions[index].id), str)
        and flow.questions[index].id not in progress.private
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
