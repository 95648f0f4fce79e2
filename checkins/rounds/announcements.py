"""The note in a linked Telegram group chat when a round opens: a short text and a button to answer privately.

A group chat is shared with everyone in it, so the note says only that a check-in is open and where to answer —
never answers, counts, names or who has answered. It goes through the outbox with a dedupe key, so a round is
announced at most once whatever happens.
"""

from __future__ import annotations

from html import escape

from checkins.config.app import AppConfig, GroupConfig
from checkins.i18n import Translator
from checkins.messages import Button, Screen
from checkins.outbox import Outbox
from checkins.storage import RoundRow, Store


async def announce_round(
    store: Store, outbox: Outbox, translator: Translator, config: AppConfig, group: GroupConfig, round_row: RoundRow
) -> None:
    """Queue the note for the group's linked chat, if it has one (inside the caller's transaction)."""
    chat = await store.group_chat(group.id)
    if chat is None:
        return
    catalog = translator.for_language(config.supervisors[group.supervisor_id].language)
    text = catalog.gettext(
        "A new check-in for {group} is open. Please answer in your private chat with me: only an anonymous "
        "summary reaches the supervisor."
    ).format(group=group.name)
    button = Button(catalog.gettext("Answer privately"), chat.deep_link)
    await outbox.send(chat.chat_id, Screen(escape(text), ((button,),)), dedupe=f"announce:{round_row.id}")
