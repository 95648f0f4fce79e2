"""Handlers for a member answering a check-in in their private chat: button presses, text answers, other media.

Each handler reads the update, hands it to `RoundService` and shows the short notice it returns; the next question
and every edit come from the outbox. Callback queries are always answered, with a toast when the press was stale,
forged or refused. Editing a message that answered a question updates that answer while the round is open.
"""

from __future__ import annotations

from html import escape

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import Application, CallbackQueryHandler, MessageHandler, filters

from handlers.common import catalog_for_sender
from handlers.context import KierrosContext, Services


def _written(text: str) -> str:
    """What a person wrote, without NUL characters: invisible, never meant, and PostgreSQL's text cannot hold them
    (only a forged update carries one); so an answer reads and is stored the same on either database."""
    return text.replace("\x00", "")


async def _how_to_join(update: Update, services: Services) -> str | None:
    """For someone the bot does not know yet: how to join (the same words as /start without an invite)."""
    user = update.effective_user
    if user is None or await services.membership.member(user.id) is not None:
        return None
    catalog = await catalog_for_sender(update, services)
    return catalog.gettext(
        "Hello! I run the check-in round before work supervision sessions. "
        "To join a group, open the invite link your supervisor gave you."
    )


async def button_pressed(update: Update, context: KierrosContext) -> None:
    """A press on an answer, navigation or review button."""
    query = update.callback_query
    if query is None:
        return
    message_id = query.message.message_id if query.message is not None else None
    toast = await context.services.rounds.press(query.from_user.id, query.data or "", message_id)
    await query.answer(toast)


async def text_answer(update: Update, context: KierrosContext) -> None:
    """A text message: the answer to the current text question."""
    message = update.effective_message
    user = update.effective_user
    if message is None or user is None or message.text is None:
        return
    services = context.services
    text = _written(message.text)
    if await services.replies.take_text(user.id, text):
        return
    reply = await services.rounds.write(user.id, text, message.message_id) or await _how_to_join(update, services)
    if reply:
        await message.reply_text(escape(reply), parse_mode=ParseMode.HTML)


async def edited_answer(update: Update, context: KierrosContext) -> None:
    """A member edited one of their text messages: update that answer if the round still allows it."""
    message = update.edited_message
    user = update.effective_user
    if message is None or user is None or message.text is None:
        return
    reply = await context.services.rounds.edit_written(user.id, message.message_id, _written(message.text))
    if reply:
        await message.reply_text(escape(reply), parse_mode=ParseMode.HTML)


async def not_text(update: Update, context: KierrosContext) -> None:
    """A sticker, photo, voice message or file where the bot expects text or a button."""
    message = update.effective_message
    user = update.effective_user
    if message is None or user is None:
        return
    reply = await context.services.rounds.not_text(user.id) or await _how_to_join(update, context.services)
    if reply:
        await message.reply_text(escape(reply), parse_mode=ParseMode.HTML)


async def unknown_command(update: Update, context: KierrosContext) -> None:
    """A command the bot does not have."""
    message = update.effective_message
    user = update.effective_user
    if message is None or user is None:
        return
    catalog = await catalog_for_sender(update, context.services)
    await message.reply_text(
        escape(catalog.gettext("I do not know that command. /help lists what I can do.")),
        parse_mode=ParseMode.HTML,
    )


def register(application: Application) -> None:  # type: ignore[type-arg]
    private = filters.ChatType.PRIVATE
    application.add_handler(CallbackQueryHandler(button_pressed))
    application.add_handler(MessageHandler(private & filters.COMMAND, unknown_command))
    application.add_handler(MessageHandler(private & filters.TEXT & filters.UpdateType.MESSAGE, text_answer))
    application.add_handler(
        MessageHandler(private & filters.TEXT & ~filters.COMMAND & filters.UpdateType.EDITED_MESSAGE, edited_answer)
    )
    application.add_handler(
        MessageHandler(private & filters.UpdateType.MESSAGE & ~filters.TEXT & ~filters.StatusUpdate.ALL, not_text)
    )
