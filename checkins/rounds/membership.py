"""Membership: first contact, invite links, joining and who may act as a supervisor for which group.

An invite token is random (`secrets`), stored with its group and expiry, and revocable; it is the only way into a
group. `register` records a person on first contact with the language Telegram reports (or the configured default);
`join` checks a token, adds the member and queues their welcome (checkins/rounds/onboarding.py), and — when a round is
already open — invites them to it at once. When Telegram refuses to deliver to a member (blocked, chat deleted),
`mark_unreachable` stops their messages and tells each of their supervisors how many members cannot be reached — a
count, never who; `reconnect` (their next `/start`) makes them reachable again and sends their open questions anew.
`supervised_group` is the single access check for supervisor commands: it answers None both for a stranger and for
a supervisor naming someone else's group, so a refusal reveals nothing about other groups.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from html import escape

from checkins.config.app import AppConfig, GroupConfig, GroupMode
from checkins.config.yamlsource import ConfigError
from checkins.i18n import normalise_language
from checkins.messages import Screen
from checkins.rounds.onboarding import GroupOverview, welcome_screen
from checkins.rounds.service import RoundService
from checkins.storage import MemberRow, Store

SECONDS_PER_DAY = 86_400
# Several members found unreachable in one fan-out make one notice with the final count, not one each.
UNREACHABLE_NOTICE_DELAY = 5.0


@dataclass(frozen=True)
class Person:
    """Who sent an update, as Telegram reports it."""

    telegram_user_id: int
    first_name: str | None
    last_name: str | None
    username: str | None
    language_code: str | None


class JoinOutcome(StrEnum):
    JOINED = "joined"
    ALREADY_MEMBER = "already_member"
    INVALID_INVITE = "invalid_invite"
    # Individual supervision: the person must first agree that their answers are read as theirs.
    NEEDS_CONSENT = "needs_consent"
    PROCESS_FULL = "process_full"
    PROCESS_ENDED = "process_ended"
    # A supervisor cannot pad their own group's count (and thresholds) with their own answers.
    OWN_GROUP = "own_group"


@dataclass(frozen=True)
class JoinResult:
    outcome: JoinOutcome
    language: str
    group: GroupConfig | None = None
    round_opened: bool = False


class MembershipService:
    def __init__(
        self,
        config: AppConfig,
        store: Store,
        rounds: RoundService,
        clock: Callable[[], float],
        notice_delay: float | None = None,
    ) -> None:
        self.config = config
        self.store = store
        self.rounds = rounds
        self.clock = clock
        self.notice_delay = UNREACHABLE_NOTICE_DELAY if notice_delay is None else notice_delay

    def language_of(self, person: Person) -> str:
        supervisor = self.config.supervisors.get(person.telegram_user_id)
        if supervisor is not None:
            return supervisor.language
        return normalise_language(person.language_code, self.config.default_language)

    def is_supervisor(self, telegram_user_id: int) -> bool:
        return telegram_user_id in self.config.supervisors

    def supervised_group(self, telegram_user_id: int, group_id: str) -> GroupConfig | None:
        group = self.config.groups.get(group_id)
        if group is None or group.supervisor_id != telegram_user_id:
            return None
        return group

    async def check_modes(self) -> None:
        """At start: a group configured as individual supervision must not have more than one member. Its members
        joined under anonymity; reading one of them by name would break what they were promised. Raises a
        `ConfigError` at the `mode` line."""
        async with self.store.transaction() as store:
            for group in self.config.groups.values():
                count = await store.member_count(group.id)
                if group.mode is GroupMode.INDIVIDUAL and count > 1:
                    line, key = group.mode_at
                    problem = (
                        f"individual supervision needs a group of one, but {group.id} already has {count} members who "
                        "joined with anonymous answers; start a new group for individual supervision"
                    )
                    raise ConfigError(self.config.source, line, key, problem)

    async def register(self, person: Person) -> MemberRow:
        async with self.store.transaction() as store:
            return await self._upsert(store, person)

    async def _upsert(self, store: Store, person: Person) -> MemberRow:
        return await store.upsert_member(
            person.telegram_user_id,
            language=self.language_of(person),
            first_name=person.first_name,
            last_name=person.last_name,
            username=person.username,
        )

    async def member(self, telegram_user_id: int) -> MemberRow | None:
        async with self.store.transaction() as store:
            return await store.member_by_telegram_id(telegram_user_id)

    async def join(self, person: Person, token: str, *, consented: bool = False) -> JoinResult:
        """Join through an invite token. Nothing about the person is stored unless they actually join."""
        async with self.store.transaction() as store:
            known = await store.member_by_telegram_id(person.telegram_user_id)
            language = known.language if known else self.language_of(person)
            group_id = await store.invite_group(token, self.clock())
            group = self.config.groups.get(group_id) if group_id else None
            if group is None:
                return JoinResult(JoinOutcome.INVALID_INVITE, language)
            if person.telegram_user_id == group.supervisor_id:
                return JoinResult(JoinOutcome.OWN_GROUP, language, group)
            if known is not None and group.id in await store.member_group_ids(known.id):
                return JoinResult(JoinOutcome.ALREADY_MEMBER, language, group)
            if group.process_ended(await store.finished_at(group.id), self.clock(), self.config.timezone):
                return JoinResult(JoinOutcome.PROCESS_ENDED, language, group)
            if group.mode is GroupMode.INDIVIDUAL:
                if await store.member_count(group.id) > 0:
                    return JoinResult(JoinOutcome.PROCESS_FULL, language, group)
                if not consented:
                    return JoinResult(JoinOutcome.NEEDS_CONSENT, language, group)
            member = await self._upsert(store, person)
            individual = group.mode is GroupMode.INDIVIDUAL
            await store.add_membership(group.id, member.id, attributed_consent=individual and consented)
            if self.config.privacy.single_use_invites:
                await store.consume_invite(token)
            # Queued, not replied directly, so it cannot overtake an open round's first question.
            catalog = self.rounds.translator.for_language(member.language)
            await self.rounds.outbox.send(member.telegram_user_id, welcome_screen(catalog, group))
            opened = await self.rounds.join_open_round(group.id, member)
        self.rounds.outbox.wake()
        return JoinResult(JoinOutcome.JOINED, member.language, group, opened)

    async def mark_unreachable(self, telegram_user_id: int) -> None:
        """Telegram refused to deliver to this chat: drop what waits for it and tell the supervisors a count."""
        async with self.store.transaction() as store:
            await store.drop_pending_for_chat(telegram_user_id)
            member = await store.member_by_telegram_id(telegram_user_id)
            if member is None or not member.reachable:
                return
            await store.set_reachable(member.id, False)
            for group_id in await store.member_group_ids(member.id):
                group = self.config.groups.get(group_id)
                if group is not None:
                    await self._notify_unreachable(store, group)
        self.rounds.outbox.wake()

    async def _notify_unreachable(self, store: Store, group: GroupConfig) -> None:
        count = sum(1 for member in await store.group_members(group.id) if not member.reachable)
        supervisor = self.config.supervisors[group.supervisor_id]
        catalog = self.rounds.translator.for_language(supervisor.language)
        text = catalog.ngettext(
            "{count} member of {group} cannot be reached: they may have blocked the bot. "
            "Their questions continue when they send /start to the bot again.",
            "{count} members of {group} cannot be reached: they may have blocked the bot. "
            "Their questions continue when they send /start to the bot again.",
            count,
        ).format(count=count, group=group.name)
        await self.rounds.outbox.notice(
            supervisor.user_id, Screen(escape(text)), f"unreachable:{group.id}", self.clock() + self.notice_delay
        )

    async def reconnect(self, person: Person) -> int | None:
        """A member who could not be reached sent /start: reachable again, open questions resent.

        Returns how many open check-ins were resent, or None when the person was not an unreachable member.
        """
        async with self.store.transaction() as store:
            member = await store.member_by_telegram_id(person.telegram_user_id)
            if member is None or member.reachable:
                return None
            member = await self._upsert(store, person)
            resent = await self.rounds.resend_open_questions(member)
        self.rounds.outbox.wake()
        return resent

    async def create_invite(self, group: GroupConfig) -> str:
        expires_at = self.clock() + self.config.invite_expiry_days * SECONDS_PER_DAY
        async with self.store.transaction() as store:
            return await store.create_invite(group.id, expires_at)

    async def revoke_invites(self, group: GroupConfig) -> int:
        async with self.store.transaction() as store:
            return await store.revoke_invites(group.id)

    async def group_overviews(self, supervisor_id: int) -> list[GroupOverview]:
        """The supervisor's groups with how many members joined and the open round, for their /start."""
        overviews = []
        async with self.store.transaction() as store:
            for group in self.config.supervisor_groups(supervisor_id):
                members = await store.group_members(group.id)
                overviews.append(GroupOverview(group, len(members), await store.open_round(group.id)))
        return overviews

    async def member_groups(self, member: MemberRow) -> list[GroupConfig]:
        async with self.store.transaction() as store:
            group_ids = await store.member_group_ids(member.id)
        return [self.config.groups[g] for g in group_ids if g in self.config.groups]
