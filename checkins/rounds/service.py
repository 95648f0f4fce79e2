"""The round lifecycle: open a round, take each member's answers, submit, close and hand the digest to the outbox.

`RoundService` is what the Telegram edge calls once it has read an update. Each public method runs in one storage
transaction, and every message it causes is queued in the outbox inside that same transaction: an answer and the
next question are committed together or not at all, so a restart loses nothing and sends nothing twice (the outbox
sender delivers what is queued). Methods return a short `Notice` for the edge to show at once (a callback toast or a
direct reply) — never anything that must survive a crash.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum
from html import escape
from typing import Any

from checkins.config.app import AppConfig, GroupConfig
from checkins.config.flows import Flow, QuestionType
from checkins.digest.service import DigestService
from checkins.i18n import Catalog, Translator
from checkins.messages import Screen
from checkins.outbox import Outbox
from checkins.privacy.author_tags import author_tag
from checkins.privacy.scrubbing import group_redactor, placeholders
from checkins.rounds.announcements import announce_round
from checkins.rounds.answering import (
    Back,
    Progress,
    Rejection,
    Reopen,
    ShowEditList,
    ShowPrivacyList,
    Status,
    Submit,
    TogglePrivate,
    WriteText,
    apply,
    decode_action,
    step_token,
    visible_answers,
)
from checkins.rounds.closing import RoundClosing
from checkins.rounds.screens import (
    ReviewMode,
    answered_text,
    question_screen,
    rejection_text,
    review_screen,
    review_summary_text,
    submitted_screen,
)
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


class RoundService(RoundClosing):
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
        self.digests = digests
        self.clock = clock

    def _catalog(self, member: MemberRow) -> Catalog:
        return self.translator.for_language(member.language)

    # --- opening -----------------------------------------------------------------------------------------------

    async def open_round(self, group: GroupConfig) -> OpenResult:
        async with self.store.transaction() as store:
            if group.process_ended(await store.finished_at(group.id), self.clock(), self.config.timezone):
                return OpenResult(OpenOutcome.PROCESS_ENDED)
            if await store.open_round(group.id) is not None:
                return OpenResult(OpenOutcome.ALREADY_OPEN)
            members, paused = await self._askable_members(group)
            if not members:
                return OpenResult(OpenOutcome.NO_MEMBERS)
            round_row = await self._start_round(group, group.flow_id, members, paused)
        self.outbox.wake()
        return OpenResult(OpenOutcome.OPENED, round_row, len(members))

    async def open_scheduled_round(self, group: GroupConfig, flow_id: str, session_key: str) -> OpenResult:
        """Open the round of one session and flow — once, however often the timer asks."""
        async with self.store.transaction() as store:
            if group.process_ended(await store.finished_at(group.id), self.clock(), self.config.timezone):
                return OpenResult(OpenOutcome.PROCESS_ENDED)
            if await store.scheduled_round(group.id, session_key, flow_id) is not None:
                return OpenResult(OpenOutcome.ALREADY_OPEN)
            if (group.id, flow_id) in await store.open_round_flows():
                return OpenResult(OpenOutcome.ALREADY_OPEN)
            # Opened even when nobody can be asked, so the supervisor's digest says so at close.
            members, paused = await self._askable_members(group)
            round_row = await self._start_round(group, flow_id, members, paused)
            await store.link_scheduled_round(group.id, session_key, flow_id, round_row.id)
        self.outbox.wake()
        return OpenResult(OpenOutcome.OPENED, round_row, len(members))

    async def _askable_members(self, group: GroupConfig) -> tuple[list[MemberRow], int]:
        """Members to ask now, and how many are paused (they are neither asked nor counted)."""
        paused = await self.store.paused_member_ids(group.id, self.clock())
        members = [m for m in await self.store.group_members(group.id) if m.reachable and m.id not in paused]
        return members, len(paused)

    async def _start_round(self, group: GroupConfig, flow_id: str, members: list[MemberRow], paused: int) -> RoundRow:
        round_row = await self.store.create_round(group.id, flow_id, self.clock())
        await self.store.set_paused_count(round_row.id, paused)
        for member in members:
            await self._invite_to_round(round_row, member, bulk=True)
        await announce_round(self.store, self.outbox, self.translator, self.config, group, round_row)
        return round_row

    async def _invite_to_round(self, round_row: RoundRow, member: MemberRow, *, bulk: bool) -> None:
        """Add a member to an open round and queue the intro and first question (once, whatever happens)."""
        flow = self.config.member_flow(round_row.group_id, round_row.flow_id)
        assert flow is not None
        group = self.config.groups[round_row.group_id]
        catalog = self._catalog(member)
        await self.store.add_participant(round_row.id, member.id)
        await self.store.set_focus_round(member.id, round_row.id)
        intro = (
            f"<b>{escape(flow.title.get(member.language))}</b> · {escape(group.name)}\n\n"
            f"{escape(flow.intro.get(member.language))}"
        )
        await self.outbox.send(
            member.telegram_user_id, Screen(intro), dedupe=f"intro:{round_row.id}:{member.id}", bulk=bulk
        )
        progress = Progress.start(flow, round_row.flow_number)
        await self._show(
            round_row, member, flow, progress, catalog, dedupe=f"first:{round_row.id}:{member.id}", bulk=bulk
        )

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
            loaded = await self._load(round_row, member)
            if loaded is None or loaded[1].status is Status.SUBMITTED:
                continue
            flow, progress = loaded
            await self._show(round_row, member, flow, progress, self._catalog(member))
            resent += 1
        return resent

    # --- answering ---------------------------------------------------------------------------------------------

    async def press(self, telegram_user_id: int, data: str, message_id: int | None) -> str | None:
        """A button press. Returns the toast to show, if any."""
        round_id, _, rest = data.partition(":")
        step, _, code = rest.partition(":")
        action = decode_action(code)
        async with self.store.transaction() as store:
            member = await store.member_by_telegram_id(telegram_user_id)
            round_row = await store.round_by_id(round_id) if round_id else None
            catalog = self.translator.for_language(member.language if member else self.config.default_language)
            if member is None or round_row is None or action is None:
                return catalog.gettext("This button is not valid.")
            if not round_row.is_open:
                return catalog.gettext("This check-in has closed; answers can no longer be changed.")
            loaded = await self._load(round_row, member)
            if loaded is None:
                return catalog.gettext("This button is not valid.")
            flow, progress = loaded
            if step != step_token(progress):
                return catalog.gettext("This button is no longer active. Please use the latest message.")
            if isinstance(action, Reopen) and progress.status is Status.SUBMITTED:
                progress = await self._submitted(round_row, member, flow)
            result = apply(flow, progress, action)
            if isinstance(result, Rejection):
                return rejection_text(result, flow, progress, catalog)
            await self._after(round_row, member, flow, progress, result, action, catalog, message_id)
        self.outbox.wake()
        return None

    async def write(self, telegram_user_id: int, text: str, message_id: int | None = None) -> str | None:
        """A text message from a member. Returns a direct reply when the text could not be used."""
        async with self.store.transaction() as store:
            member = await store.member_by_telegram_id(telegram_user_id)
            if member is None:
                return None
            catalog = self._catalog(member)
            round_row = await self._focus_round(member)
            if round_row is None:
                return catalog.gettext(
                    "There is no open check-in for you right now. I will message you when one opens."
                )
            loaded = await self._load(round_row, member)
            if loaded is None:
                return None
            flow, progress = loaded
            if progress.status is Status.SUBMITTED:
                return catalog.gettext("Your answers are already submitted. Press “Change my answers” to edit them.")
            action = WriteText(text)
            result = apply(flow, progress, action)
            if isinstance(result, Rejection):
                return rejection_text(result, flow, progress, catalog)
            if message_id is not None:
                question_id = flow.questions[progress.cursor].id
                await store.remember_written(round_row.id, member.id, message_id, question_id)
            await self._after(round_row, member, flow, progress, result, action, catalog, None)
        self.outbox.wake()
        return None

    async def edit_written(self, telegram_user_id: int, message_id: int, text: str) -> str | None:
        """A member edited a message that answered a question: update the draft while it can still change.

        Returns what to tell the member: that the answer was updated, or why it was not.
        """
        async with self.store.transaction() as store:
            member = await store.member_by_telegram_id(telegram_user_id)
            if member is None:
                return None
            catalog = self._catalog(member)
            not_changed = catalog.gettext(
                "Editing that message did not change your answers: it is not an answer to an open check-in."
            )
            written = await store.written_answer(member.id, message_id)
            round_row = await store.round_by_id(written[0]) if written else None
            loaded = await self._load(round_row, member) if round_row is not None and round_row.is_open else None
            if written is None or round_row is None or loaded is None:
                return not_changed
            flow, progress = loaded
            if progress.status is Status.SUBMITTED:
                return catalog.gettext(
                    "Your answers are already submitted, so the edit did not change them. "
                    "Press “Change my answers” to edit them."
                )
            question = next((q for q in flow.questions if q.id == written[1]), None)
            if question is None or question.id not in progress.answers:
                return not_changed
            at_question = progress.at(Status.ANSWERING, flow.questions.index(question))
            result = apply(flow, at_question, WriteText(text))
            if isinstance(result, Rejection):
                return rejection_text(result, flow, at_question, catalog)
            value = result.answers.get(question.id)
            await store.set_draft(round_row.id, member.id, question.id, value)
            if progress.status is Status.REVIEW:
                participant = await store.participant(round_row.id, member.id)
                updated = replace(progress, answers={**progress.answers, question.id: value})
                preview = await self._preview(round_row, flow, updated, catalog)
                screen = review_screen(flow, round_row.id, updated, catalog, preview=preview)
                prompt_ref = participant.prompt_outbox_id if participant else None
                await self.outbox.edit(member.telegram_user_id, screen, None, prompt_ref)
        self.outbox.wake()
        return catalog.gettext("Your answer to “{question}” was updated.").format(
            question=question.text.get(member.language)
        )

    async def not_text(self, telegram_user_id: int) -> str | None:
        """A sticker, photo, voice message or file: tell the member what is expected instead."""
        async with self.store.transaction() as store:
            member = await store.member_by_telegram_id(telegram_user_id)
            if member is None:
                return None
            catalog = self._catalog(member)
            round_row = await self._focus_round(member)
            if round_row is None:
                return catalog.gettext("I can only read text messages and button presses.")
            loaded = await self._load(round_row, member)
            if loaded is None:
                return None
            flow, progress = loaded
            question = flow.questions[progress.cursor] if progress.status is Status.ANSWERING else None
            if question is not None and question.type.value == "text":
                return catalog.gettext("I can only save text answers. Please write your answer as a message.")
            return catalog.gettext("Please answer with the buttons.")

    async def _focus_round(self, member: MemberRow) -> RoundRow | None:
        rounds = await self.store.open_rounds_of_member(member.id)
        for round_row in rounds:
            if round_row.id == member.focus_round_id:
                return round_row
        return rounds[-1] if rounds else None

    async def _load(self, round_row: RoundRow, member: MemberRow) -> tuple[Flow, Progress] | None:
        participant = await self.store.participant(round_row.id, member.id)
        flow = self.config.member_flow(round_row.group_id, round_row.flow_id)
        if participant is None or flow is None:
            return None
        drafts, private = await self.store.drafts(round_row.id, member.id)
        progress = Progress(
            Status(participant.status),
            participant.cursor,
            drafts,
            round_row.flow_number,
            participant.editing_one,
            participant.multi_selection,
            private,
        )
        return flow, progress

    async def _submitted(self, round_row: RoundRow, member: MemberRow, flow: Flow) -> Progress:
        """A submitted member's answers, read back through the tags only they can compute while the round is open."""
        assert round_row.secret is not None
        tags = {q.id: author_tag(round_row.secret, member.id, q.id) for q in flow.questions}
        answers, private = await self.store.answers_by_tags(tags)
        submitted = Progress(Status.SUBMITTED, len(flow.questions), answers, round_row.flow_number, private=private)
        # Skipped questions store nothing; mark them as seen (None) so an edit does not ask them again.
        return replace(submitted, answers=visible_answers(flow, submitted))

    async def _preview(self, round_row: RoundRow, flow: Flow, progress: Progress, catalog: Catalog) -> dict[str, str]:
        """For each free-text answer that scrubbing changes, the text the supervisor will see."""
        redactor = await group_redactor(self.store, self.config.groups[round_row.group_id])
        marks = placeholders(self.translator.for_language(self._supervisor_language(round_row.group_id)))
        preview = {}
        for question in flow.questions:
            value = progress.answers.get(question.id)
            if question.type is QuestionType.TEXT and isinstance(value, str):
                scrubbed = redactor.redact(value, marks)
                if scrubbed != value:
                    preview[question.id] = scrubbed
        return preview

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
    ) -> None:
        """Persist the new progress and queue what the member sees next."""
        chat = member.telegram_user_id
        await self.store.set_focus_round(member.id, round_row.id)
        participant = await self.store.participant(round_row.id, member.id)
        prompt_ref = participant.prompt_outbox_id if participant else None
        if before.status is Status.ANSWERING and after.status is Status.ANSWERING and after.cursor == before.cursor:
            # A toggle on a multi-choice question: redraw the same message.
            await self._save(round_row, member, after, prompt_ref)
            await self.outbox.edit(chat, question_screen(flow, round_row.id, after, catalog), message_id, prompt_ref)
            return
        if isinstance(action, ShowEditList | ShowPrivacyList | TogglePrivate):
            if isinstance(action, TogglePrivate):
                question_id = flow.questions[action.index].id
                await self.store.set_draft_private(round_row.id, member.id, question_id, question_id in after.private)
            mode = ReviewMode.EDIT if isinstance(action, ShowEditList) else ReviewMode.PRIVACY
            preview = await self._preview(round_row, flow, after, catalog)
            screen = review_screen(flow, round_row.id, after, catalog, mode=mode, preview=preview)
            await self.outbox.edit(chat, screen, message_id, prompt_ref)
            return
        if before.status is Status.ANSWERING:
            question = flow.questions[before.cursor]
            if isinstance(action, Back):
                text = answered_text(flow, before, before.answers.get(question.id), catalog)
            else:
                text = answered_text(flow, before, after.answers.get(question.id), catalog)
                await self.store.set_draft(round_row.id, member.id, question.id, after.answers.get(question.id))
        elif before.status is Status.REVIEW:
            text = review_summary_text(flow, before, catalog)
        else:
            text = catalog.gettext("Your answers are open for changes again.")
        if isinstance(action, Submit):
            await self._submit(round_row, member, flow, after)
            ref = await self.outbox.send(chat, submitted_screen(round_row.id, after, catalog))
            await self._save(round_row, member, after, ref)
        else:
            if isinstance(action, Reopen):
                for question_id, value in after.answers.items():
                    await self.store.set_draft(
                        round_row.id, member.id, question_id, value, private=question_id in after.private
                    )
            await self._show(round_row, member, flow, after, catalog)
        # The screen just left is marked after the next one is queued: a chat's items go out in order, so the member
        # gets their next question first, and when many answer at once these edits wait behind everyone's.
        await self.outbox.edit(chat, Screen(text), message_id, prompt_ref, tidy=True)

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
        if progress.status is Status.ANSWERING:
            screen = question_screen(flow, round_row.id, progress, catalog)
        else:
            preview = await self._preview(round_row, flow, progress, catalog)
            screen = review_screen(flow, round_row.id, progress, catalog, preview=preview)
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
        )

    async def _submit(self, round_row: RoundRow, member: MemberRow, flow: Flow, progress: Progress) -> None:
        assert round_row.secret is not None
        tagged = {
            q.id: (author_tag(round_row.secret, member.id, q.id), progress.answers.get(q.id)) for q in flow.questions
        }
        await self.store.replace_answers(round_row.id, tagged, progress.private)
        await self.store.delete_drafts(round_row.id, member.id)
