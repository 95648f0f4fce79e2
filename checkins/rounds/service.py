"""The round lifecycle: open a round, take each member's answers, submit, close and hand the digest to the outbox.

`RoundService` is what the Telegram edge calls once it has read an update. Each public method runs in one storage
transaction, and every message it causes is queued in the outbox inside that same transaction: an answer and the
next question are committed together or not at all, so a restart loses nothing and sends nothing twice (the outbox
sender delivers what is queued). A button answer edits the member's current screen into the next one, the answer
on its first line: one request per answer, and an edit repeated after a crash changes nothing. Methods return a
short `Notice` for the edge to show at once (a callback toast or a direct reply) — never anything that must survive
a crash.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from html import escape
from typing import Any

from checkins.config.app import AppConfig, GroupConfig
from checkins.config.flows import Flow
from checkins.digest.service import DigestService
from checkins.i18n import Catalog, Translator
from checkins.messages import Screen
from checkins.outbox import Outbox
from checkins.privacy.author_tags import member_key
from checkins.rounds import review
from checkins.rounds.announcements import announce_round
from checkins.rounds.answering import (
    Back,
    Progress,
    PutBack,
    Rejection,
    Reopen,
    ShowEditList,
    ShowFound,
    ShowPrivacyList,
    ShowReplyList,
    ShowReview,
    Status,
    Submit,
    TogglePrivate,
    ToggleReply,
    WriteText,
    apply,
    decode_action,
    step_token,
    visible_answers,
)
from checkins.rounds.closing import RoundClosing
from checkins.rounds.reminders import Choice
from checkins.rounds.reminders import keyboard as reminder_keyboard
from checkins.rounds.screens import (
    ReviewMode,
    after_answer,
    answered_line,
    composing_screen,
    question_screen,
    rejection_text,
    review_summary_text,
    submitted_screen,
)
from checkins.rounds.timing import held_prompts
from checkins.rounds.writing import RoundWriting
from checkins.storage import MemberRow, ParticipantRow, RoundRow, Store
from checkins.storage.drafts import Draft


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


# Presses that redraw the review screen in place (one of its lists, or a toggle within one).
REVIEW_VARIANTS = (ShowEditList, ShowPrivacyList, TogglePrivate, ShowReplyList, ToggleReply, ShowReview)


class RoundService(RoundWriting, RoundClosing):
    def __init__(
        self,
        config: AppConfig,
        store: Store,
        translator: Translator,
        outbox: Outbox,
        digests: DigestService,
        clock: Callable[[], float],
    ) -> None:
        self.config = config
        self.store = store
        self.translator = translator
        self.outbox = outbox
        self.review = review.Reviewer(config, store, translator, outbox)
        self.digests = digests
        self.clock = clock

    def _catalog(self, member: MemberRow) -> Catalog:
        return self.translator.for_language(member.language)

    # --- opening -----------------------------------------------------------------------------------------------

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

    # --- answering ---------------------------------------------------------------------------------------------

    async def press(self, telegram_user_id: int, data: str, message_id: int | None) -> str | None:
        """A button press. Returns the toast to show, if any."""
        round_id, _, rest = data.partition(":")
        step, _, code = rest.partition(":")
        action = decode_action(code)
        with self.outbox.at_once():
            return await self._press(telegram_user_id, round_id, step, action, message_id)

    async def _press(
        self, telegram_user_id: int, round_id: str, step: str, action: Any, message_id: int | None
    ) -> str | None:
        async with self.store.transaction() as store:
            member, round_row, participant, draft, screen = await store.presser(telegram_user_id, round_id)
            catalog = self.translator.for_language(member.language if member else self.config.default_language)
            if member is None or round_row is None or action is None:
                return catalog.gettext("This button is not valid.")
            if not round_row.is_open:
                return catalog.gettext("This check-in has closed; answers can no longer be changed.")
            loaded = await self._progress(round_row, participant, draft)
            if loaded is None or participant is None:
                return catalog.gettext("This button is not valid.")
            self.outbox.knows(member.telegram_user_id, participant.prompt_outbox_id, screen)
            flow, progress = loaded
            if step != step_token(progress):
                return catalog.gettext("This button is no longer active. Please use the latest message.")
            if isinstance(action, Reopen) and progress.status is Status.SUBMITTED:
                progress = await self._submitted(round_row, member, flow)
            result = apply(flow, progress, action)
            if isinstance(result, Rejection):
                return rejection_text(result, flow, progress, catalog)
            await self._after(
                round_row, member, flow, progress, result, action, catalog, message_id, participant.prompt_outbox_id
            )
        return None

    async def _focus_round(self, member: MemberRow) -> RoundRow | None:
        rounds = await self.store.open_rounds_of_member(member.id)
        for round_row in rounds:
            if round_row.id == member.focus_round_id:
                return round_row
        return rounds[-1] if rounds else None

    async def _load(self, round_row: RoundRow, member: MemberRow) -> tuple[Flow, Progress] | None:
        return await self._progress(round_row, await self.store.participant(round_row.id, member.id))

    async def _progress(
        self, round_row: RoundRow, participant: ParticipantRow | None, draft: Draft | None = None
    ) -> tuple[Flow, Progress] | None:
        """A participant's flow and progress (their draft read with it, unless the caller has it already)."""
        flow = self.config.member_flow(round_row.group_id, round_row.flow_id)
        if participant is None or flow is None:
            return None
        if draft is None:
            draft = await self.store.drafts_with_choices(round_row.id, participant.member_id)
        drafts, private, reply_ok = draft
        progress = Progress(
            Status(participant.status),
            participant.cursor,
            drafts,
            round_row.flow_number,
            participant.editing_one,
            participant.multi_selection,
            private,
            reply_ok,
            participant.composing,
        )
        return flow, progress

    async def _submitted(self, round_row: RoundRow, member: MemberRow, flow: Flow) -> Progress:
        """A submitted member's answers: their drafts, which stay theirs until the round closes."""
        drafts, private, reply_ok = await self.store.drafts_with_choices(round_row.id, member.id)
        answers = {question_id: value for question_id, value in drafts.items() if value is not None}
        submitted = Progress(
            Status.SUBMITTED, len(flow.questions), answers, round_row.flow_number, private=private, reply_ok=reply_ok
        )
        # Skipped questions store nothing; mark them as seen (None) so an edit does not ask them again.
        return replace(submitted, answers=visible_answers(flow, submitted))

    def _supervisor_language(self, group_id: str) -> str:
        return self.config.supervisors[self.config.groups[group_id].supervisor_id].language

    async def _after(
        self,
        round_row: RoundRow,
        member: MemberRow,
        flow: Flow,
        before: Progress,
        after: Progress,
        action: Any,
        catalog: Catalog,
        message_id: int | None,
        prompt_ref: int | None,
    ) -> None:
        """Persist the new progress and queue what the member sees next; `prompt_ref` is the outbox row of the
        screen they have in front of them."""
        chat = member.telegram_user_id
        if member.focus_round_id != round_row.id:
            await self.store.set_focus_round(member.id, round_row.id)
        if isinstance(action, WriteText):
            await self._echo(round_row, member, flow, before, after, catalog, prompt_ref)
            return
        if before.status is Status.ANSWERING and after.status is Status.ANSWERING and after.cursor == before.cursor:
            # A toggle on a multi-choice question: only its buttons change (☐/☑), the text above them stays.
            await self._save(round_row, member, after, prompt_ref)
            screen = question_screen(flow, round_row.id, after, catalog)
            await self.outbox.edit(chat, screen, message_id, prompt_ref, buttons_only=True)
            return
        if isinstance(action, REVIEW_VARIANTS):
            if isinstance(action, TogglePrivate):
                question_id = flow.questions[action.index].id
                await self.store.set_draft_private(round_row.id, member.id, question_id, question_id in after.private)
            if isinstance(action, ToggleReply):
                question_id = flow.questions[action.index].id
                await self.store.set_draft_reply_ok(round_row.id, member.id, question_id, question_id in after.reply_ok)
            modes = {
                ShowEditList: ReviewMode.EDIT,
                ShowReplyList: ReviewMode.REPLY,
                ToggleReply: ReviewMode.REPLY,
                ShowReview: ReviewMode.PLAIN,
            }
            mode = modes.get(type(action), ReviewMode.PRIVACY)
            screen = await self.review.screen(round_row, member, flow, after, catalog, mode)
            await self.outbox.edit(chat, screen, message_id, prompt_ref)
            return
        if isinstance(action, ShowFound | PutBack):
            screen = await self.review.removed(round_row, member, flow, after, action, catalog)
            await self.outbox.edit(chat, screen, message_id, prompt_ref)
            return
        if before.status is Status.ANSWERING and not isinstance(action, Back):
            question = flow.questions[before.cursor]
            await self.store.set_draft(round_row.id, member.id, question.id, after.answers.get(question.id))
        if isinstance(action, Submit):
            await self._submit(round_row, member, flow, after)
            thanks = submitted_screen(round_row.id, after, catalog)
            # The member's own record of what they sent stays in the chat, above the thanks.
            screen = Screen(f"{review_summary_text(flow, after, catalog)}\n\n{thanks.text}", thanks.keyboard)
        else:
            if isinstance(action, Reopen):
                for question_id, value in after.answers.items():
                    await self.store.set_draft(
                        round_row.id, member.id, question_id, value, private=question_id in after.private
                    )
            screen = await self._screen(round_row, member, flow, after, catalog)
            if before.status is Status.ANSWERING and after.status is Status.ANSWERING and not isinstance(action, Back):
                question = flow.questions[before.cursor]
                screen = after_answer(answered_line(flow, before, after.answers.get(question.id), catalog), screen)
        # The screen the member pressed on becomes the next one: one request per answer, and nothing left behind
        # with live buttons. The edit goes to the member's current screen (a copy of it further up, from before a
        # reminder's "Continue", loses its buttons through its own pending edit).
        prompt_ref = await self.outbox.replace(chat, screen, prompt_ref, message_id)
        await self._save(round_row, member, after, prompt_ref)

    async def _echo(
        self,
        round_row: RoundRow,
        member: MemberRow,
        flow: Flow,
        before: Progress,
        after: Progress,
        catalog: Catalog,
        prompt_ref: int | None,
    ) -> None:
        """A message added to a text answer: store the answer so far and show it with Next under it, at the bottom;
        the screen above (the question, or the previous echo) loses its buttons."""
        question = flow.questions[after.cursor]
        await self.store.set_draft(round_row.id, member.id, question.id, after.answers.get(question.id))
        chat = member.telegram_user_id
        ref = await self.outbox.send(chat, composing_screen(flow, round_row.id, after, catalog))
        await self._save(round_row, member, after, ref)
        if before.composing:
            left = composing_screen(flow, round_row.id, before, catalog, live=False)
            await self.outbox.edit(chat, left, None, prompt_ref, tidy=True)
        else:
            await self.outbox.remove_buttons(chat, prompt_ref)

    async def _screen(
        self, round_row: RoundRow, member: MemberRow, flow: Flow, progress: Progress, catalog: Catalog
    ) -> Screen:
        """The screen for where `progress` is: a question, the echo of a text being written, or the review."""
        if progress.status is Status.ANSWERING and progress.composing:
            return composing_screen(flow, round_row.id, progress, catalog)
        if progress.status is Status.ANSWERING:
            return question_screen(flow, round_row.id, progress, catalog)
        return await self.review.screen(round_row, member, flow, progress, catalog)

    async def _show(
        self,
        round_row: RoundRow,
        member: MemberRow,
        flow: Flow,
        progress: Progress,
        catalog: Catalog,
        dedupe: str | None = None,
        bulk: bool = False,
    ) -> None:
        screen = await self._screen(round_row, member, flow, progress, catalog)
        ref = await self.outbox.send(member.telegram_user_id, screen, dedupe=dedupe, bulk=bulk)
        await self._save(round_row, member, progress, ref)

    async def _save(self, round_row: RoundRow, member: MemberRow, progress: Progress, prompt_ref: int | None) -> None:
        await self.store.save_progress(
            round_row.id,
            member.id,
            status=progress.status.value,
            cursor=progress.cursor,
            editing_one=progress.editing_one,
            multi_selection=progress.multi_selection,
            prompt_outbox_id=prompt_ref,
            composing=progress.composing,
        )

    async def _submit(self, round_row: RoundRow, member: MemberRow, flow: Flow, progress: Progress) -> None:
        answers = {q.id: progress.answers.get(q.id) for q in flow.questions if q.id in progress.answers}
        await self.store.submit_drafts(round_row.id, member.id, answers, progress.private, progress.reply_ok)
        await self.store.clear_written_parts(round_row.id, member.id)
