"""The round lifecycle: open a round, take each member's answers, submit, close and hand the digest to the outbox.

`RoundService` is what the Telegram edge calls once it has read an update; opening (`opening.py`), text answers
(`writing.py`) and closing (`closing.py`) are its parts kept apart, pressing and submitting are here. Each public
method runs in one storage transaction, and every message it causes is queued in the outbox inside that same
transaction: an answer and the next question are committed together or not at all, so a restart loses nothing and
sends nothing twice (the outbox sender delivers what is queued). A button answer edits the member's current screen
into the next one, the answer on its first line: one request per answer, and an edit repeated after a crash changes
nothing. Methods return a short `Notice` for the edge to show at once (a callback toast or a direct reply) — never
anything that must survive a crash.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from checkins.config.app import AppConfig
from checkins.config.flows import Flow
from checkins.digest.service import DigestService
from checkins.i18n import Catalog, Translator
from checkins.messages import Screen
from checkins.outbox import Outbox
from checkins.rounds import review
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
from checkins.rounds.opening import RoundOpening
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
from checkins.rounds.writing import RoundWriting
from checkins.storage import MemberRow, ParticipantRow, RoundRow, Store
from checkins.storage.drafts import Draft

# Presses that redraw the review screen in place (one of its lists, or a toggle within one).
REVIEW_VARIANTS = (ShowEditList, ShowPrivacyList, TogglePrivate, ShowReplyList, ToggleReply, ShowReview)


class RoundService(RoundOpening, RoundWriting, RoundClosing):
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
