"""What a member types: text answers written in one message or several, edits of those messages, and words typed
where buttons were expected.

`RoundWriting` is the typing half of `RoundService` (checkins/rounds/service.py). While a text question is current,
every message belongs to it: the first replaces an earlier answer, the next ones are added to it, and each is
remembered with its text so that editing any of them rebuilds the answer; the member moves on with Next. A message
typed on a button question is neither stored nor dropped silently: the question comes back at the bottom of the chat
saying that the words were not saved and reached nobody.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from checkins.config.app import AppConfig
from checkins.config.flows import Flow, QuestionType
from checkins.i18n import Catalog, Translator
from checkins.outbox import Outbox
from checkins.rounds.answering import Progress, Rejection, Status, WriteText, apply, join_parts
from checkins.rounds.review import Reviewer, typed_word
from checkins.rounds.screens import (
    composing_screen,
    not_saved_screen,
    rejection_text,
)
from checkins.storage import MemberRow, RoundRow, Store


class RoundWriting:
    """Text-message methods of `RoundService`, which provides these attributes and the helpers named below."""

    config: AppConfig
    store: Store
    translator: Translator
    outbox: Outbox
    clock: Callable[[], float]
    # Provided by RoundService.
    _catalog: Callable[[MemberRow], Catalog]
    _focus_round: Callable[[MemberRow], Any]
    _load: Callable[[RoundRow, MemberRow], Any]
    _after: Callable[..., Any]
    _save: Callable[..., Any]
    review: Reviewer

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
            if progress.status is Status.REVIEW and (word := typed_word(text)) is not None:
                removed = await self.review.remove_typed(round_row, member, flow, progress, catalog, word)
                if removed is not None:
                    self.outbox.wake()
                    return removed
            action = WriteText(text)
            result = apply(flow, progress, action)
            if result is Rejection.NEEDS_BUTTON and progress.status is Status.ANSWERING:
                await self._show_again(round_row, member, flow, progress, text, catalog)
                self.outbox.wake()
                return None
            if isinstance(result, Rejection):
                return rejection_text(result, flow, progress, catalog)
            question_id = flow.questions[progress.cursor].id
            if not progress.composing:
                # The first message of a visit replaces the answer: the messages of the old one no longer count.
                await store.forget_written(round_row.id, member.id, question_id)
            if message_id is not None:
                await store.remember_written(round_row.id, member.id, message_id, question_id, text)
            prompt_ref = await store.prompt_ref(round_row.id, member.id)
            await self._after(round_row, member, flow, progress, result, action, catalog, None, prompt_ref)
        self.outbox.wake()
        return None

    async def _show_again(
        self, round_row: RoundRow, member: MemberRow, flow: Flow, progress: Progress, text: str, catalog: Catalog
    ) -> None:
        """Words typed on a button question: say they were not saved, and show the question again below them."""
        prompt_ref = await self.store.prompt_ref(round_row.id, member.id)
        chat = member.telegram_user_id
        ref = await self.outbox.send(chat, not_saved_screen(flow, round_row.id, progress, text, catalog))
        await self._save(round_row, member, progress, ref)
        await self.outbox.remove_buttons(chat, prompt_ref)

    async def edit_written(self, telegram_user_id: int, message_id: int, text: str) -> str | None:
        """A member edited a message that answered a question: rebuild that draft answer while it can still change.

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
            parts = await store.written_parts(round_row.id, member.id, question.id)
            if len(parts) > 1 and any(part is None for _, part in parts):
                # Submitted and reopened: the texts of the single messages are gone, only the whole answer is left.
                return not_changed
            texts = [text if written_id == message_id else part or "" for written_id, part in parts]
            at_question = progress.at(Status.ANSWERING, flow.questions.index(question))
            value = join_parts(question, texts)
            if isinstance(value, Rejection):
                return rejection_text(value, flow, at_question, catalog)
            await store.remember_written(round_row.id, member.id, message_id, question.id, text)
            await store.set_draft(round_row.id, member.id, question.id, value)
            updated = replace(progress, answers={**progress.answers, question.id: value})
            await self._redraw(round_row, member, flow, updated, question.id, catalog)
        self.outbox.wake()
        return catalog.gettext("Your answer to “{question}” was updated.").format(
            question=question.text.get(member.language)
        )

    async def _redraw(
        self, round_row: RoundRow, member: MemberRow, flow: Flow, progress: Progress, question_id: str, catalog: Catalog
    ) -> None:
        """After an edit, the live screen shows the new answer: the review, or the echo of the answer being written."""
        prompt_ref = await self.store.prompt_ref(round_row.id, member.id)
        writing = progress.composing and flow.questions[progress.cursor].id == question_id
        if progress.status is Status.REVIEW:
            screen = await self.review.screen(round_row, member, flow, progress, catalog)
        elif progress.status is Status.ANSWERING and writing:
            screen = composing_screen(flow, round_row.id, progress, catalog)
        else:
            return
        await self.outbox.edit(member.telegram_user_id, screen, None, prompt_ref)

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
            if question is not None and question.type is QuestionType.TEXT:
                return catalog.gettext("I can only save text answers. Please write your answer as a message.")
            return catalog.gettext("Please answer with the buttons.")
