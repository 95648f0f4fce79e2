"""The last-resort error handler and the group-chat guard.

Errors are logged by class and update id only — never the update's content, which may hold answer text or names.
An update Telegram delivered a second time (`AlreadyHandled`) is noted quietly; one that failed because the
database was busy is handed back to the poller to be handled again.
In a group chat the bot ignores everything except a command addressed to it, which gets a pointer to the private
chat: answers never belong in a group.
"""

from __future__ import annotations

import logging
from html import escape

from telegram import Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import Application, MessageHandler, filters

from checkins.storage import AlreadyHandled, StorageUnavailable
from handlers.context import KierrosContext
from handlers.receiving import mark_for_retry

log = logging.getLogger(__name__)


async def on_error(update: object, context: KierrosContext) -> None:
    """Log a failed update without its content."""
    update_id = update.update_id if isinstance(update, Update) else None
    error = context.error
    if isinstance(error, AlreadyHandled):
        log.info("update %s was delivered again; it was already handled", update_id)
        return
    if isinstance(error, StorageUnavailable):
        log.warning("update %s: the database is busy; it is handled again shortly", update_id)
        mark_for_retry(context.application, update)
        return
    if isinstance(error, BadRequest) and "query is too old" in error.message.lower():
        # The press was handled (its change is committed); only its acknowledgement came too late for Telegram,
        # e.g. a press delivered again after a restart, or one that waited behind a long burst.
        log.info("update %s: the button press was handled too late to acknowledge it", update_id)
        return
    log.error(
        "update %s failed: %s",
        update_id,
        type(error).__name__,
        exc_info=(type(error), error, error.__traceback__) if error is not None else None,
    )


async def group_command(update: Update, context: KierrosContext) -> None:
    """A command sent to the bot in a group chat: point to the private chat."""
    message = update.effective_message
    if message is None or message.text is None:
        return
    command = message.text.split()[0]
    # In a group every bot sees `/help`; answer only a command written to this bot (`/help@ourbot`).
    if "@" not in command or command.split("@", 1)[1].lower() != (context.bot.username or "").lower():
        return
    services = context.services
    catalog = services.translator.for_language(services.config.default_language)
    text = catalog.gettext(
        "I work in private chats only, so that answers stay confidential. Open a chat with me: @{bot}"
    )
    await message.reply_text(escape(text.format(bot=context.bot.username)), parse_mode=ParseMode.HTML)


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(MessageHandler(filters.ChatType.GROUPS & filters.COMMAND, group_command))
    application.add_error_handler(on_error)
