"""Small helpers shared by the handler modules: who sent an update, and a domain keyboard as Telegram markup."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update, User

from checkins.i18n import Catalog
from checkins.membership import Person
from checkins.screens import Keyboard
from handlers.context import Services


def person_from(user: User) -> Person:
    return Person(
        telegram_user_id=user.id,
        first_name=user.first_name,
        last_name=user.last_name,
        username=user.username,
        language_code=user.language_code,
    )


def sender(update: Update) -> Person | None:
    user = update.effective_user
    return person_from(user) if user is not None and not user.is_bot else None


async def catalog_for_sender(update: Update, services: Services) -> Catalog:
    """The language a person reads: their stored choice, else Telegram's language, else the configured default."""
    person = sender(update)
    if person is None:
        return services.translator.for_language(services.config.default_language)
    member = await services.membership.member(person.telegram_user_id)
    if member is not None:
        return services.translator.for_language(member.language)
    return services.catalog_for(person)


def keyboard_markup(keyboard: Keyboard) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(button.text, callback_data=button.data) for button in row] for row in keyboard]
    )
