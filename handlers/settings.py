"""Handlers for a member's own settings: `/settings` (a message with buttons), `/language`, `/pause [date]`,
`/resume`, `/quiet` and `/timezone` (their own quiet hours and time zone), and presses on the settings buttons
(callback data `set:…`), which redraw the settings message in place.
"""

from __future__ import annotations

from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from checkins.config.calendars import parse_date
from checkins.messages import Screen
from checkins.rounds.settings import PREFIX
from checkins.storage import MemberRow
from handlers.context import KierrosContext
from handlers.joining import catalog_for_sender


def screen_markup(screen: Screen) -> InlineKeyboardMarkup | None:
    if not screen.keyboard:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(button.text, callback_data=button.data) for button in row] for row in screen.keyboard]
    )


async def _reply(update: Update, text_html: str, screen: Screen | None = None) -> None:
    if update.effective_message is not None:
        markup = screen_markup(screen) if screen is not None else None
        await update.effective_message.reply_text(text_html, parse_mode=ParseMode.HTML, reply_markup=markup)


async def _member_or_explain(update: Update, context: KierrosContext) -> MemberRow | None:
    """The member sending the command; someone who has not joined a group is told how to."""
    user = update.effective_user
    if user is None:
        return None
    member = await context.services.settings.member(user.id)
    if member is None:
        catalog = await catalog_for_sender(update, context.services)
        await _reply(
            update,
            escape(
                catalog.gettext("You are not in a group yet. To join, open the invite link your supervisor gave you.")
            ),
        )
    return member


async def settings_command(update: Update, context: KierrosContext) -> None:
    """Show the member's settings with buttons to change them."""
    member = await _member_or_explain(update, context)
    if member is not None:
        screen = await context.services.settings.settings_screen(member)
        await _reply(update, screen.text, screen)


async def language_command(update: Update, context: KierrosContext) -> None:
    """Offer the three languages as buttons."""
    member = await _member_or_explain(update, context)
    if member is None:
        return
    services = context.services
    if services.membership.is_supervisor(member.telegram_user_id):
        catalog = services.translator.for_language(services.config.supervisors[member.telegram_user_id].language)
        await _reply(update, escape(catalog.gettext("As a supervisor, your language is set in config.yaml.")))
        return
    screen = services.settings.language_screen(member)
    await _reply(update, screen.text, screen)


async def pause_command(update: Update, context: KierrosContext) -> None:
    """Pause check-ins until a date, or until /resume."""
    member = await _member_or_explain(update, context)
    if member is None:
        return
    services = context.services
    catalog = services.translator.for_language(member.language)
    until: float | None = None
    if context.args:
        try:
            day = parse_date(context.args[0])
        except ValueError:
            example = catalog.gettext(
                "I could not read that date. Write it like this: /pause 2026-05-01 or /pause 1.5.2026"
            )
            await _reply(update, escape(example))
            return
        until = services.settings.pause_end(day)
        if until is None:
            await _reply(update, escape(catalog.gettext("That date has already passed.")))
            return
    await _reply(update, escape(await services.settings.pause(member, until)))


async def resume_command(update: Update, context: KierrosContext) -> None:
    """End a pause."""
    member = await _member_or_explain(update, context)
    if member is not None:
        await _reply(update, escape(await context.services.settings.resume(member)))


async def quiet_command(update: Update, context: KierrosContext) -> None:
    """Set the member's own quiet hours: /quiet 22:00 07:00, or /quiet group."""
    member = await _member_or_explain(update, context)
    if member is not None:
        await _reply(update, escape(await context.services.settings.set_quiet_hours(member, list(context.args or []))))


async def timezone_command(update: Update, context: KierrosContext) -> None:
    """Set the member's own time zone: /timezone Europe/Stockholm, or /timezone group."""
    member = await _member_or_explain(update, context)
    if member is not None:
        await _reply(update, escape(await context.services.settings.set_timezone(member, list(context.args or []))))


async def settings_pressed(update: Update, context: KierrosContext) -> None:
    """A press on a settings button: change the setting and redraw the message."""
    query = update.callback_query
    if query is None:
        return
    pressed = await context.services.settings.press(query.from_user.id, query.data or "")
    await query.answer(pressed.toast)
    if pressed.screen is not None and query.message is not None:
        await query.edit_message_text(
            pressed.screen.text, parse_mode=ParseMode.HTML, reply_markup=screen_markup(pressed.screen)
        )


def register(application: Application) -> None:  # type: ignore[type-arg]
    private = filters.ChatType.PRIVATE
    application.add_handler(CommandHandler("settings", settings_command, filters=private))
    application.add_handler(CommandHandler("language", language_command, filters=private))
    application.add_handler(CommandHandler("pause", pause_command, filters=private))
    application.add_handler(CommandHandler("resume", resume_command, filters=private))
    application.add_handler(CommandHandler("quiet", quiet_command, filters=private))
    application.add_handler(CommandHandler("timezone", timezone_command, filters=private))
    application.add_handler(CallbackQueryHandler(settings_pressed, pattern=f"^{PREFIX}"))
