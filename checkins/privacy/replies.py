"""Anonymous replies: the supervisor answers a free-text answer, the author may answer back once, and neither
learns more than the words.

The supervisor presses "Reply" under an answer in the digest and writes a message; the bot finds the author through
the answer's author tag (an HMAC under the round's secret, which exists only until the reply window ends, and only
for answers whose author allowed a reply when reviewing them), and delivers the reply with one "Answer back" button.
The supervisor gets the same confirmation whether or not the author can still be reached. The author's answer goes
back to the supervisor scrubbed of names, like any free text. No table stores who the author is: the thread knows the
answer, and the author is recomputed each time. The supervisor is never told whether the author read or answered,
unless the author answers.
"""

from __future__ import annotations

from html import escape

from checkins.config.app import AppConfig
from checkins.config.flows import QuestionType
from checkins.i18n import Catalog, Translator
from checkins.messages import Button, Screen
from checkins.outbox import Outbox
from checkins.privacy.author_tags import author_tag
from checkins.privacy.scrubbing import group_redactor, placeholders
from checkins.storage import MemberRow, ReplyThread, Store

EXCERPT_LENGTH = 80
REPLY_PREFIX = "rp:"
ANSWER_BACK_PREFIX = "ra:"


def _excerpt(text: str) -> str:
    return text if len(text) <= EXCERPT_LENGTH else text[: EXCERPT_LENGTH - 1].rstrip() + "…"


