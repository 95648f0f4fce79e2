"""Digests end to end on the domain side: keep statistics at close, build a round's digest, queue it for delivery.

At close `record_statistics` keeps each question's aggregate (see `checkins.digest.stats`) in the closing transaction.
`queue_digest` builds a round's digest from storage — the group's closed rounds up to that one for trends, goals and
the view over time, and the round's free-text answers while retention keeps them — and queues, in the caller's
transaction, the one-screen message and the follow-ups holding every answer in full, plus a note that the round's
files are due. `send_pending_files` then draws the chart and the HTML and PDF reports outside any transaction (in a
worker thread; a renderer that fails is left out and logged, see `files.py`) and queues them, so drawing never holds
the database and never blocks a close; a restart in between draws them at start. The supervisor receives message →
follow-ups → photo → PDF → HTML. `/digest` re-sends a past round through the same path and `/rounds` lists a
group's rounds with their flow and participation; both apply today's thresholds, never looser ones.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from html import escape

from checkins.config.app import AppConfig, GroupConfig
from checkins.config.flows import QuestionType
from checkins.digest.files import DigestFiles, render_files
from checkins.digest.followups import render_followups
from checkins.digest.message import compact_message, round_heading
from checkins.digest.stats import QuestionStats, RoundRecord, Thresholds, round_statistics
from checkins.digest.summary import DigestSource, Summary, TextSection, build_summary
from checkins.formatting import format_date, format_date_time
from checkins.i18n import Catalog, Translator
from checkins.messages import Button, Keyboard, Screen
from checkins.outbox import Outbox
from checkins.privacy.scrubbing import group_redactor, placeholders
from checkins.storage import PendingDigestFiles, RoundRow, Store

log = logging.getLogger(__name__)

# The digest's reply button; checkins.privacy.replies lists the answers behind it.
REPLY_LIST_PREFIX = "rl:"
# /rounds lists at most this many of the latest rounds, so the list always fits one message.
ROUNDS_LISTED = 40


class DigestOutcome(StrEnum):
    QUEUED = "queued"
    NO_ROUNDS = "no_rounds"
    NOT_FOUND = "not_found"
    STILL_OPEN = "still_open"


@dataclass(frozen=True)
class DigestResult:
    outcome: DigestOutcome
    round_number: int | None = None


def thresholds_of(group: GroupConfig) -> Thresholds:
    return Thresholds(group.min_responses, group.text_min_responses or group.min_responses)


def _record(round_row: RoundRow, stats: Mapping[str, QuestionStats]) -> RoundRecord:
    # Digests count a flow's rounds: the second check-in is "round 2" even after a reflection round in between.
    return RoundRecord(
        round_row.flow_number,
        round_row.closed_at,
        round_row.submitted_count or 0,
        round_row.invited_count,
        stats,
        round_row.paused_count,
        round_row.declined_count,
    )


class DigestService:
    def __init__(self, config: AppConfig, store: Store, translator: Translator, outbox: Outbox) -> None:
        self.config = config
        self.store = store
        self.translator = translator
        self.outbox = outbox
        self._drawing: set[asyncio.Task[None]] = set()
        self._draw_lock = asyncio.Lock()

    async def record_statistics(self, round_row: RoundRow, submitted: int) -> None:
        """Keep what may outlive the answers (inside the caller's closing transaction)."""
        group = self.config.groups[round_row.group_id]
        flow = self.config.member_flow(round_row.group_id, round_row.flow_id)
        if flow is None:
            return
        answers = await self.store.round_answers(round_row.id)
        await self.store.save_question_stats(
            round_row.id, round_statistics(flow, answers, submitted, thresholds_of(group))
        )

    async def scrub_texts(self, round_row: RoundRow) -> None:
        """At close, scrub the round's free texts for good (inside the closing transaction). Nobody reads them
        unscrubbed after close, and a digest sent again later must not depend on who is still a member then: a
        colleague's name stays out even after they leave the group."""
        group = self.config.groups[round_row.group_id]
        flow = self.config.flows.get(round_row.flow_id)
        if flow is None:
            return
        redactor = await group_redactor(self.store, group)
        marks = placeholders(self.translator.for_language(self.config.supervisors[group.supervisor_id].language))
        text_ids = [q.id for q in flow.questions if q.type is QuestionType.TEXT]
        await self.store.rewrite_texts(
            round_row.id, text_ids, lambda text, kept: redactor.redact(text, marks, kept=kept)
        )

    async def _summary(self, group: GroupConfig, round_row: RoundRow, catalog: Catalog) -> Summary | None:
        flow = self.config.flows.get(round_row.flow_id)
        if flow is None:
            return None
        # The history is the flow's own: trends and "round 2" compare a check-in with the check-ins before it.
        closed = [
            r
            for r in await self.store.rounds_of_group(group.id)
            if not r.is_open and r.flow_id == round_row.flow_id and r.number <= round_row.number
        ]
        stats = await self.store.group_question_stats(group.id)
        text_ids = [q.id for q in flow.questions if q.type is QuestionType.TEXT]
        source = DigestSource(
            group_name=group.name,
            flow=flow,
            goals=group.goals,
            thresholds=thresholds_of(group),
            history=tuple(_record(r, stats.get(r.id, {})) for r in closed),
            texts=await self.store.round_texts(round_row.id, text_ids),
        )
        # The texts were scrubbed thoroughly at close (`scrub_texts`); the digest only casts the second net.
        return build_summary(source, catalog, (await group_redactor(self.store, group)).second_net())

    async def queue_digest(self, group: GroupConfig, round_number: int | None, dedupe: str) -> DigestResult:
        """Queue a closed round's digest (the latest when `round_number` is None) for the group's supervisor."""
        rounds = await self.store.rounds_of_group(group.id)
        if round_number is None:
            closed = [r for r in rounds if not r.is_open]
            if not closed:
                return DigestResult(DigestOutcome.NO_ROUNDS)
            round_row = closed[-1]
        else:
            found = [r for r in rounds if r.number == round_number]
            if not found:
                return DigestResult(DigestOutcome.NOT_FOUND, round_number)
            round_row = found[0]
            if round_row.is_open:
                return DigestResult(DigestOutcome.STILL_OPEN, round_number)
        supervisor = self.config.supervisors[group.supervisor_id]
        catalog = self.translator.for_language(supervisor.language)
        summary = await self._summary(group, round_row, catalog)
        if summary is None:
            return DigestResult(DigestOutcome.NOT_FOUND, round_row.number)
        timezone = self.config.timezone
        chat = supervisor.user_id
        try:
            text, whole = compact_message(summary, catalog, timezone)
            followups = render_followups(summary, catalog, whole)
        except Exception as error:  # a renderer's failure must never stop a close
            log.error("digest message could not be drawn (%s); sending its heading only", type(error).__name__)
            text, followups = "\n".join(round_heading(summary, catalog, timezone)), []
        await self.outbox.send(chat, Screen(text, self._reply_keyboard(round_row, summary, catalog)),
                               dedupe=f"{dedupe}:message")  # fmt: skip
        for index, followup in enumerate(followups):
            await self.outbox.send(chat, Screen(followup), dedupe=f"{dedupe}:more:{index}")
        if summary.withheld:
            return DigestResult(DigestOutcome.QUEUED, round_row.number)
        # The files are drawn once this transaction has committed (or at the next start, after a crash).
        await self.store.add_pending_digest_files(dedupe, group.id, round_row.number, time.time())
        self.draw_soon()
        return DigestResult(DigestOutcome.QUEUED, round_row.number)

    def draw_soon(self) -> None:
        """Draw the pending files in a task of its own: it waits for the caller's transaction to commit. The task
        starts from an empty context: it is not part of the Telegram update that closed the round (whose record
        would make its transactions look like that update handled again)."""
        task = asyncio.get_running_loop().create_task(
            self.send_pending_files(), name="digest-files", context=contextvars.Context()
        )
        self._drawing.add(task)
        task.add_done_callback(self._drawing.discard)

    async def finish_drawing(self) -> None:
        """Wait for the drawing under way (at shutdown, before the database closes); what is left waits for the
        next start."""
        if self._drawing:
            await asyncio.gather(*self._drawing, return_exceptions=True)

    async def send_pending_files(self) -> None:
        """Draw and queue the files of every closed round that waits for them (after a close, and at start)."""
        async with self._draw_lock:
            async with self.store.transaction() as store:
                pending = await store.pending_digest_files()
            for item in pending:
                await self._send_files(item)
            if pending:
                self.outbox.wake()

    async def _send_files(self, item: PendingDigestFiles) -> None:
        group = self.config.groups.get(item.group_id)
        drawn = None
        if group is not None:
            try:
                drawn = await self._draw(group, item.round_number)
            except Exception as error:  # an unexpected failure: give up on these files, never retry forever
                log.error("digest files could not be drawn (%s)", type(error).__name__)
        async with self.store.transaction() as store:
            if drawn is not None and group is not None:
                await self._queue_files(group, item.dedupe, *drawn)
            await store.drop_pending_digest_files(item.dedupe)

    async def _draw(self, group: GroupConfig, round_number: int) -> tuple[RoundRow, DigestFiles, Catalog] | None:
        catalog = self.translator.for_language(self.config.supervisors[group.supervisor_id].language)
        async with self.store.transaction() as store:
            found = [r for r in await store.rounds_of_group(group.id) if r.number == round_number]
            summary = await self._summary(group, found[0], catalog) if found else None
        if summary is None:
            return None
        # Drawing takes a moment of CPU: keep the event loop answering other people meanwhile.
        return found[0], await asyncio.to_thread(render_files, summary, catalog, self.config.timezone), catalog

    async def _queue_files(
        self, group: GroupConfig, dedupe: str, round_row: RoundRow, files: DigestFiles, catalog: Catalog
    ) -> None:
        chat = self.config.supervisors[group.supervisor_id].user_id
        name = f"{group.id}-{round_row.flow_id}-round-{round_row.flow_number}"
        if files.chart is not None:
            await self.outbox.send_photo(chat, files.chart, f"{name}.png", escape(files.caption),
                                         dedupe=f"{dedupe}:photo")  # fmt: skip
        caption = catalog.gettext("Printable report: {group}, round {number}").format(
            group=group.name, number=round_row.flow_number
        )
        if files.pdf is not None:
            await self.outbox.send_document(chat, files.pdf, f"{name}.pdf", escape(caption), dedupe=f"{dedupe}:pdf")
        if files.html is not None:
            await self.outbox.send_document(chat, files.html, f"{name}.html", escape(caption),
                                            dedupe=f"{dedupe}:document")  # fmt: skip

    def _reply_keyboard(self, round_row: RoundRow, summary: Summary, catalog: Catalog) -> Keyboard:
        """While the round's reply window lasts and free text is shown, a way to answer an author anonymously."""
        shows_text = any(isinstance(section, TextSection) and section.answers for section in summary.sections)
        if round_row.secret is None or summary.withheld or not shows_text:
            return ()
        label = "↩ " + catalog.gettext("Reply to an answer anonymously")
        return ((Button(label, f"{REPLY_LIST_PREFIX}{round_row.id}"),),)

    async def resend_digest(self, group: GroupConfig, round_number: int | None, dedupe: str) -> DigestResult:
        """`/digest`: queue a past round's digest again, in a transaction of its own."""
        async with self.store.transaction():
            result = await self.queue_digest(group, round_number, dedupe)
        self.outbox.wake()
        return result

    async def rounds_overview(self, group: GroupConfig, catalog: Catalog) -> str:
        """A group's rounds with their participation, as Telegram HTML; counts of an open round are never shown."""
        rounds = await self.store.rounds_of_group(group.id)
        title = catalog.gettext("Rounds of {group}").format(group=group.name)
        if not rounds:
            empty = catalog.gettext("No rounds yet. Open one with /open {id}.").format(id=group.id)
            return f"<b>{escape(title)}</b>\n{escape(empty)}"
        thresholds = thresholds_of(group)
        lines = [f"<b>{escape(title)}</b>"]
        if len(rounds) > ROUNDS_LISTED:
            lines.append(escape(catalog.gettext("Only the latest {count} are listed.").format(count=ROUNDS_LISTED)))
        for round_row in rounds[-ROUNDS_LISTED:]:
            lines.append(escape(self._round_line(round_row, thresholds, catalog)))
        hint = catalog.gettext(
            "/digest {id} <number> sends a round's digest again (the number that starts its line)."
        ).format(id=group.id)
        return "\n".join(lines) + f"\n\n<i>{escape(hint)}</i>"

    def _round_line(self, round_row: RoundRow, thresholds: Thresholds, catalog: Catalog) -> str:
        """ "3. Check-in before supervision, round 2 · …": the group's running number (what /digest takes), then the
        flow and the round's number among that flow's rounds (what its digest says)."""
        language = catalog.language
        flow = self.config.flows.get(round_row.flow_id)
        which = catalog.gettext("{number}. {flow}, round {flow_number}").format(
            number=round_row.number,
            flow=flow.title.get(language) if flow is not None else round_row.flow_id,
            flow_number=round_row.flow_number,
        )
        if round_row.is_open:
            since = format_date_time(round_row.opened_at, self.config.timezone, language)
            state = catalog.gettext("open since {date} · answers are counted at close").format(date=since)
            return f"{which} · {state}"
        date = format_date(round_row.closed_at or round_row.opened_at, self.config.timezone, language)
        submitted = round_row.submitted_count or 0
        line = (
            which
            + " · "
            + catalog.gettext("{date} · {answered} of {invited} answered").format(
                date=date, answered=submitted, invited=round_row.invited_count
            )
        )
        if submitted < thresholds.min_responses:
            line += " · " + catalog.gettext("too few to show answers")
        return line
