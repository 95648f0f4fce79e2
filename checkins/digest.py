"""The supervisor's digest of a closed round: anonymised, thresholded, shuffled, redacted and split for Telegram.

`render_digest` takes plain data (the flow, the submitted answers grouped by question, counts and thresholds) and
returns Telegram HTML messages of at most 4096 characters each. What it guarantees: no names, ids, timestamps or
submission order (each question's answers are shuffled on their own, so one person's answers cannot be lined up
across questions); nothing at all when fewer than `min_responses` submitted; per question, "too few answers" when a
question has fewer answers than its threshold (the stricter `text_min_responses` for free text); every answer
HTML-escaped and scrubbed by the redactor; no answer or tag cut in half by the split.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

from checkins.flows import Flow, Question, QuestionType
from checkins.i18n import Catalog
from checkins.redaction import RedactionKind, Redactor

MESSAGE_LIMIT = 4096  # telegram.constants.MessageLimit.MAX_TEXT_LENGTH; the domain does not import telegram
BAR_WIDTH = 10


@dataclass(frozen=True)
class DigestInput:
    group_name: str
    round_number: int
    flow: Flow
    submitted: int
    invited: int
    answers: Mapping[str, Sequence[Any]]
    min_responses: int
    text_min_responses: int


def placeholders(catalog: Catalog) -> dict[RedactionKind, str]:
    """The neutral words that stand in for scrubbed details, in the digest's language."""
    return {
        RedactionKind.NAME: catalog.gettext("[name]"),
        RedactionKind.MENTION: catalog.gettext("[name]"),
        RedactionKind.EMAIL: catalog.gettext("[email]"),
        RedactionKind.PHONE: catalog.gettext("[phone number]"),
        RedactionKind.IDENTITY_CODE: catalog.gettext("[identity code]"),
        RedactionKind.URL: catalog.gettext("[link]"),
    }


def _format_number(value: float, language: str) -> str:
    text = f"{value:.1f}"
    return text.replace(".", ",") if language in ("fi", "sv") else text


def _scale_lines(question: Question, values: Sequence[int], catalog: Catalog) -> list[str]:
    counts = Counter(values)
    widest = max(counts.values())
    lines = []
    for point in range(question.scale_max, question.scale_min - 1, -1):
        count = counts.get(point, 0)
        filled = round(BAR_WIDTH * count / widest) if widest else 0
        lines.append(f"<code>{point:>2} {'█' * filled}{'·' * (BAR_WIDTH - filled)}</code> {count}")
    mean = sum(values) / len(values)
    lines.append(
        escape(catalog.gettext("Mean {mean} (scale {low}–{high})")).format(
            mean=_format_number(mean, catalog.language), low=question.scale_min, high=question.scale_max
        )
    )
    return lines


def _count_lines(question: Question, values: Sequence[Any], catalog: Catalog) -> list[str]:
    if question.type is QuestionType.YESNO:
        counts = Counter(bool(value) for value in values)
        labelled = [
            (catalog.gettext("Yes"), counts.get(True, 0)),
            (catalog.gettext("No"), counts.get(False, 0)),
        ]
    else:
        flat = [item for value in values for item in (value if isinstance(value, list) else [value])]
        counts = Counter(flat)
        labelled = [(option.label.get(catalog.language), counts.get(option.id, 0)) for option in question.options]
    return [f"• {escape(label)}: <b>{count}</b>" for label, count in labelled]


def _split_text(text: str, limit: int) -> list[str]:
    """Split a long plain text at whitespace into pieces of at most `limit` characters once escaped."""
    pieces: list[str] = []
    rest = text
    while len(escape(rest)) > limit:
        cut = limit
        while len(escape(rest[:cut])) > limit:
            cut -= max(1, (len(escape(rest[:cut])) - limit) // 5)
        space = rest.rfind(" ", 0, cut)
        cut = space if space > cut // 2 else cut
        pieces.append(rest[:cut])
        rest = rest[cut:].lstrip()
    pieces.append(rest)
    return pieces


def _text_items(values: Sequence[str], redactor: Redactor, catalog: Catalog) -> list[str]:
    marks = placeholders(catalog)
    items = []
    budget = MESSAGE_LIMIT - 200
    for value in values:
        pieces = _split_text(redactor.redact(str(value), marks), budget)
        for number, piece in enumerate(pieces):
            prefix = "• " if number == 0 else "… "
            suffix = " …" if number < len(pieces) - 1 else ""
            items.append(f"{prefix}<i>{escape(piece)}</i>{suffix}")
    return items


def _question_items(
    question: Question, values: Sequence[Any], digest: DigestInput, redactor: Redactor, catalog: Catalog
) -> list[str]:
    title = f"<b>{escape(question.text.get(catalog.language))}</b>"
    threshold = digest.text_min_responses if question.type is QuestionType.TEXT else digest.min_responses
    answered = escape(catalog.ngettext("{count} answer", "{count} answers", len(values)).format(count=len(values)))
    if len(values) < threshold:
        too_few = escape(catalog.gettext("Too few answers to show (fewer than {k}).").format(k=threshold))
        return [f"{title}\n<i>{too_few}</i>"]
    header = f"{title}\n<i>{answered}</i>"
    if question.type is QuestionType.SCALE:
        return [header + "\n" + "\n".join(_scale_lines(question, values, catalog))]
    if question.type is QuestionType.TEXT:
        return [header, *_text_items(values, redactor, catalog)]
    return [header + "\n" + "\n".join(_count_lines(question, values, catalog))]


def _pack(blocks: Sequence[Sequence[str]], limit: int = MESSAGE_LIMIT) -> list[str]:
    """Join blocks (a question and its answers) into messages of at most `limit` characters.

    Lines of a block are joined by a line break and blocks by an empty line; a line is never split.
    """
    messages: list[str] = []
    current = ""
    for block in blocks:
        for position, line in enumerate(block):
            separator = ("\n" if position else "\n\n") if current else ""
            if len(current) + len(separator) + len(line) <= limit:
                current += separator + line
                continue
            messages.append(current)
            current = line
    if current:
        messages.append(current)
    return messages


def render_digest(
    digest: DigestInput, catalog: Catalog, redactor: Redactor, rng: random.Random | None = None
) -> list[str]:
    """The digest as Telegram HTML messages, each within Telegram's length limit."""
    shuffler = rng or random.SystemRandom()
    title = escape(
        catalog.gettext("Check-in digest: {group}, round {number}").format(
            group=digest.group_name, number=digest.round_number
        )
    )
    participation = escape(
        catalog.gettext("{answered} of {invited} answered").format(answered=digest.submitted, invited=digest.invited)
    )
    blocks = [[f"<b>{title}</b>", escape(digest.flow.title.get(catalog.language)), participation]]
    if digest.submitted < digest.min_responses:
        withheld = catalog.gettext("Fewer than {k} responses – no summary shown.").format(k=digest.min_responses)
        blocks.append([f"<i>{escape(withheld)}</i>"])
        return _pack(blocks)
    for question in digest.flow.questions:
        if not question.asked_in(digest.round_number):
            continue  # rotated out of this round: nobody was asked
        values = list(digest.answers.get(question.id, ()))
        shuffler.shuffle(values)
        blocks.append(_question_items(question, values, digest, redactor, catalog))
    return _pack(blocks)
