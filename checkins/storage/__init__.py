"""SQLite storage: the one place with SQL. `Store` combines the connection (`base.Database`) with one query mixin
per concern (members, rounds, outbox, written answers); schema versions live in `migrations/`, applied in order at
start."""

from __future__ import annotations

from checkins.storage.base import AlreadyHandled, Database, handling_update
from checkins.storage.edits import WrittenAnswerQueries
from checkins.storage.members import MemberQueries, MemberRow
from checkins.storage.outbox import OutboxItem, OutboxQueries
from checkins.storage.rounds import ParticipantRow, RoundQueries, RoundRow


class Store(MemberQueries, RoundQueries, OutboxQueries, WrittenAnswerQueries, Database):
    """The repository the domain uses: every query, on one connection."""


__all__ = ["AlreadyHandled", "MemberRow", "OutboxItem", "ParticipantRow", "RoundRow", "Store", "handling_update"]
