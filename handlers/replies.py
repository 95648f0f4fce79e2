"""Handlers for anonymous replies: the supervisor's "Reply" under a digest answer, the author's "Answer back".

The text that follows such a press is taken by `ReplyService.take_text` before it could be read as a check-in answer
(see handlers/answering.py).
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler

from checkins.digest.service import REPLY_LIST_PREFIX
from checkins.privacy.replies import ANSWER_BACK_PREFIX, REPLY_PREFIX
from handlers.context import KierrosContext


async def reply_pressed(update: Update, context: KierrosContext) -> None:
    """The supervisor chose an answer to reply to."""
    query = update.callback_query
    if query is None or query.data is None:
        return
    toast = await context.services.replies.start(query.from_user.id, query.data.removeprefix(REPLY_PREFIX))
    await query.answer(toast)


async def reply_list_pressed(update: Update, context: KierrosContext) -> None:
    """The digest's "Reply to an answer anonymously": list the answers, each with its own button."""
    query = update.callback_query
    if query is None or query.data is None:
        return
    toast = await context.services.replies.list_answers(query.from_user.id, query.data.removeprefix(REPLY_LIST_PREFIX))
    await query.answer(toast)


async def answer_back_pressed(update: Update, context: KierrosContext) -> None:
    """The author chose to answer the supervisor's reply."""
    query = update.callback_query
    if query is None or query.data is None:
        return
    toast = await context.services.replies.answer_back(query.from_user.id, query.data.removeprefix(ANSWER_BACK_PREFIX))
    await query.answer(toast)


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(CallbackQueryHandler(reply_pressed, pattern=rf"^{REPLY_PREFIX}[0-9a-f]{{1,32}}$"))
    application.add_handler(CallbackQueryHandler(reply_list_pressed, pattern=rf"^{REPLY_LIST_PREFIX}[\w-]{{1,16}}$"))
    application.add_handler(CallbackQueryHandler(answer_back_pressed, pattern=rf"^{ANSWER_BACK_PREFIX}[\w-]{{1,32}}$"))
