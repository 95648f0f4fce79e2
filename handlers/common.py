"""Small helpers shared by the handler modules: who sent an update, and logging trouble once instead of per attempt."""

from __future__ import annotations

import logging
from collections.abc import Callable

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


class TroubleLog:
    """Says once that something keeps failing and once that it works again, however many attempts fail between."""

    def __init__(self, what: str, clock: Callable[[], float], logger: logging.Logger) -> None:
        self._what = what
        self._clock = clock
        self._log = logger
        self._since: float | None = None
        self._failures = 0

    @property
    def failing(self) -> bool:
        return self._since is not None

    def failed(self, reason: str) -> None:
        self._failures += 1
        if self._since is None:
            self._since = self._clock()
            self._log.warning("%s: failing (%s); retrying with backoff until it works again", self._what, reason)

    def succeeded(self) -> None:
        if self._since is not None:
            self._log.warning(
                "%s: works again after %.0f s and %d failed attempts",
                self._what,
                self._clock() - self._since,
                self._failures,
            )
            self._since = None
            self._failures = 0
