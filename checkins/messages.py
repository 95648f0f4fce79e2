"""The messages the domain sends, as plain data: a `Screen` is Telegram-flavoured HTML and a keyboard of `Button`s.

The edge (handlers/) turns a screen into a Telegram message without deciding anything, and the outbox stores it as
is. `display_value` is how one answer reads back in a message — to its author while answering and under their own
name in an individual digest — shortened for a phone and escaped for HTML.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Any

from checkins.config.flows import Question, QuestionType
from checkins.i18n import Catalog

QUOTE_CHARS = 300


@dataclass(frozen=True)
class Button:
    text: str
    data: str


Keyboard = tuple[tuple[Button, ...], ...]


@dataclass(frozen=True)
class Screen:
    text: str
    keyboard: Keyboard = ()


def shorten(text: str, limit: int) -> str:
    """`text` on one line, cut at a word boundary with "…" when it is longer than `limit` characters."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    cut = cut if cut > limit // 2 else limit - 1
    return text[:cut].rstrip() + "…"


def display_value(question: Question, value: Any | None, catalog: Catalog, limit: int = QUOTE_CHARS) -> str:
    """An answer as its author reads it back, shortened to `limit` characters and escaped for HTML."""
    if value is None:
        skipped = catalog.gettext("(skipped)")
        return f"<i>{escape(skipped)}</i>"
    if question.type is QuestionType.SCALE:
        return f"{value}/{question.scale_max}"
    if question.type is QuestionType.YESNO:
        return escape(catalog.gettext("Yes") if value else catalog.gettext("No"))
    labels = {option.id: option.label.get(catalog.language) for option in question.options}
    if question.type is QuestionType.CHOICE:
        return escape(shorten(labels.get(value, str(value)), limit))
    if question.type is QuestionType.MULTI:
        return escape(shorten(", ".join(labels.get(option_id, option_id) for option_id in value), limit))
    return escape(shorten(str(value), limit))
