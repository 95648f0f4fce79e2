"""The member's review of redaction: what was taken from their free-text answers, and their say over it.

Before Submit the review screen shows each answer as the supervisor will get it; below the answers a short line per
finding ("Removed a name: Matti Virtanen → [name]"). "What was removed" lists the names the scrubber guessed (names
nobody configured) with a button to put each back — a member's or a configured name, a contact detail or a birth date
cannot be put back. A word the scrubber missed is removed by writing it as a message on the review screen: it is
found in any inflected form, like a configured name, and replaced in the draft itself. What the member confirms is
what the supervisor sees: the words put back travel with the answer and are honoured when the round's texts are
scrubbed at close.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from html import escape

from checkins.config.app import AppConfig
from checkins.config.flows import Flow, QuestionType
from checkins.i18n import Catalog, Translator
from checkins.messages import Button, Screen, shorten
from checkins.outbox import Outbox
from checkins.privacy.folding import skeleton
from checkins.privacy.name_matching import NameIndex, NameRule
from checkins.privacy.redaction import RedactionKind, Redactor, normalise
from checkins.privacy.scrubbing import group_redactor, placeholders
from checkins.rounds.answering import Progress, PutBack, ShowFound, ShowReview
from checkins.rounds.screens import ReviewMode, callback_data, review_screen
from checkins.storage import MemberRow, RoundRow, Store

_NAMES = frozenset({RedactionKind.NAME, RedactionKind.FOUND_NAME, RedactionKind.MENTION})
SHOWN_LINES = 5  # a phone screen: the rest is counted, not listed
PUT_BACK_BUTTONS = 8
WORD_CHARS = 40  # a word or name typed for removal; longer text is an answer, not a word
BUTTON_CHARS = 40


@dataclass(frozen=True)
class Removed:
    question_id: str
    text: str  # as the member wrote it
    placeholder: str
    name: bool  # a person's name or handle, not a contact detail, date or address
    guessed: bool  # a name nobody configured: the member may put it back


@dataclass(frozen=True)
class Preview:
    texts: dict[str, str]  # question id → what the supervisor sees, where scrubbing changes the answer
    removed: tuple[Removed, ...]  # in shared answers, in order

    @property
    def guessed(self) -> tuple[Removed, ...]:
        """The names that may be put back, each once."""
        seen: dict[tuple[str, str], Removed] = {}
        for item in self.removed:
            if item.guessed:
                seen.setdefault((item.question_id, item.text.casefold()), item)
        return tuple(seen.values())


def preview(
    redactor: Redactor,
    flow: Flow,
    progress: Progress,
    marks: Mapping[RedactionKind, str],
    kept: Mapping[str, tuple[str, ...]],
) -> Preview:
    texts: dict[str, str] = {}
    removed: list[Removed] = []
    for question in flow.questions:
        value = progress.answers.get(question.id)
        if question.type is not QuestionType.TEXT or not isinstance(value, str):
            continue
        words = kept.get(question.id, ())
        scrubbed = redactor.redact(value, marks, kept=words)
        if scrubbed != value:
            texts[question.id] = scrubbed
        if question.id in progress.private:
            continue
        written = normalise(value)
        for kind, start, end in redactor.findings(value, kept=words):
            placeholder = marks.get(kind, "[…]")
            guessed = kind is RedactionKind.FOUND_NAME
            removed.append(Removed(question.id, written[start:end], placeholder, kind in _NAMES, guessed))
    return Preview(texts, tuple(removed))


def removed_lines(found: Preview, catalog: Catalog) -> tuple[str, ...]:
    """The short lines under the answers, as HTML: one per finding, the rest counted."""
    lines = []
    for item in found.removed[:SHOWN_LINES]:
        template = (
            catalog.gettext("Removed a name: {found} → {placeholder}")
            if item.name
            else catalog.gettext("Removed: {found} → {placeholder}")
        )
        lines.append(escape(template.format(found=shorten(item.text, BUTTON_CHARS), placeholder=item.placeholder)))
    if len(found.removed) > SHOWN_LINES:
        more = len(found.removed) - SHOWN_LINES
        lines.append(escape(catalog.ngettext("…and {count} more", "…and {count} more", more).format(count=more)))
    return tuple(lines)


def removed_screen(round_id: str, progress: Progress, found: Preview, catalog: Catalog) -> Screen:
    """The list of what was removed, with a button to put back each guessed name, and how to remove more."""
    lines = "\n".join(removed_lines(found, catalog)) or escape(catalog.gettext("Nothing was removed."))
    guide = catalog.gettext(
        "Tap a name to put it back if it is not a person. The names of your group's members, the names set for the "
        "group and contact details always stay removed. To remove something I missed, write it here as a message."
    )
    rows = [
        (Button(f"↩ {shorten(item.text, BUTTON_CHARS)}", callback_data(round_id, progress, PutBack(index))),)
        for index, item in enumerate(found.guessed[:PUT_BACK_BUTTONS])
    ]
    rows.append((Button("← " + catalog.gettext("Back"), callback_data(round_id, progress, ShowReview())),))
    title = catalog.gettext("What was removed")
    return Screen(f"<b>{escape(title)}</b>\n\n{lines}\n\n{escape(guide)}", tuple(rows))


def remove_word(text: str, word: str, placeholder: str) -> str | None:
    """`text` with every form of `word` (as a configured name would be found) replaced, or None if it is not there."""
    written = normalise(text)
    plain = skeleton(written)
    words = skeleton(normalise(word)).split()
    # A phrase only as a whole ("on the ward" must not take every "on"); one word in any of its forms.
    rule = NameRule.for_full_name(words) if len(words) > 1 else NameRule.for_word(words[0])
    spans = list(NameIndex((rule,)).spans(plain))
    if not spans:
        return None
    pieces, last = [], 0
    for start, end in sorted(spans):
        if start < last:
            continue
        pieces += [written[last:start], placeholder]
        last = end
    pieces.append(written[last:])
    return "".join(pieces)


def typed_word(text: str) -> str | None:
    """A message on the review screen that names a word to remove: short and on one line."""
    word = text.strip()
    return word if 1 < len(word) <= WORD_CHARS and "\n" not in word else None


async def put_back(store: Store, round_id: str, member_id: int, found: Preview, index: int) -> bool:
    """Keep the `index`-th guessed name of `found` in its answer from now on; False if there is no such name."""
    if not 0 <= index < min(len(found.guessed), PUT_BACK_BUTTONS):
        return False
    item = found.guessed[index]
    kept = await store.drafts_kept(round_id, member_id)
    await store.set_draft_kept(round_id, member_id, item.question_id, (*kept.get(item.question_id, ()), item.text))
    return True


async def remove_typed(
    store: Store, round_id: str, member_id: int, flow: Flow, progress: Progress, word: str, placeholder: str
) -> bool:
    """Remove `word` in every form from the member's free-text drafts; False if none of them has it."""
    changed = False
    for question in flow.questions:
        value = progress.answers.get(question.id)
        if question.type is QuestionType.TEXT and isinstance(value, str):
            new = remove_word(value, word, placeholder)
            if new is not None:
                await store.set_draft(round_id, member_id, question.id, new)
                changed = True
    return changed


