"""Handlers for a member's own data: `/mydata`, `/forgetme` (after a confirmation) and `/leave` (pick a group).

Buttons here carry `fm:` (forget me) and `lv:` (leave) callback data and are matched before the answering handler.
Every press is checked again against the database, so a forged `lv:` for a group the person is not in does nothing.
"""

from __future__ import annotations

from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from checkins.i18n import Catalog
from handlers.common import catalog_for_sender
from handlers.context import KierrosContext


async def _catalog(update: Update, context: KierrosContext) -> Catalog:
    return await catalog_for_sender(update, context.services)


async def my_data(update: Update, context: KierrosContext) -> None:
    """Show what is stored about the sender."""
    message = update.effective_message
    user = update.effective_user
    if message is None or user is None:
        return
    report = await context.services.personal_data.report(user.id)
    if report is None:
        catalog = await _catalog(update, context)
        report = escape(catalog.gettext("I store nothing about you: you have not joined a group."))
    await message.reply_text(report, parse_mode=ParseMode.HTML)


async def forget_me(update: Update, context: KierrosContext) -> None:
    """Ask for confirmation before erasing everything about the sender."""
    message = update.effective_message
    if message is None:
        return
    catalog = await _catalog(update, context)
    text = catalog.gettext(
        "Erase your membership, settings and every answer that can still be linked to you? This cannot be undone. "
        "Answers of earlier check-ins are already anonymous and cannot be found."
    )
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(catalog.gettext("Yes, erase"), callback_data="fm:yes"),
                InlineKeyboardButton(catalog.gettext("Cancel"), callback_data="fm:no"),
            ]
        ]
    )
    await message.reply_text(escape(text), parse_mode=ParseMode.HTML, reply_markup=keyboard)


async def forget_me_answer(update: Update, context: KierrosContext) -> None:
    """The confirmation button of /forgetme."""
    query = update.callback_query
    if query is None:
        return
    catalog = await _catalog(update, context)
    if query.data != "fm:yes":
        await query.answer()
        await query.edit_message_text(escape(catalog.gettext("Nothing was erased.")), parse_mode=ParseMode.HTML)
        return
    report = await context.services.personal_data.forget(query.from_user.id)
    await query.answer()
    if report is None:
        text = catalog.gettext("I store nothing about you: you have not joined a group.")
    else:
        groups = catalog.ngettext(
            "Erased: you left {count} group.", "Erased: you left {count} groups.", report.groups_left
        ).format(count=report.groups_left)
        answers = catalog.ngettext(
            "{count} answer that could still be linked to you was deleted.",
            "{count} answers that could still be linked to you were deleted.",
            report.answers_erased,
        ).format(count=report.answers_erased)
        text = f"{groups} {answers}"
    await query.edit_message_text(escape(text), parse_mode=ParseMode.HTML)


async def leave(update: Update, context: KierrosContext) -> None:
    """Offer the sender's groups to leave."""
    message = update.effective_message
    user = update.effective_user
    if message is None or user is None:
        return
    services = context.services
    catalog = await _catalog(update, context)
    member = await services.membership.member(user.id)
    groups = await services.membership.member_groups(member) if member else []
    if not groups:
        await message.reply_text(escape(catalog.gettext("You are not in any group.")), parse_mode=ParseMode.HTML)
        return
    keyboard = InlineKeyboardMarkup(
        [[InlineKeyboardButton(group.name, callback_data=f"lv:{group.id}")] for group in groups]
        + [[InlineKeyboardButton(catalog.gettext("Cancel"), callback_data="lv:")]]
    )
    text = catalog.gettext("Which group do you want to leave? You will get no more check-ins from it.")
    await message.reply_text(escape(text), parse_mode=ParseMode.HTML, reply_markup=keyboard)


async def leave_answer(update: Update, context: KierrosContext) -> None:
    """A group picked from /leave."""
    query = update.callback_query
    if query is None or query.data is None:
        return
    catalog = await _catalog(update, context)
    group_id = query.data.removeprefix("lv:")
    group = context.services.config.groups.get(group_id)
    if group_id and group is None:
        await query.answer(catalog.gettext("This button is not valid."))
        return
    left = group is not None and await context.services.personal_data.leave(query.from_user.id, group_id)
    await query.answer()
    if left and group is not None:
        text = catalog.gettext("You left {group}.").format(group=group.name)
    else:
        text = catalog.gettext("Nothing was changed.")
    await query.edit_message_text(escape(text), parse_mode=ParseMode.HTML)


def register(application: Application) -> None:  # type: ignore[type-arg]
    private = filters.ChatType.PRIVATE
    application.add_handler(CommandHandler("mydata", my_data, filters=private))
    application.add_handler(CommandHandler("forgetme", forget_me, filters=private))
    application.add_handler(CommandHandler("leave", leave, filters=private))
    application.add_handler(CallbackQueryHandler(forget_me_answer, pattern=r"^fm:(yes|no)$"))
    application.add_handler(CallbackQueryHandler(leave_answer, pattern=r"^lv:[a-z0-9_-]{0,32}$"))
