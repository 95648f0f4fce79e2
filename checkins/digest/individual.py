"""The digest of individual supervision: one member's own answers, under their name, for their supervisor.

Only for groups with `mode: individual`, whose member agreed at joining that their supervisor reads their answers
as theirs. Answers the member kept "only for me" are left out, as everywhere. No threshold applies: there is one
respondent by design. Group mode never reaches this module.
"""

from __future__ import annotations

from html import escape
from typing import Any

from checkins.config.flows import Flow
from checkins.digest.message import MESSAGE_LIMIT
from checkins.i18n import Catalog
from checkins.messages import display_value


def render_individual_digest(
    flow: Flow,
    group_name: str,
    round_number: int,
    member_name: str,
    answers: dict[str, Any] | None,
    private: frozenset[str],
    catalog: Catalog,
) -> list[str]:
    title = catalog.gettext("Check-in of {name}: {group}, round {number}").format(
        name=member_name, group=group_name, number=round_number
    )
    blocks = [[f"<b>{escape(title)}</b>", escape(flow.title.get(catalog.language))]]
    if answers is None:
        blocks.append([escape(catalog.gettext("{name} did not submit answers this time.").format(name=member_name))])
        return pack_blocks(blocks)
    for question in flow.questions:
        heading = f"<b>{escape(question.text.get(catalog.language))}</b>"
        if question.id in private:
            kept = catalog.gettext("(kept private)")
            blocks.append([heading, f"<i>{escape(kept)}</i>"])
        else:
            blocks.append([heading, display_value(question, answers.get(question.id), catalog)])
    return pack_blocks(blocks)


def pack_blocks(blocks: list[list[str]], limit: int = MESSAGE_LIMIT) -> list[str]:
    """Join blocks (a question and its answer) into messages of at most `limit` characters, never splitting a line.

    Lines of a block are joined by a line break and blocks by an empty line.
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
