"""Handlers for the buttons under a reminder and a round's intro: Continue, Not this round, Remind me later.

The press goes to `ReminderService`; a refused press gets a toast, a taken one loses the buttons it came from, and
Not this round and Remind me later get a short message saying what happens now.
"""

from __future__ import annotations

from html import escape

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import Application, CallbackQueryHandler

from checkins.rounds.reminders import DATA_PATTERN
from handlers.context import KierrosContext


async def reminder_pressed(update: Update, context: KierrosContext) -> None:
    """A press on Continue, Not this round or Remind me later."""
    query = update.callback_query
    if query is None:
        return
    chosen = await context.services.reminders.choose(query.from_user.id, query.data or "")
    await query.answer(chosen.toast)
    if query.message is None:
        return
    if chosen.taken:
        await query.edit_message_reply_markup(None)
    if chosen.reply:
        await context.bot.send_message(query.message.chat.id, escape(chosen.reply), parse_mode=ParseMode.HTML)


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(CallbackQueryHandler(reminder_pressed, pattern=DATA_PATTERN))
