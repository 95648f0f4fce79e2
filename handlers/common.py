"""Small helpers shared by the handler modules: who sent an update, in which language to answer them."""

from __future__ import annotations

from telegram import Update, User

from checkins.membership import Person


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
