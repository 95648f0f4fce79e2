"""What people read when they meet the bot: a member's welcome, how their data is handled, a supervisor's overview.

Plain builders of Telegram HTML (everything escaped here) in the reader's language. A member's welcome is three
short paragraphs — what the bot does, who sees what, that it is not a crisis service — with a "How is my data
handled?" button whose callback data is `PRIVACY_CALLBACK`; the edge answers it with `privacy_text`, the same text
as /privacy. A supervisor's overview lists their groups from `GroupOverview` rows (members joined, the open round)
and how to invite; each group's lines come from `_group_lines`, the one place to add more per-group facts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from checkins.config.app import GroupConfig, GroupMode
from checkins.i18n import Catalog
from checkins.messages import Button, Screen
from checkins.storage import RoundRow

PRIVACY_CALLBACK = "privacy"


@dataclass(frozen=True)
class GroupOverview:
    """One of a supervisor's groups as their /start shows it."""

    group: GroupConfig
    members: int
    open_round: RoundRow | None


def privacy_button(catalog: Catalog) -> Button:
    return Button(catalog.gettext("How is my data handled?"), PRIVACY_CALLBACK)


def welcome_screen(catalog: Catalog, group: GroupConfig) -> Screen:
    """What a member reads on joining a group."""
    title = catalog.gettext("Welcome to the check-ins of {group}!").format(group=group.name)
    what = catalog.gettext(
        "Before each supervision session I will ask you a few short questions here in this private chat. "
        "Every question can be skipped, and you can change your answers until the check-in closes."
    )
    if group.mode is GroupMode.INDIVIDUAL:
        who = catalog.gettext(
            "This is individual supervision: your supervisor reads your answers as yours. Your employer sees nothing."
        )
    else:
        who = catalog.gettext(
            "Your supervisor sees only an anonymised summary: how many answered (never who) and the answers without "
            "names. In a small group a writing style can still be recognisable. Your employer and the group chat see "
            "nothing."
        )
    crisis = catalog.gettext(
        "This is not a crisis service. If you are in acute distress, contact occupational health or call 112."
    )
    text = f"<b>{escape(title)}</b>\n{escape(what)}\n\n{escape(who)}\n\n<i>{escape(crisis)}</i>"
    return Screen(text, ((privacy_button(catalog),),))


def privacy_text(catalog: Catalog) -> str:
    """Who sees what and what is stored: /privacy and the welcome's button."""
    paragraphs = [
        catalog.gettext(
            "Your supervisor sees only a summary of the answers that were submitted: how many answered (never who), "
            "the spread of scale answers and the free-text answers shuffled, with names, phone numbers and similar "
            "details replaced. If fewer people answer than the group's threshold, no answers are shown at all."
        ),
        catalog.gettext(
            "What is removed from free text: the names of your group's members and the names set for the group in "
            "any form, other people's names where they look like names (“Matti Virtanen”, “rouva Laine”), dates of "
            "birth, ages such as “87-vuotias”, street addresses with a number, registration plates, phone numbers, "
            "e-mail addresses, identity codes and links. What may stay: a name written in lower case that is also an "
            "ordinary word (toivo, satu), place names, and descriptions that identify someone without a name. "
            "Before you submit you see exactly what your supervisor will see."
        ),
        catalog.gettext(
            "Your employer and the group chat see nothing. You can keep any answer only for yourself. From the moment "
            "a round closes, nothing in the database links an answer to you, except answers you chose to let your "
            "supervisor reply to, until the time for replies ends."
        ),
        catalog.gettext(
            "Honest limits: in a small group a supervisor may recognise a writing style, and Telegram chats with "
            "bots are not end-to-end encrypted."
        ),
        catalog.gettext(
            "This is not a crisis service. If you are in acute distress, contact occupational health or call 112."
        ),
    ]
    return "\n\n".join(escape(paragraph) for paragraph in paragraphs)


def _group_lines(overview: GroupOverview, catalog: Catalog) -> list[str]:
    group = overview.group
    joined = catalog.ngettext("{count} member joined", "{count} members joined", overview.members)
    joined = joined.format(count=overview.members)
    lines = [f"• <b>{escape(group.name)}</b> · <code>{escape(group.id)}</code> · {escape(joined)}"]
    if overview.open_round is not None:
        state = catalog.gettext("Round {number} is open. /close {id} closes it and sends you the digest.").format(
            number=overview.open_round.number, id=group.id
        )
    else:
        state = catalog.gettext("No round is open. /open {id} opens one now.").format(id=group.id)
    lines.append("  " + escape(state))
    return lines


def supervisor_overview(catalog: Catalog, overviews: Sequence[GroupOverview]) -> str:
    """A supervisor's /start: their groups, how to invite members, and where each group's round stands."""
    if overviews:
        header = catalog.gettext("Hello! You are the supervisor of these groups:")
        groups = "\n".join(line for overview in overviews for line in _group_lines(overview, catalog))
    else:
        header = catalog.gettext("Hello! You are registered as a supervisor, but no group in config.yaml is yours yet.")
        groups = ""
    invite = catalog.gettext(
        "To invite members, send /invite <group> and share the link only with that group's members. "
        "/help lists all commands."
    )
    parts = [f"<b>{escape(header)}</b>", groups, escape(invite)]
    return "\n\n".join(part for part in parts if part)
