"""Storage, the one place with SQL: SQLite by default, PostgreSQL for organisations. `Store` combines a database
(`base.Database` over `sqlite.SqliteEngine` or `postgres.PostgresEngine`) with one query mixin per concern (members,
rounds, drafts, answers, outbox, written answers, replies, groups, schedule, settings, reminders, digests, digest
files, updates in transit between instances); schema versions live in `migrations/sqlite/` and
`migrations/postgresql/`, applied in order at start."""

from __future__ import annotations

from checkins.storage.base import (
    AlreadyHandled,
    Database,
    StorageRefused,
    StorageUnavailable,
    handling_update,
    is_postgresql,
)
from checkins.storage.digest_files import DigestFileQueries, PendingDigestFiles
from checkins.storage.digests import DigestQueries
from checkins.storage.drafts import DraftQueries
from checkins.storage.edits import WrittenAnswerQueries
from checkins.storage.groups import GroupQueries
from checkins.storage.inbound import InboundQueries
from checkins.storage.members import MemberQueries, MemberRow
from checkins.storage.outbox import OutboxDepth, OutboxItem, OutboxQueries
from checkins.storage.reminders import ReminderQueries
from checkins.storage.replies import PendingText, ReplyQueries, ReplyThread
from checkins.storage.rounds import ParticipantRow, RoundQueries, RoundRow
from checkins.storage.schedule import GroupChatRow, HeldMessageRow, ScheduledRoundRow, ScheduleQueries
from checkins.storage.settings import MemberSettings, SettingsQueries


class Store(
    MemberQueries,
    RoundQueries,
    DraftQueries,
    OutboxQueries,
    WrittenAnswerQueries,
    ReplyQueries,
    GroupQueries,
    ScheduleQueries,
    SettingsQueries,
    ReminderQueries,
    DigestQueries,
    DigestFileQueries,
    InboundQueries,
    Database,
):
    """The repository the domain uses: every query, on one connection."""


__all__ = [
    "AlreadyHandled",
    "GroupChatRow",
    "HeldMessageRow",
    "MemberRow",
    "MemberSettings",
    "OutboxDepth",
    "OutboxItem",
    "ParticipantRow",
    "PendingDigestFiles",
    "PendingText",
    "ReplyThread",
    "RoundRow",
    "ScheduledRoundRow",
    "StorageRefused",
    "StorageUnavailable",
    "Store",
    "handling_update",
    "is_postgresql",
]
