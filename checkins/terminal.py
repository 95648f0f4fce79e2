"""`python bot.py try FLOW`: a flow walked through in the terminal exactly as a member meets it in Telegram.

The loop drives the same state machine (checkins/rounds/answering.py) and shows the same screens
(checkins/rounds/screens.py) as the bot: each screen's HTML becomes plain text and its buttons are numbered in their
rows; typing a number presses that button, anything else is a text answer. After Submit it prints how the answers
would appear in the supervisor's digest — checkins/digest/message.py with this one respondent and the thresholds
relaxed — clearly marked as a preview; "Change my answers" then reopens them, as in the chat. Input and output are
plain callables, so the loop runs the same from stdin or from a test's list of lines.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from html import unescape
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from checkins.config.app import GroupConfig, load_config
from checkins.config.flows import Flow, LocalText, QuestionType, load_flow
from checkins.config.goals import Goal, expand_goals
from checkins.config.yamlsource import ConfigError
from checkins.digest.message import render_compact
from checkins.digest.stats import RoundRecord, Thresholds, round_statistics
from checkins.digest.summary import DigestSource, TextSection, build_summary
from checkins.i18n import Catalog
from checkins.messages import Button, Screen, display_value
from checkins.privacy.redaction import Redactor
from checkins.privacy.scrubbing import placeholders
from checkins.rounds import review
from checkins.rounds.answering import (
    Back,
    Progress,
    Rejection,
    ShowEditList,
    Status,
    WriteText,
    apply,
    decode_action,
)
from checkins.rounds.screens import (
    ReviewMode,
    composing_screen,
    question_screen,
    rejection_text,
    review_screen,
    submitted_screen,
)

ReadLine = Callable[[], str | None]
Write = Callable[[str], None]

# Buttons carry "<round>:<step>:<action>" as in Telegram; here the round part only has to be there.
PREVIEW_ROUND_ID = "try"
_TAG = re.compile(r"<[^>]*>")


def plain_text(html_text: str) -> str:
    """Telegram HTML as terminal text. Safe because every user or flow text inside was escaped first."""
    return unescape(_TAG.sub("", html_text))


@dataclass(frozen=True)
class Tried:
    """The flow to walk, and the configured group that uses it (its goals and the names its digest scrubs), if any."""

    flow: Flow
    group: GroupConfig | None = None


def find_flow(reference: str, config_path: Path) -> Tried:
    """A flow by the path of its YAML file, or by its id among the flows of the configuration (with the first group
    that uses it)."""
    if reference.endswith((".yaml", ".yml")) or "/" in reference:
        return Tried(load_flow(Path(reference)))
    config = load_config(config_path)
    flow = config.flows.get(reference)
    if flow is None:
        known = ", ".join(config.flows)
        raise ConfigError(config.source, None, "", f"no flow with the id '{reference}' (the flows are: {known})")
    users = [g for g in config.groups.values() if flow.id in (g.flow_id, *(t.flow_id for t in g.rounds))]
    return Tried(flow, next((g for g in users if g.goals), users[0] if users else None))


def sample_goals(catalog: Catalog) -> tuple[Goal, ...]:
    """Goals to show a `goals` question with when the flow is tried without a group that lists its own."""
    texts = (
        catalog.gettext("Sample goal: clearer roles and responsibilities"),
        catalog.gettext("Sample goal: better coping at work"),
    )
    return tuple(
        Goal(f"sample_{number}", LocalText({catalog.language: text}, catalog.language))
        for number, text in enumerate(texts, start=1)
    )


def with_goals(tried: Tried, catalog: Catalog, write: Write) -> Flow:
    """The flow as a member answers it: each `goals` question once per goal, the group's or sample ones."""
    if not any(question.type is QuestionType.GOALS for question in tried.flow.questions):
        return tried.flow
    if tried.group is not None and tried.group.goals:
        return expand_goals(tried.flow, tried.group.goals)
    write(catalog.gettext("This flow asks about a group's goals; tried on its own, it shows two sample goals."))
    return expand_goals(tried.flow, sample_goals(catalog))


def read_stdin_line() -> str | None:
    """One line typed by the person at the terminal; None when the input ends (or Ctrl-C/Ctrl-D)."""
    try:
        return input("> ")
    except (EOFError, KeyboardInterrupt):
        return None


def _show(screen: Screen, write: Write) -> list[Button]:
    """Print a screen with its buttons numbered row by row, as they sit on a phone; returns them in that order."""
    write(plain_text(screen.text))
    buttons: list[Button] = []
    lines = []
    for row in screen.keyboard:
        cells = []
        for button in row:
            buttons.append(button)
            cells.append(f"[{len(buttons)}] {button.text}")
        lines.append("   ".join(cells))
    if lines:
        write("\n".join(lines))
    return buttons