class Reviewer:
    """The review screen with what redaction took, and the member's actions on it, for `RoundService`."""

    def __init__(self, config: AppConfig, store: Store, translator: Translator, outbox: Outbox) -> None:
        self.config = config
        self.store = store
        self.translator = translator
        self.outbox = outbox

    def _marks(self, round_row: RoundRow) -> dict[RedactionKind, str]:
        group = self.config.groups[round_row.group_id]
        return placeholders(self.translator.for_language(self.config.supervisors[group.supervisor_id].language))

    async def preview(self, round_row: RoundRow, member: MemberRow, flow: Flow, progress: Progress) -> Preview:
        """Each free-text answer as the supervisor will see it (with the words put back), and what was taken."""
        if not any(
            question.type is QuestionType.TEXT and isinstance(progress.answers.get(question.id), str)
            for question in flow.questions
        ):
            return Preview({}, ())  # nothing to scrub: no need for the group's names (a query and a redactor)
        redactor = await group_redactor(self.store, self.config.groups[round_row.group_id])
        kept = await self.store.drafts_kept(round_row.id, member.id)
        return preview(redactor, flow, progress, self._marks(round_row), kept)

    async def screen(
        self,
        round_row: RoundRow,
        member: MemberRow,
        flow: Flow,
        progress: Progress,
        catalog: Catalog,
        mode: ReviewMode = ReviewMode.PLAIN,
    ) -> Screen:
        """The review screen (see `screens.review_screen`) with the lines saying what was removed."""
        found = await self.preview(round_row, member, flow, progress)
        lines = removed_lines(found, catalog)
        return review_screen(flow, round_row.id, progress, catalog, mode=mode, preview=found.texts, removed=lines)

    async def removed(
        self,
        round_row: RoundRow,
        member: MemberRow,
        flow: Flow,
        progress: Progress,
        action: ShowFound | PutBack | ShowReview,
        catalog: Catalog,
    ) -> Screen:
        """The screen after "What was removed", a name put back, or "Back" from that list."""
        found = await self.preview(round_row, member, flow, progress)
        if isinstance(action, PutBack) and await put_back(self.store, round_row.id, member.id, found, action.index):
            found = await self.preview(round_row, member, flow, progress)
        if isinstance(action, ShowReview) or not found.removed:
            return await self.screen(round_row, member, flow, progress, catalog)
        return removed_screen(round_row.id, progress, found, catalog)

    async def remove_typed(
        self, round_row: RoundRow, member: MemberRow, flow: Flow, progress: Progress, catalog: Catalog, word: str
    ) -> str | None:
        """A word written on the review screen: removed from the free-text drafts and the review redrawn; the reply,
        or None when no answer has it (then it is text where buttons are expected)."""
        placeholder = self._marks(round_row)[RedactionKind.NAME]
        if not await remove_typed(self.store, round_row.id, member.id, flow, progress, word, placeholder):
            return None
        drafts, _private = await self.store.drafts(round_row.id, member.id)
        updated = replace(progress, answers={**progress.answers, **drafts})
        screen = await self.screen(round_row, member, flow, updated, catalog)
        prompt_ref = await self.store.prompt_ref(round_row.id, member.id)
        await self.outbox.edit(member.telegram_user_id, screen, None, prompt_ref)
        return catalog.gettext("Removed “{word}” from your answers.").format(word=word)
