"""Small helpers shared by the handler modules: who sent an update, a domain keyboard as Telegram markup, and
logging trouble once instead of per attempt."""

from __future__ import annotations

import logging
from collections.abc import Callable

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update, User

from checkins.i18n import Catalog
from checkins.messages import Keyboard
from checkins.rounds.membership import Person
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


class TroubleLog:
    """Tells an outage from the odd failed request, and logs an outage once when it starts and once when it ends.

    Telegram answers the odd request with a 5xx; that is not worth a log line, and a retry soon after is right.
    An outage is failures without any success for `OUTAGE_AFTER` seconds: then callers back off further, and the
    log says so once, however many requests fail until the next success.
    """

    OUTAGE_AFTER = 2.0

    def __init__(self, what: str, clock: Callable[[], float], logger: logging.Logger) -> None:
        self._what = what
        self._clock = clock
        self._log = logger
        self._failing_since: float | None = None
        self._reported = False
        self._failures = 0

    @property
    def outage(self) -> bool:
        since = self._failing_since
        return since is not None and self._clock() - since >= self.OUTAGE_AFTER

    def failing_for(self) -> float:
        """Seconds since the first failure with no success after it (0 when the last attempt succeeded)."""
        since = self._failing_since
        return 0.0 if since is None else max(0.0, self._clock() - since)

    def failed(self, reason: str) -> None:
        self._failures += 1
        if self._failing_since is None:
            self._failing_since = self._clock()
        if self.outage and not self._reported:
            self._reported = True
            self._log.warning("%s: failing (%s); retrying with backoff until it works again", self._what, reason)

    def succeeded(self) -> None:
        if self._reported and self._failing_since is not None:
            self._log.warning(
                "%s: works again after %.0f s and %d failed attempts",
                self._what,
                self._clock() - self._failing_since,
                self._failures,
            )
        self._failing_since = None
        self._reported = False
        self._failures = 0
