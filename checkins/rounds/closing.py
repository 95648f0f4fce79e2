"""Closing rounds: tell who did not submit, end every link the round no longer needs, queue the digest.

`RoundClosing` is the closing half of `RoundService` (checkins/rounds/service.py), kept apart because closing is its own
concern: the submitted answers are written to `answers` in one shuffled batch (tagged only where their author allowed
a reply), drafts, progress and private answers go, the secret stays only if some answer may be replied to, the
per-round statistics are recorded, delivered outbox rows go, and the supervisor's digest (or, in individual
supervision with the member's consent, their own answers under their name) is queued — all inside one transaction,
so a restart never sends a digest twice. Then the database file is rewritten and the WAL truncated, so no byte on
disk keeps who submitted when.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from html import escape

from checkins.config.app import AppConfig, GroupConfig, GroupMode
from checkins.digest.individual import render_individual_digest
from checkins.digest.service import DigestService
from checkins.i18n import Translator
from checkins.messages import Screen
from checkins.outbox import Outbox
from checkins.privacy.author_tags import author_tag, member_key
from checkins.rounds.answering import Progress, Status
from checkins.storage import ParticipantRow, RoundRow, Store


class CloseOutcome(StrEnum):
    CLOSED = "closed"
    NOT_OPEN = "not_open"


@dataclass(frozen=True)
class CloseResult:
    outcome: CloseOutcome
    submitted: int = 0
    invited: int = 0


class RoundClosing:
    """Closing methods of `RoundService`, which provides these attributes and `_catalog` and `_submitted`."""

    config: AppConfig
    store: Store
    translator: Translator
    outbox: Outbox
    digests: DigestService
    clock: Callable[[], float]

    async def close_round(self, group: GroupConfig) -> CloseResult:
        """Close every open round of the group (usually one) and queue their digests."""
        async with self.store.transaction() as store:
            rounds = await store.open_rounds_of_group(group.id)
            submitted = sum([await self._close(round_row, group) for round_row in rounds])
        if not rounds:
            return CloseResult(CloseOutcome.NOT_OPEN)
        await self.store.scrub_disk(rewrite=True)
        self.outbox.wake()
        return CloseResult(CloseOutcome.CLOSED, submitted, sum(r.invited_count for r in rounds))

    async def close_round_by_id(self, round_id: str) -> CloseResult:
        """Close one round, e.g. when its scheduled close time has come; a closed round stays as it is."""
        async with self.store.transaction() as store:
            round_row = await store.round_by_id(round_id)
            group = self.config.groups.get(round_row.group_id) if round_row else None
            if round_row is None or group is None or not round_row.is_open:
                return CloseResult(CloseOutcome.NOT_OPEN)
            submitted = await self._close(round_row, group)
        await self.store.scrub_disk(rewrite=True)
        self.outbox.wake()
        return CloseResult(CloseOutcome.CLOSED, submitted, round_row.invited_count)

    async def _close(self, round_row: RoundRow, group: GroupConfig) -> int:
        """Close one round inside the caller's transaction: tell who did not submit, queue the digest."""
        assert round_row.secret is not None
        participants = await self.store.participants(round_row.id)
        for participant in participants:
            if participant.status == Status.SUBMITTED.value:
                continue
            member = await self.store.member_by_id(participant.member_id)
            if member is None:
                continue
            catalog = self._catalog(member)
            notice = catalog.gettext(
                "The check-in for {group} has closed. Answers that were not submitted were not used."
            ).format(group=group.name)
            await self.outbox.send(
                member.telegram_user_id,
                Screen(escape(notice)),
                dedupe=f"closed:{round_row.id}:{member_key(round_row.secret, member.id)}",
                bulk=True,
            )
        attributed = (
            await self._individual_answers(round_row, participants) if group.mode is GroupMode.INDIVIDUAL else None
        )
        answers = await self._answer_batch(round_row)
        now = self.clock()
        # Without an answer its author allowed a reply to, nothing needs the secret: it goes now, not a day later.
        replies = any(tag is not None for _question, tag, _value, _kept in answers)
        reply_until = now + self.config.privacy.reply_window_hours * 3600 if replies else now
        submitted = await self.store.close_round(round_row.id, now, reply_until)
        await self.store.insert_answers(round_row.id, answers)
        await self.store.delete_members_without_groups([p.member_id for p in participants])
        await self.store.delete_spent_outbox()
        if attributed is not None:
            await self._queue_individual_digest(round_row, group, *attributed)
        else:
            await self.digests.record_statistics(round_row, submitted)
            await self.digests.scrub_texts(round_row)
            await self.digests.queue_digest(group, round_row.number, dedupe=f"digest:{round_row.id}")
        return submitted

    async def _answer_batch(self, round_row: RoundRow) -> list[tuple[str, bytes | None, object, str | None]]:
        """Every submitted answer of the round, shuffled, with an author tag only where its author allowed a reply:
        written in one batch at close, so neither row order nor page layout keeps who submitted when."""
        assert round_row.secret is not None
        batch = [
            (question_id, author_tag(round_row.secret, member_id, question_id) if reply_ok else None, value, kept)
            for member_id, question_id, value, reply_ok, kept in await self.store.submitted_drafts(round_row.id)
        ]
        secrets.SystemRandom().shuffle(batch)
        return batch

    async def _individual_answers(
        self, round_row: RoundRow, participants: list[ParticipantRow]
    ) -> tuple[str, Progress | None] | None:
        """Individual supervision: the member's name and submitted answers, read before the round's links go.
        None (an anonymous digest under the thresholds) unless the group has exactly one member and that member
        agreed, when joining, to be read under their name."""
        flow = self.config.flows[round_row.flow_id]
        members = await self.store.group_members(round_row.group_id)
        if len(members) != 1 or not await self.store.attributed_consent(round_row.group_id, members[0].id):
            return None
        member = members[0]
        name = " ".join(n for n in (member.first_name, member.last_name) if n) or "–"
        for participant in participants:
            if participant.member_id == member.id and participant.status == Status.SUBMITTED.value:
                return name, await self._submitted(round_row, member, flow)
        return name, None

    async def _queue_individual_digest(
        self, round_row: RoundRow, group: GroupConfig, name: str, progress: Progress | None
    ) -> None:
        supervisor = self.config.supervisors[group.supervisor_id]
        catalog = self.translator.for_language(supervisor.language)
        chunks = render_individual_digest(
            self.config.flows[round_row.flow_id],
            group.name,
            round_row.flow_number,
            name,
            progress.answers if progress else None,
            progress.private if progress else frozenset(),
            catalog,
        )
        for index, chunk in enumerate(chunks):
            await self.outbox.send(supervisor.user_id, Screen(chunk), dedupe=f"digest:{round_row.id}:{index}")
