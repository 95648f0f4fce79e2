"""Scenario 9: one large round through the storage, opened and closed by the domain alone — the figures that depend
most on the database, for setting SQLite and PostgreSQL side by side.

One group of N members on the bundled `pre_session` flow. Opening: `RoundService.open_round`, from the call until
the round, its participants and every member's intro and first question are committed to the durable outbox
(nothing sends: no bot, no Telegram). Then every member's answers are written as submitted drafts straight through
the storage layer (scales, choices and free texts with colleagues' names in them, as scenario 4 makes them; the
answering itself is scenario 3's). Closing: `RoundService.close_round`, from the call until the submissions are
written to `answers` in one shuffled batch, the statistics recorded, the texts scrubbed, the digest queued and the
database's files scrubbed of what was deleted (SQLite: VACUUM and WAL truncation; PostgreSQL: VACUUM FULL of the
tables concerned) — what a supervisor waits for between closing and the digest being ready to send. The medians of
`repeats` runs, each on a fresh database.
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from pathlib import Path

from benchmarks.digest import answer_value
from benchmarks.harness import Deployment, people
from benchmarks.report import Result
from checkins.config.flows import Flow, QuestionType
from checkins.digest.service import DigestService
from checkins.i18n import Translator
from checkins.outbox import Outbox
from checkins.rounds.answering import Status
from checkins.rounds.closing import CloseOutcome
from checkins.rounds.opening import OpenOutcome
from checkins.rounds.service import RoundService
from checkins.storage import Store

SCENARIO = "9 one large round"


async def open_and_close(members: int) -> tuple[float, float, float]:
    """Seconds to open a round for `members` members, to close it once every one of them has submitted, and from
    the close until the digest's files are drawn and queued too."""
    with tempfile.TemporaryDirectory(prefix="kierros-bench-") as folder:
        deployment = await Deployment.create(Path(folder), 1, members)
        config = deployment.config
        [group] = config.groups.values()
        store = await Store.open(config.storage_target)
        try:
            translator = Translator.load()
            outbox = Outbox(store)
            digests = DigestService(config, store, translator, outbox)
            rounds = RoundService(config, store, translator, outbox, digests, time.time)
            start = time.perf_counter()
            if (await rounds.open_round(group)).outcome is not OpenOutcome.OPENED:
                raise RuntimeError("round not opened")
            opening = time.perf_counter() - start
            await submit_everyone(store, config.member_flow(group.id, group.flow_id), group.id, members)
            start = time.perf_counter()
            closed = await rounds.close_round(group)
            closing = time.perf_counter() - start
            # The chart and the printable report are drawn in the background once the close has committed.
            await digests.finish_drawing()
            drawn = time.perf_counter() - start
        finally:
            await store.close()
    if closed.outcome is not CloseOutcome.CLOSED or closed.submitted != members:
        raise RuntimeError(f"{closed.submitted} of {members} submissions closed")
    return opening, closing, drawn


async def submit_everyone(store: Store, flow: Flow | None, group_id: str, members: int) -> None:
    """Every participant's answers to every question, as submitted drafts (what a member's Submit leaves)."""
    assert flow is not None
    rng = random.Random(9)
    names = [(person.first_name, person.last_name, person.username) for person in people(members)]
    async with store.transaction() as queries:
        [round_row] = await queries.open_rounds_of_group(group_id)
        participants = await queries.participants(round_row.id)
        for participant in participants:
            answers = {
                question.id: answer_value(question, rng, names, 0)
                for question in flow.questions
                if question.type is not QuestionType.GOALS
            }
            await queries.submit_drafts(round_row.id, participant.member_id, answers, frozenset(), frozenset())
            await queries.save_progress(
                round_row.id,
                participant.member_id,
                status=Status.SUBMITTED.value,
                cursor=len(flow.questions),
                editing_one=False,
                multi_selection=(),
                prompt_outbox_id=None,
            )


async def large_round(members: int, repeats: int) -> list[Result]:
    runs = [await open_and_close(members) for _ in range(repeats)]
    opening, closing, drawn = (statistics.median(run[index] for run in runs) for index in range(3))
    details = {"members": members, "repeats": repeats, "runs_s": runs}
    return [
        Result(SCENARIO, f"open for {members:,} members: every prompt in the outbox", opening, " s", details=details),
        Result(SCENARIO, "prompts produced into the durable outbox/s", 2 * members / opening, "/s", details=details),
        Result(SCENARIO, f"close with {members:,} submitted: digest queued, disk scrubbed", closing, " s",
               details=details),
        Result(SCENARIO, "close → the digest's chart and report drawn and queued too", drawn, " s", details=details),
    ]  # fmt: skip