def walk(
    flow: Flow,
    catalog: Catalog,
    read: ReadLine,
    write: Write,
    progress: Progress,
    redactor: Redactor | None = None,
) -> Progress | None:
    """Take a member through the flow from `progress` until they submit; None when the input ends first. The review
    shows the answers scrubbed by `redactor`, as the supervisor will get them (as in the chat)."""
    edit_list = False
    redactor = redactor or Redactor.for_names(())
    while progress.status is not Status.SUBMITTED:
        write("")
        if progress.status is Status.ANSWERING and progress.composing:
            screen = composing_screen(flow, PREVIEW_ROUND_ID, progress, catalog)
        elif progress.status is Status.ANSWERING:
            screen = question_screen(flow, PREVIEW_ROUND_ID, progress, catalog)
        else:
            mode = ReviewMode.EDIT if edit_list else ReviewMode.PLAIN
            scrubbed = review.preview(redactor, flow, progress, placeholders(catalog), {}).texts
            screen = review_screen(flow, PREVIEW_ROUND_ID, progress, catalog, mode=mode, preview=scrubbed)
        buttons = _show(screen, write)
        line = read()
        if line is None:
            return None
        typed = line.strip()
        if typed.isdigit():
            if not 1 <= int(typed) <= len(buttons):
                write(catalog.gettext("There is no button {number}.").format(number=typed))
                continue
            action = decode_action(buttons[int(typed) - 1].data.rsplit(":", 1)[1])
        else:
            action = WriteText(line)
        assert action is not None, "a screen offered a button the state machine cannot read"
        moved = apply(flow, progress, action)
        if isinstance(moved, Rejection):
            write("! " + rejection_text(moved, flow, progress, catalog))
            continue
        left_question = progress.status is Status.ANSWERING and (
            moved.status is not Status.ANSWERING or moved.cursor != progress.cursor
        )
        if left_question and not isinstance(action, Back):
            question = flow.questions[progress.cursor]
            write("→ " + plain_text(display_value(question, moved.answers.get(question.id), catalog)))
        edit_list = isinstance(action, ShowEditList)
        progress = moved
    return progress


def _change_answers(flow: Flow, catalog: Catalog, read: ReadLine, write: Write, submitted: Progress) -> Progress | None:
    """The submitted screen with its "Change my answers" button: the reopened answers, or None when the input ends."""
    while True:
        write("")
        buttons = _show(submitted_screen(PREVIEW_ROUND_ID, submitted, catalog), write)
        line = read()
        if line is None:
            return None
        typed = line.strip()
        if typed.isdigit() and 1 <= int(typed) <= len(buttons):
            action = decode_action(buttons[int(typed) - 1].data.rsplit(":", 1)[1])
            assert action is not None, "a screen offered a button the state machine cannot read"
            moved = apply(flow, submitted, action)
            if not isinstance(moved, Rejection):
                return moved
        write(catalog.gettext("There is no button {number}.").format(number=typed))


def digest_preview(
    flow: Flow, answers: Mapping[str, Any], catalog: Catalog, round_number: int = 1, redactor: Redactor | None = None
) -> str:
    """The supervisor's digest message and report lines for these answers alone, as plain text: only the answered
    questions, no threshold (a real digest needs several respondents), and free text scrubbed exactly as the
    supervisor would get it, in the message and in the report alike."""
    answered = {question_id: [value] for question_id, value in answers.items() if value is not None}
    shown = replace(flow, questions=tuple(q for q in flow.questions if q.id in answered))
    thresholds = Thresholds(1, 1)
    stats = {row.question_id: row for row in round_statistics(shown, answered, 1, thresholds)}
    texts = {q.id: [str(answered[q.id][0])] for q in shown.questions if q.type is QuestionType.TEXT}
    source = DigestSource(
        group_name=catalog.gettext("your group"),
        flow=shown,
        goals=(),
        thresholds=thresholds,
        history=(RoundRecord(round_number, None, 1, 1, stats),),
        texts=texts,
    )
    summary = build_summary(source, catalog, redactor or Redactor.for_names(()))
    in_report = catalog.gettext("In the printable report, every answer:")
    report_lines = []
    for question in shown.questions:
        section = summary.section(question.id)
        if isinstance(section, TextSection) and section.answers:
            # The text as the report prints it: the summary's, scrubbed — never the member's own words.
            shown_value = section.answers[0]
        else:
            shown_value = plain_text(display_value(question, answered[question.id][0], catalog))
        report_lines.append(f"{question.text.get(catalog.language)}\n→ {shown_value}")
    compact = plain_text(render_compact(summary, catalog, ZoneInfo("UTC")))
    return "\n\n".join([compact, in_report, *report_lines])


def run(tried: Tried | Flow, catalog: Catalog, read: ReadLine, write: Write, round_number: int = 1) -> int:
    """The whole `try` session; the exit code is 0 after a preview and 1 when the input ended before Submit. After
    each preview the answers can be changed and submitted again, as in the chat, until the input ends."""
    tried = tried if isinstance(tried, Tried) else Tried(tried)
    language = catalog.language
    write(f"{tried.flow.title.get(language)}\n\n{tried.flow.intro.get(language)}")
    flow = with_goals(tried, catalog, write)
    redactor = Redactor.for_names(tried.group.redact_names if tried.group else ())
    write(catalog.gettext("Type the number of a button and press Enter. To answer a text question, write your answer."))
    progress: Progress | None = Progress.start(flow, round_number)
    previewed = False
    while progress is not None:
        submitted = walk(flow, catalog, read, write, progress, redactor)
        if submitted is None:
            break
        rule = "=" * 72
        banner = catalog.gettext(
            "PREVIEW – nothing was sent. This is how these answers would appear in the supervisor's digest. The "
            "thresholds are relaxed to show one respondent; a real digest shows nothing until enough members answer."
        )
        write(f"\n{rule}\n{banner}\n{rule}\n")
        write(digest_preview(flow, submitted.answers, catalog, round_number, redactor))
        previewed = True
        progress = _change_answers(flow, catalog, read, write, submitted)
    if previewed:
        return 0
    write("")
    write(catalog.gettext("The input ended before the answers were submitted, so there is nothing to preview."))
    return 1