class ReplyService:
    def __init__(self, config: AppConfig, store: Store, translator: Translator, outbox: Outbox) -> None:
        self.config = config
        self.store = store
        self.translator = translator
        self.outbox = outbox

    def _supervisor_catalog(self, supervisor_id: int) -> Catalog:
        supervisor = self.config.supervisors.get(supervisor_id)
        return self.translator.for_language(supervisor.language if supervisor else self.config.default_language)

    async def _author(self, thread: ReplyThread) -> tuple[MemberRow, str, str] | None:
        """The author of a thread's answer (with the round's group and the answer text), while still findable."""
        found = await self.store.answer_for_reply(thread.answer_id)
        if found is None:
            return None
        round_id, question_id, tag, value = found
        round_row = await self.store.round_by_id(round_id)
        if round_row is None or round_row.secret is None or tag is None:
            return None
        for member in await self.store.group_members(round_row.group_id):
            if author_tag(round_row.secret, member.id, question_id) == tag:
                return member, round_row.group_id, str(value)
        return None

    async def start(self, supervisor_id: int, answer_id: str) -> str:
        """The supervisor pressed Reply under an answer: the toast to show."""
        catalog = self._supervisor_catalog(supervisor_id)
        async with self.store.transaction() as store:
            found = await store.answer_for_reply(answer_id)
            round_row = await store.round_by_id(found[0]) if found else None
            group = self.config.groups.get(round_row.group_id) if round_row else None
            if found is None or round_row is None or group is None or group.supervisor_id != supervisor_id:
                return catalog.gettext("This button is not valid.")
            if round_row.is_open:
                return catalog.gettext("You can reply once the round has closed.")
            if round_row.secret is None:
                return catalog.gettext("The time for anonymous replies to this round has ended.")
            if found[2] is None:
                return catalog.gettext("This button is not valid.")
            thread = await store.open_thread(answer_id, supervisor_id)
            if thread.state != "writing":
                return catalog.gettext("You have already replied to this answer.")
            await store.expect_text(supervisor_id, thread.id, "supervisor")
            prompt = catalog.gettext(
                "Write your reply to “{answer}” as one message. The author gets it without learning anything about "
                "other answers, and you will not learn who they are."
            ).format(answer=_excerpt(str(found[3])))
            await self.outbox.send(supervisor_id, Screen(escape(prompt)))
        self.outbox.wake()
        return catalog.gettext("Write your reply as a message.")

    async def list_answers(self, supervisor_id: int, round_id: str) -> str | None:
        """The digest's reply button: each shown free-text answer with its own reply button (toast if refused)."""
        catalog = self._supervisor_catalog(supervisor_id)
        async with self.store.transaction() as store:
            round_row = await store.round_by_id(round_id)
            group = self.config.groups.get(round_row.group_id) if round_row else None
            flow = self.config.member_flow(group.id, round_row.flow_id) if round_row and group else None
            if round_row is None or group is None or flow is None or group.supervisor_id != supervisor_id:
                return catalog.gettext("This button is not valid.")
            if round_row.is_open or round_row.secret is None:
                return catalog.gettext("The time for anonymous replies to this round has ended.")
            redactor = (await group_redactor(store, group)).second_net()  # scrubbed thoroughly at close
            marks = placeholders(catalog)
            threshold = group.text_min_responses or group.min_responses
            # Only what the digest showed at close (its statistics were kept), under today's threshold if stricter.
            shown = (await store.group_question_stats(group.id)).get(round_row.id, {})
            for question in flow.questions:
                if question.type is not QuestionType.TEXT or question.id not in shown:
                    continue
                # The threshold counts every answer the digest shows; only those open to a reply are listed.
                if len(await store.shared_text_answers(round_row.id, question.id)) < threshold:
                    continue
                answers = await store.shared_text_answers(round_row.id, question.id, replyable=True)
                if not answers:
                    continue
                lines = [f"<b>{escape(question.text.get(catalog.language))}</b>"]
                buttons = []
                for number, (answer_id, text) in enumerate(answers, start=1):
                    lines.append(f"{number}. <i>{escape(_excerpt(redactor.redact(text, marks)))}</i>")
                    buttons.append(Button(f"↩ {number}", f"{REPLY_PREFIX}{answer_id}"))
                rows = tuple(tuple(buttons[i : i + 5]) for i in range(0, len(buttons), 5))
                await self.outbox.send(
                    supervisor_id, Screen("\n".join(lines), rows), dedupe=f"replylist:{round_row.id}:{question.id}"
                )
        self.outbox.wake()
        return catalog.gettext("Pick the answer to reply to.")

    async def take_text(self, telegram_user_id: int, text: str) -> bool:
        """A text message that belongs to a reply thread; False when it is not one (then it is an answer)."""
        async with self.store.transaction() as store:
            pending = await store.pending_text(telegram_user_id)
            if pending is None:
                return False
            await store.clear_pending_text(telegram_user_id)
            if pending.role == "supervisor":
                await self._relay_to_author(pending.thread, text)
            else:
                await self._relay_to_supervisor(pending.thread, text)
        self.outbox.wake()
        return True

    async def _relay_to_author(self, thread: ReplyThread, text: str) -> None:
        supervisor_catalog = self._supervisor_catalog(thread.supervisor_id)
        # One answer whether or not the author can still be reached: a different one would tell the supervisor
        # which answers were written by someone who has since left or erased themselves.
        sent = supervisor_catalog.gettext(
            "Your reply is on its way to the author, if they can still be reached. You will not be told whether "
            "it was read; if the author answers, you will get it here."
        )
        await self.store.set_thread_state(thread.id, "sent")
        await self.outbox.send(thread.supervisor_id, Screen(escape(sent)))
        author = await self._author(thread)
        if author is None:
            return
        member, _group_id, answer = author
        catalog = self.translator.for_language(member.language)
        body = catalog.gettext("Your supervisor replied anonymously to your answer “{answer}”:").format(
            answer=_excerpt(answer)
        )
        note = catalog.gettext("You may answer once. Your supervisor does not know who you are.")
        screen = Screen(
            f"{escape(body)}\n\n<i>{escape(text)}</i>\n\n{escape(note)}",
            ((Button(catalog.gettext("Answer back"), f"{ANSWER_BACK_PREFIX}{thread.id}"),),),
        )
        await self.outbox.send(member.telegram_user_id, screen, dedupe=f"reply:{thread.id}")

    async def answer_back(self, telegram_user_id: int, thread_id: str) -> str:
        """The author pressed "Answer back": the toast to show."""
        async with self.store.transaction() as store:
            member = await store.member_by_telegram_id(telegram_user_id)
            catalog = self.translator.for_language(member.language if member else self.config.default_language)
            thread = await store.thread_by_id(thread_id)
            author = await self._author(thread) if thread else None
            if member is None or thread is None or author is None or author[0].id != member.id:
                return catalog.gettext("This button is not valid.")
            if thread.state != "sent":
                return catalog.gettext("You have already answered.")
            await store.expect_text(telegram_user_id, thread.id, "author")
        return catalog.gettext("Write your answer as one message.")

    async def _relay_to_supervisor(self, thread: ReplyThread, text: str) -> None:
        author = await self._author(thread)
        if author is None or thread.state != "sent":
            return
        member, group_id, answer = author
        group = self.config.groups[group_id]
        redactor = await group_redactor(self.store, group)
        catalog = self._supervisor_catalog(thread.supervisor_id)
        scrubbed = redactor.redact(text, placeholders(catalog))
        heading = catalog.gettext("The author of “{answer}” answered anonymously:").format(answer=_excerpt(answer))
        await self.outbox.send(thread.supervisor_id, Screen(f"{escape(heading)}\n\n<i>{escape(scrubbed)}</i>"))
        await self.store.set_thread_state(thread.id, "answered")
        author_catalog = self.translator.for_language(member.language)
        done = author_catalog.gettext("Sent to your supervisor without your name.")
        await self.outbox.send(member.telegram_user_id, Screen(escape(done)))
