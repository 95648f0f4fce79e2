"""The buttons a member answers a reminder with — Continue, Not this round, Remind me later — as plain data.

A reminder carries all three; a round's intro carries *Not this round*. Callback data is `rm:<round id>:<choice>`;
like every button it means nothing without the server-side state it is checked against (the member must be asked in
that open round).
"""

from __future__ import annotations

import re
from enum import StrEnum

from checkins.i18n import Catalog
from checkins.messages import Button, Keyboard

PREFIX = "rm:"
DATA_PATTERN = r"^rm:[\w-]{1,32}:[cxl]$"
_DATA = re.compile(DATA_PATTERN)


class Choice(StrEnum):
    CONTINUE = "c"
    DECLINE = "x"
    LATER = "l"


def keyboard(round_id: str, catalog: Catalog, choices: tuple[Choice, ...] = tuple(Choice)) -> Keyboard:
    labels = {
        Choice.CONTINUE: catalog.gettext("Continue"),
        Choice.DECLINE: catalog.gettext("Not this round"),
        Choice.LATER: catalog.gettext("Remind me later"),
    }
    buttons = [Button(labels[choice], f"{PREFIX}{round_id}:{choice.value}") for choice in choices]
    # Continue on its own row: it is what most people press; the other two share one.
    first = (buttons[0],) if choices[0] is Choice.CONTINUE else ()
    rest = tuple(buttons[len(first) :])
    return tuple(row for row in (first, rest) if row)


def parse(data: str) -> tuple[str, Choice] | None:
    """(round id, choice) of a reminder button, or None for anything we never issued."""
    if not _DATA.fullmatch(data):
        return None
    _, round_id, choice = data.split(":")
    return round_id, Choice(choice)
