"""A supervision process as a whole: individual or group mode, finishing it, and the supervisor's overview.

A process ends by `/finish <group>` or on its configured `ends_on` date: no round opens after that, an open round is
closed (its digest still goes out), and members are told the process ended and when their data will be deleted.
Individual supervision (`mode: individual`) has one member, who agrees at joining that the supervisor reads their
answers as theirs; its digest is that member's own answers under their name. Group mode never attributes anything.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from html import escape

from checkins.config.app import AppConfig, GroupConfig
from checkins.i18n import Catalog, Translator
from checkins.messages import Screen
from checkins.outbox import Outbox
from checkins.rounds.closing import CloseResult
from checkins.rounds.service import RoundService
from checkins.storage import Store


def consent_text(catalog: Catalog, group: GroupConfig) -> str:
    """Individual supervision cannot be anonymous; the member is told so plainly before joining."""
    return "\n\n".join(
        [
            "<b>" + escape(catalog.gettext("Individual supervision: {group}").format(group=group.name)) + "</b>",
            escape(
                catalog.gettext(
                    "This is individual supervision, so your answers cannot be anonymous: your supervisor will read "
                    "them as yours, under your name. They still go to your supervisor only — never to your employer."
                )
            ),
            escape(
                catalog.gettext(
                    "You can skip any question, keep any answer only for yourself, and erase your data with /forgetme."
                )
            ),
            escape(catalog.gettext("Do you agree to join on these terms?")),
        ]
    )


@dataclass(frozen=True)
class GroupOverview:
    group: GroupConfig
    members: int
    active_invites: int
    round_open: bool
    finished: bool


class ProcessService:
    def __init__(
        self,
        config: AppConfig,
        store: Store,
        translator: Translator,
        outbox: Outbox,
        rounds: RoundService,
        clock: Callable[[], float],
    ) -> None:
        self.config = config
        self.store = store
        self.translator = translator
        self.outbox = outbox
        self.rounds = rounds
        self.clock = clock

    async def is_finished(self, group: GroupConfig) -> bool:
        async with self.store.transaction() as store:
            finished_at = await store.finished_at(group.id)
        return group.process_ended(finished_at, self.clock(), self.config.timezone)

    async def overview(self, supervisor_id: int) -> list[GroupOverview]:
        now = self.clock()
        rows = []
        async with self.store.transaction() as store:
            for group in self.config.supervisor_groups(supervisor_id):
                rows.append(
                    GroupOverview(
                        group=group,
                        members=await store.member_count(group.id),
                        active_invites=await store.active_invite_count(group.id, now),
                        round_open=await store.open_round(group.id) is not None,
                        finished=group.process_ended(await store.finished_at(group.id), now, self.config.timezone),
                    )
                )
        return rows

    async def finish(self, group: GroupConfig) -> tuple[bool, CloseResult | None]:
        """End a process: close its open round (the digest still goes out), tell every member once."""
        closed = await self.rounds.close_round(group)
        async with self.store.transaction() as store:
            if not await store.finish_group(group.id, self.clock()):
                return False, None
            for member in await store.group_members(group.id):
                catalog = self.translator.for_language(member.language)
                text = catalog.gettext(
                    "The supervision process {group} has ended. Thank you for your reflections! No more check-ins "
                    "will come from it. Its answers are deleted {days} days after the last check-in closed; "
                    "/forgetme erases what is still linked to you right away."
                ).format(group=group.name, days=self.config.privacy.retention_days)
                # Once: `finish_group` above refuses a second finish in this same transaction.
                await self.outbox.send(member.telegram_user_id, Screen(escape(text)))
        self.outbox.wake()
        return True, closed if closed.outcome.value == "closed" else None
