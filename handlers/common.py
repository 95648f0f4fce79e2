"""Small helpers shared by the handler modules: who sent an update, and a domain keyboard as Telegram markup."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update, User

from checkins.membership import Person
from checkins.screens import Keyboard


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


def keyboard_markup(keyboard: Keyboard) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(button.text, callback_data=button.data) for button in row] for row in keyboard]
    )
