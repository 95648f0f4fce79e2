"""The follow-up messages of a digest: every free-text answer the supervisor may see, whole, in Telegram.

The one-screen message (`message.py`) quotes answers shortened; `render_followups` then gives every shown free-text
question (except those the flow keeps `report-only`, and those the message already showed whole) its own run of
messages, in flow order: the question, how many answered, and each answer in full, in the summary's shuffled order.
A message ends at Telegram's limit between two answers, never inside one; only an answer longer than a whole message
is cut, at a word where it can be, its first part marked "(continues in the next message)" and the next message
starting "(continued)". Everything is escaped here, and lengths are counted on the escaped text, so an answer full
of `<` and `&` still fits.
"""

from __future__ import annotations

import re
from html import escape

from checkins.config.flow_digest import Presentation
from checkins.digest.summary import Section, Summary, TextSection
from checkins.i18n import Catalog

MESSAGE_LIMIT = 4096  # telegram.constants.MessageLimit.MAX_TEXT_LENGTH; the domain does not import telegram
_TOKENS = re.compile(r"\S+|\s+")


def _followed(section: Section, whole: frozenset[str]) -> bool:
    return (
        isinstance(section, TextSection)
        and bool(section.answers)
        and section.question.presentation is not Presentation.REPORT_ONLY
        and section.question.id not in whole
    )


def has_followups(summary: Summary, whole: frozenset[str] = frozenset()) -> bool:
    """Whether any answer follows the one-screen message (`whole`: questions it already showed whole)."""
    return not summary.withheld and any(_followed(section, whole) for section in summary.sections)


def _size(text: str) -> int:
    return len(escape(text))


def split_answer(text: str, limit: int) -> list[str]:
    """`text` in pieces whose escaped length is at most `limit`, cut between words where a word fits (plain text)."""
    pieces: list[str] = []
    current, size = "", 0
    for token in _TOKENS.findall(text):
        token_size = _size(token)
        if size + token_size <= limit:
            current, size = current + token, size + token_size
        elif current.strip() and token_size <= limit:
            pieces.append(current)
            current, size = ("", 0) if token.isspace() else (token, token_size)
        else:
            # A "word" longer than a whole piece (a pasted link, a row of symbols): cut it where it must be cut.
            for char in token:
                char_size = _size(char)
                if size + char_size > limit:
                    pieces.append(current)
                    current, size = "", 0
                current, size = current + char, size + char_size
    pieces.append(current)
    return [piece.strip() for piece in pieces if piece.strip()]


def _items(answers: tuple[str, ...], limit: int, catalog: Catalog) -> list[str]:
    """Each answer as one bullet, or an over-long answer as several marked parts (escaped HTML)."""
    continues = " <i>" + escape(catalog.gettext("(continues in the next message)")) + "</i>"
    continued = "<i>" + escape(catalog.gettext("(continued)")) + "</i> "
    items = []
    for answer in answers:
        pieces = split_answer(answer, limit - len(continues) - len(continued) - 2)
        for index, piece in enumerate(pieces):
            lead = "• " if index == 0 else continued
            tail = continues if index < len(pieces) - 1 else ""
            items.append(lead + escape(piece) + tail)
    return items


def _question_messages(section: TextSection, catalog: Catalog, limit: int) -> list[str]:
    title = escape(section.question.text.get(catalog.language))
    count = len(section.answers)
    answered = catalog.ngettext("{count} answer", "{count} answers", count).format(count=count)
    heading = f"<b>{title}</b>\n<i>{escape(answered)}</i>"
    heading_again = f"<b>{title}</b> <i>" + escape(catalog.gettext("(continued)")) + "</i>"
    room = limit - max(len(heading), len(heading_again)) - 2
    messages: list[str] = []
    current = heading
    for item in _items(section.answers, room, catalog):
        if len(current) + 2 + len(item) > limit:
            messages.append(current)
            current = heading_again
        current += "\n\n" + item
    messages.append(current)
    return messages


def render_followups(
    summary: Summary, catalog: Catalog, whole: frozenset[str] = frozenset(), limit: int = MESSAGE_LIMIT
) -> list[str]:
    """Every shown free-text answer in full, as Telegram HTML messages of at most `limit` characters each, except
    the questions in `whole`, whose every answer the one-screen message already showed unshortened."""
    if summary.withheld:
        return []
    messages: list[str] = []
    for section in summary.sections:
        if _followed(section, whole):
            assert isinstance(section, TextSection)
            messages += _question_messages(section, catalog, limit)
    return messages
