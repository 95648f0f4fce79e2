"""A member's control over their own data: see what is stored (`/mydata`), erase it (`/forgetme`), leave a group.

What the bot stores about a person is small: their Telegram id, names (kept only to scrub them from free text),
language and groups; while a round is open, their progress and drafts; and, until a closed round's reply window
ends, answers that can be linked back to them through the round's secret. Erasing removes all of it — including the
still-linkable answers, found through the author tags — and drops any message still waiting for them in the outbox.
Answers of rounds whose secret is already destroyed cannot be found, by anyone, and stay in the anonymous digest data
until retention deletes them; the report says so honestly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from html import escape

from checkins.config.app import AppConfig
from checkins.i18n import Translator
from checkins.privacy.author_tags import author_tag
from checkins.storage import MemberRow, Store


@dataclass(frozen=True)
class ErasureReport:
    groups_left: int
    answers_erased: int


class PersonalDataService:
    def __init__(self, config: AppConfig, store: Store, translator: Translator, clock: Callable[[], float]) -> None:
        self.config = config
        self.store = store
        self.translator = translator
        self.clock = clock

    async def _linkable_tags(self, member: MemberRow) -> dict[str, list[bytes]]:
        """Per round that still has a secret, the author tags this member's answers would carry."""
        tags: dict[str, list[bytes]] = {}
        for round_row in await self.store.rounds_with_secret():
            flow = self.config.flows.get(round_row.flow_id)
            if flow is None or round_row.secret is None:
                continue
            tags[round_row.id] = [author_tag(round_row.secret, member.id, q.id) for q in flow.questions]
        return tags

    async def report(self, telegram_user_id: int) -> str | None:
        """What is stored about this person, in their language, as Telegram HTML; None for a stranger."""
        async with self.store.transaction() as store:
            member = await store.member_by_telegram_id(telegram_user_id)
            if member is None:
                return None
            group_ids = await store.member_group_ids(member.id)
            open_rounds = await store.open_rounds_of_member(member.id)
            linkable = 0
            for tags in (await self._linkable_tags(member)).values():
                linkable += await store.count_answers_by_tags(tags)
        catalog = self.translator.for_language(member.language)
        names = " ".join(n for n in (member.first_name, member.last_name) if n) or "–"
        groups = ", ".join(self.config.groups[g].name for g in group_ids if g in self.config.groups) or "–"
        title = catalog.gettext("What Kierros stores about you")
        lines = [
            f"<b>{escape(title)}</b>",
            escape(catalog.gettext("Telegram id: {id}").format(id=member.telegram_user_id)),
            escape(catalog.gettext("Name: {name} (kept only to remove it from answers)").format(name=names)),
            escape(catalog.gettext("Username: {username}").format(username=member.username or "–")),
            escape(catalog.gettext("Language: {language}").format(language=member.language)),
            escape(catalog.gettext("Groups: {groups}").format(groups=groups)),
            escape(
                catalog.ngettext(
                    "Open check-ins: {count} (your progress and drafts are kept until it closes)",
                    "Open check-ins: {count} (your progress and drafts are kept until they close)",
                    len(open_rounds),
                ).format(count=len(open_rounds))
            ),
            escape(
                catalog.ngettext(
                    "{count} answer can still be linked to you (until its round closes and its reply window ends).",
                    "{count} answers can still be linked to you (until their round closes and its reply window ends).",
                    linkable,
                ).format(count=linkable)
            ),
            "",
            escape(
                catalog.gettext(
                    "Answers of earlier check-ins are anonymous: nothing links them to you, so nobody — not even the "
                    "person running the bot — can find them. They are deleted {days} days after their round closed."
                ).format(days=self.config.privacy.retention_days)
            ),
            escape(catalog.gettext("/forgetme erases everything above.")),
        ]
        return "\n".join(lines)

    async def forget(self, telegram_user_id: int) -> ErasureReport | None:
        """Erase the person and every answer that can still be linked to them."""
        async with self.store.transaction() as store:
            member = await store.member_by_telegram_id(telegram_user_id)
            if member is None:
                return None
            groups = await store.member_group_ids(member.id)
            erased = 0
            for tags in (await self._linkable_tags(member)).values():
                erased += await store.delete_answers_by_tags(tags)
            await store.drop_pending_for_chat(telegram_user_id)
            await store.delete_member(member.id)
        return ErasureReport(len(groups), erased)

    async def leave(self, telegram_user_id: int, group_id: str) -> bool:
        """Leave one group: no more check-ins from it; an unfinished draft in its open round is dropped."""
        async with self.store.transaction() as store:
            member = await store.member_by_telegram_id(telegram_user_id)
            if member is None or not await store.remove_membership(group_id, member.id):
                return False
            open_round = await store.open_round(group_id)
            if open_round is not None:
                participant = await store.participant(open_round.id, member.id)
                if participant is not None and participant.status != "submitted":
                    await store.remove_participant(open_round.id, member.id)
            return True
