"""Opening rounds and asking members: an ad-hoc or scheduled round, a member who joins or resumes while it is open,
a question held through someone's quiet hours, and the current screen sent again.

`RoundOpening` is the opening part of `RoundService` (checkins/rounds/service.py), kept apart as its own concern:
a round is opened once however often the timer asks, each member gets the intro and first question once (their
dedupe keys name the member by an HMAC under the round's secret, never by id), and everyone learns how many members
the group has, so spare accounts padding "3 of 3 answered" would show.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from html import escape

from checkins.config.app import AppConfig, GroupConfig
from checkins.i18n import Translator
from checkins.messages import Screen
from checkins.outbox import Outbox
from checkins.privacy.author_tags import member_key
from checkins.rounds.announcements import announce_round
from checkins.rounds.answering import Progress, Status
from checkins.rounds.reminders import Choice
from checkins.rounds.reminders import keyboard as reminder_keyboard
from checkins.rounds.timing import held_prompts
from checkins.storage import MemberRow, RoundRow, Store


class OpenOutcome(StrEnum):
    OPENED = "opened"
    ALREADY_OPEN = "already_open"
    NO_MEMBERS = "no_members"
    PROCESS_ENDED = "process_ended"


@dataclass(frozen=True)
class OpenResult:
    outcome: OpenOutcome
    round: RoundRow | None = None
    invited: int = 0


class RoundOpening:
    """Opening methods of `RoundService`, which provides these attributes and `_catalog`, `_load` and `_show`."""

    config: AppConfig
    store: Store
    translator: Translator
    outbox: Outbox
    clock: Callable[[], float]

    async def open_round(self, group: GroupConfig, flow_id: str | None = None) -> OpenResult:
        """An ad-hoc round of the group's flow (`/open`), or of `flow_id` (a missed scheduled round opened late)."""
        async with self.store.transaction() as store:
            if group.process_ended(await store.finished_at(group.id), self.clock(), self.config.timezone):
                return OpenResult(OpenOutcome.PROCESS_ENDED)
            if flow_id is None and await store.open_round(group.id) is not None:
                return OpenResult(OpenOutcome.ALREADY_OPEN)
            if flow_id is not None and (group.id, flow_id) in await store.open_round_flows():
                return OpenResult(OpenOutcome.ALREADY_OPEN)
            members, paused = await self._askable_members(group)
            if not members:
                return OpenResult(OpenOutcome.NO_MEMBERS)
            round_row = await self._start_round(group, flow_id or group.flow_id, members, paused)
        self.outbox.wake()
        return OpenResult(OpenOutcome.OPENED, round_row, len(members))

    async def open_scheduled_round(
        self, group: GroupConfig, flow_id: str, session_key: str, closes_at: datetime | None = None
    ) -> OpenResult:
        """Open the round of one session and flow — once, however often the timer asks. With `closes_at`, a member
        in their own quiet hours gets the question when those end (held, never past the close)."""
        async with self.store.transaction() as store:
            if group.process_ended(await store.finished_at(group.id), self.clock(), self.config.timezone):
                return OpenResult(OpenOutcome.PROCESS_ENDED)
            if await store.scheduled_round(group.id, session_key, flow_id) is not None:
                return OpenResult(OpenOutcome.ALREADY_OPEN)
            if (group.id, flow_id) in await store.open_round_flows():
                return OpenResult(OpenOutcome.ALREADY_OPEN)
            # Opened even when nobody can be asked, so the supervisor's digest says so at close.
            members, paused = await self._askable_members(group)
            now = datetime.fromtimestamp(self.clock(), UTC)
            held = await held_prompts(self.config, store, group, members, now, closes_at)
            round_row = await self._start_round(group, flow_id, [m for m in members if m.id not in held], paused)
            for member_id, due in held.items():
                await store.hold_message(round_row.id, member_id, "prompt", due.timestamp())
            await store.link_scheduled_round(group.id, session_key, flow_id, round_row.id)
        self.outbox.wake()
        return OpenResult(OpenOutcome.OPENED, round_row, len(members))

    async def invite_held(self, round_id: str, member: MemberRow) -> bool:
        """Send a held question (caller's transaction); False if the round closed, they are in it or paused."""
        round_row = await self.store.round_by_id(round_id)
        if round_row is None or round_row.state != "open" or await self.store.participant(round_id, member.id):
            return False
        if (await self.store.member_settings(member.id)).is_paused(self.clock()):
            return False
        await self._invite_to_round(round_row, member, bulk=False)
        return True

    async def _askable_members(self, group: GroupConfig) -> tuple[list[MemberRow], int]:
        """Members to ask now, and how many are paused (they are neither asked nor counted)."""
        paused = await self.store.paused_member_ids(group.id, self.clock())
        members = [m for m in await self.store.group_members(group.id) if m.reachable and m.id not in paused]
        return members, len(paused)

    async def _start_round(self, group: GroupConfig, flow_id: str, members: list[MemberRow], paused: int) -> RoundRow:
        round_row = await self.store.create_round(group.id, flow_id, self.clock())
        await self.store.set_paused_count(round_row.id, paused)
        group_size = await self.store.member_count(group.id)
        for member in members:
            await self._invite_to_round(round_row, member, bulk=True, group_size=group_size)
        await announce_round(self.store, self.outbox, self.translator, self.config, group, round_row)
        return round_row

    async def _invite_to_round(
        self, round_row: RoundRow, member: MemberRow, *, bulk: bool, group_size: int | None = None
    ) -> None:
        """Add a member to an open round and queue the intro and first question (once, whatever happens)."""
        flow = self.config.member_flow(round_row.group_id, round_row.flow_id)
        assert flow is not None
        group = self.config.groups[round_row.group_id]
        catalog = self._catalog(member)
        await self.store.add_participant(round_row.id, member.id)
        await self.store.set_focus_round(member.id, round_row.id)
        # Every member learns how many the group has: spare accounts padding "3 of 3 answered" would show here.
        count = group_size if group_size is not None else await self.store.member_count(group.id)
        size = catalog.ngettext("This group has {count} member.", "This group has {count} members.", count)
        intro = (
            f"<b>{escape(flow.title.get(member.language))}</b> · {escape(group.name)}\n\n"
            f"{escape(flow.intro.get(member.language))}\n\n<i>{escape(size.format(count=count))}</i>"
        )
        assert round_row.secret is not None
        key = member_key(round_row.secret, member.id)
        decline = reminder_keyboard(round_row.id, catalog, (Choice.DECLINE,))
        await self.outbox.send(
            member.telegram_user_id, Screen(intro, decline), dedupe=f"intro:{round_row.id}:{key}", bulk=bulk
        )
        progress = Progress.start(flow, round_row.flow_number)
        await self._show(round_row, member, flow, progress, catalog, dedupe=f"first:{round_row.id}:{key}", bulk=bulk)

    async def join_open_round(self, group_id: str, member: MemberRow) -> bool:
        """A member who joins (or resumes) while rounds are open gets them too (inside the caller's transaction)."""
        if (await self.store.member_settings(member.id)).is_paused(self.clock()):
            return False
        joined = False
        for round_row in await self.store.open_rounds_of_group(group_id):
            if await self.store.participant(round_row.id, member.id) is None:
                await self._invite_to_round(round_row, member, bulk=False)
                joined = True
        return joined

    async def resend_open_questions(self, member: MemberRow) -> int:
        """Send a member their current screen in every open round they have not submitted (caller's transaction)."""
        resent = 0
        for round_row in await self.store.open_rounds_of_member(member.id):
            resent += await self.resend_question(round_row, member)
        return resent

    async def resend_question(self, round_row: RoundRow, member: MemberRow) -> bool:
        """The member's current screen in one open round, again at the bottom of the chat; the copy above loses its
        buttons (caller's transaction). False when they have submitted or are not asked in it."""
        loaded = await self._load(round_row, member)
        if loaded is None or loaded[1].status is Status.SUBMITTED:
            return False
        flow, progress = loaded
        participant = await self.store.participant(round_row.id, member.id)
        await self._show(round_row, member, flow, progress, self._catalog(member))
        if participant is not None and progress.status is Status.ANSWERING and not progress.composing:
            await self.outbox.remove_buttons(member.telegram_user_id, participant.prompt_outbox_id)
        return True

    async def answering_in(self, member: MemberRow) -> bool:
        """Whether the member has an open round they have not submitted (inside the caller's transaction)."""
        for round_row in await self.store.open_rounds_of_member(member.id):
            participant = await self.store.participant(round_row.id, member.id)
            if participant is not None and participant.status != Status.SUBMITTED.value:
                return True
        return False
