"""A member's control over their own data: see what is stored (`/mydata`), erase it (`/forgetme`), leave a group.

What the bot stores about a person is small: their Telegram id, names (kept only to scrub them from free text),
language, settings and groups; while a round is open, their progress and answers (submitted or not, still theirs
until the close); and, until a closed round's reply window ends, the answers they allowed a reply to, linked back to
them through the round's secret. Erasing removes the person, their open rounds' answers and every outbox row for
their chat, and unlinks those reply-allowed answers: a closed round's digest is fixed at close, so no answer leaves
it later (a re-sent digest that lost a leaver's texts would name them). Answers of closed rounds cannot be found by
anyone else and stay until retention deletes them; the report says so honestly. Leaving one's last group erases the
person the same way. After each of these, the files on disk are cleaned (`Store.scrub_disk`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from html import escape

from checkins.config.app import AppConfig
from checkins.formatting import format_date_time
from checkins.i18n import Catalog, Translator
from checkins.privacy.author_tags import author_tag
from checkins.storage import MemberRow, MemberSettings, Store


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
            consented = {g for g in group_ids if await store.attributed_consent(g, member.id)}
            open_rounds = await store.open_rounds_of_member(member.id)
            in_open_rounds = await store.count_drafts_of_member(member.id)
            replyable = 0
            for tags in (await self._linkable_tags(member)).values():
                replyable += await store.count_answers_by_tags(tags)
            settings = await store.member_settings(member.id)
        catalog = self.translator.for_language(member.language)
        names = " ".join(n for n in (member.first_name, member.last_name) if n) or "–"
        by_name = catalog.gettext("{group} (you agreed that your answers are read under your name)")
        groups = (
            ", ".join(
                by_name.format(group=self.config.groups[g].name) if g in consented else self.config.groups[g].name
                for g in group_ids
                if g in self.config.groups
            )
            or "–"
        )
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
            escape(self._settings_line(settings, catalog)),
            escape(
                catalog.ngettext(
                    "{count} answer in open check-ins is linked to you until the check-in closes.",
                    "{count} answers in open check-ins are linked to you until the check-in closes.",
                    in_open_rounds,
                ).format(count=in_open_rounds)
            ),
            escape(
                catalog.ngettext(
                    "{count} answer of a closed check-in stays linked to you, because you let your supervisor reply "
                    "to it, until the reply window ends.",
                    "{count} answers of closed check-ins stay linked to you, because you let your supervisor reply "
                    "to them, until the reply window ends.",
                    replyable,
                ).format(count=replyable)
            ),
            "",
            escape(
                catalog.gettext(
                    "Other answers of closed check-ins are anonymous: nothing links them to you, so nobody — not even "
                    "the person running the bot — can find them. They are deleted {days} days after their round "
                    "closed."
                ).format(days=self.config.privacy.retention_days)
            ),
            escape(catalog.gettext("/forgetme erases everything above and unlinks the answers you let be replied to.")),
        ]
        return "\n".join(lines)

    def _settings_line(self, settings: MemberSettings, catalog: Catalog) -> str:
        reminders = catalog.gettext("Reminders: on") if settings.reminders else catalog.gettext("Reminders: off")
        if not settings.is_paused(self.clock()):
            paused = catalog.gettext("check-ins not paused")
        elif settings.paused_until is None:
            paused = catalog.gettext("check-ins paused until /resume")
        else:
            until = format_date_time(settings.paused_until, self.config.timezone, catalog.language)
            paused = catalog.gettext("check-ins paused until {date}").format(date=until)
        return f"{reminders} · {paused}"

    async def forget(self, telegram_user_id: int) -> ErasureReport | None:
        """Erase the person and their open rounds' answers; unlink what they allowed a reply to in closed rounds."""
        async with self.store.transaction() as store:
            member = await store.member_by_telegram_id(telegram_user_id)
            if member is None:
                return None
            groups = await store.member_group_ids(member.id)
            erased = await store.count_drafts_of_member(member.id)
            for tags in (await self._linkable_tags(member)).values():
                await store.unlink_answers_by_tags(tags)
            await store.delete_outbox_for_chat(telegram_user_id)
            await store.delete_member(member.id)
        await self.store.scrub_disk()
        return ErasureReport(len(groups), erased)

    async def leave(self, telegram_user_id: int, group_id: str) -> bool:
        """Leave one group: no more check-ins from it; an unfinished draft in its open round is dropped. A
        submission stays in the round (it closes with it); leaving the last group erases the person."""
        async with self.store.transaction() as store:
            member = await store.member_by_telegram_id(telegram_user_id)
            if member is None or not await store.remove_membership(group_id, member.id):
                return False
            for open_round in await store.open_rounds_of_group(group_id):
                participant = await store.participant(open_round.id, member.id)
                if participant is not None and participant.status != "submitted":
                    await store.remove_participant(open_round.id, member.id)
            if await store.delete_members_without_groups([member.id]):
                await store.delete_outbox_for_chat(telegram_user_id)
        await self.store.scrub_disk()
        return True
