"""Scenario 3: many members pressing a scale button at the same moment — Kierros against a minimal PTB bot.

Kierros: every member of a fresh deployment has the first question of an open round on screen (energy, a 1–5
scale; the rounds are opened by an unpaced run of the bot that is then stopped, so the setup does not wait on
pacing). The measured bot starts on that database, every member presses "3" within a few milliseconds, and each
press counts as answered when the member's next question is on their screen (Kierros turns the pressed message into
it). The baseline bot
(`benchmarks.baseline_bot`) gets the same presses on its own question and counts when it has stored its reply.
Latency is press → that message, on the simulator's clock; throughput is presses over first press → last reply.

A press also counts as unacknowledged when its callback query was not answered while Telegram still takes the
answer (the simulator, like Telegram, refuses it after 15 s): the button then shows no response.

Both are measured twice: without pacing (what the bot itself can do) and with the pacing each has against
Telegram's limits — Kierros as configured in bot.py, the baseline with PTB's `AIORateLimiter`. Each sends one
rate-limited request per press: Kierros turns the answered question's message into the next screen (an edit), the
baseline sends a new message.
"""

from __future__ import annotations

import statistics
import tempfile
from dataclasses import dataclass
from pathlib import Path

from telegram import Bot

from benchmarks.baseline_bot import QUESTION, build_baseline, question_markup
from benchmarks.harness import MEMBER_IDS, Deployment, drain, new_simulator, run_bot, wait_until
from benchmarks.report import Result, Target
from botsim.server import BotApiSimulator
from botsim.users import SimUser
from checkins.rounds.opening import OpenOutcome
from handlers.application import running

MEMBERS_PER_GROUP = 10
PRESSED = "3"


@dataclass(frozen=True)
class Presses:
    count: int
    seconds: float  # first press → last reply
    latencies: list[float]
    unacknowledged: int  # presses whose callback query was not answered in time (Telegram: about 15 s)

    @property
    def per_second(self) -> float:
        return self.count / self.seconds

    def percentile(self, percent: int) -> float:
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[percent - 1]


@dataclass(frozen=True)
class Press:
    user: SimUser
    message_id: int
    data: str


async def press_all(sim: BotApiSimulator, presses: list[Press], timeout: float) -> Presses:  # noqa: ASYNC109
    """Press every button at once; wait until each presser has their next screen; time it. The next screen is the
    bot's first message or edit in the presser's chat after the press (Kierros turns the pressed message into it;
    the baseline sends a new one)."""
    marks: list[tuple[SimUser, int, float]] = []
    acknowledged = {press.user.user_id: len(press.user.callback_answers) for press in presses}
    for press in presses:
        marks.append((press.user, len(press.user.chat.events), sim.clock()))
        await press.user.press_data(press.message_id, press.data)
    waiting = marks[::-1]  # the first pressed last: replies come roughly in the order of the presses

    def everyone_answered() -> bool:
        while waiting and len(waiting[-1][0].chat.events) > waiting[-1][1]:
            waiting.pop()
        return not waiting

    await wait_until(sim, everyone_answered, timeout)
    # Answers to callback queries may still be on their way: wait for the bot to settle before counting them.
    await sim.wait_idle(timeout=timeout)
    unacknowledged = sum(len(press.user.callback_answers) == acknowledged[press.user.user_id] for press in presses)
    latencies, replies = [], []
    for user, seen, pressed in marks:
        if len([kind for kind, _ in user.chat.events[seen:] if kind == "new"]) > 1:
            raise RuntimeError(f"user {user.user_id} received more than one new message after one press")
        replies.append(user.chat.event_times[seen])
        latencies.append(replies[-1] - pressed)
    return Presses(len(presses), max(replies) - marks[0][2], latencies, unacknowledged)


def scale_press(user: SimUser) -> Press:
    question = user.chat.bot_messages()[-1]
    data = next(b["callback_data"] for row in question.inline_keyboard for b in row if b.get("text") == PRESSED)
    return Press(user, question.message_id, str(data))


async def kierros(members: int, *, paced: bool) -> Presses:
    with tempfile.TemporaryDirectory(prefix="kierros-bench-") as folder:
        async with new_simulator() as sim:
            groups = max(1, members // MEMBERS_PER_GROUP)
            deployment = await Deployment.create(Path(folder), groups, members // groups, sim)
            async with run_bot(sim, deployment.config, unpaced=True) as services:
                expected = sim.stats.bot_messages + 2 * deployment.member_count
                for group in deployment.config.groups.values():
                    if (await services.rounds.open_round(group)).outcome is not OpenOutcome.OPENED:
                        raise RuntimeError(f"group {group.id}: round not opened")
                await wait_until(sim, lambda: sim.stats.bot_messages >= expected, timeout=60 + members / 10)
                await drain(services)
            presses = [scale_press(sim.users[tid]) for ids in deployment.members.values() for tid in ids]
            async with run_bot(sim, deployment.config, unpaced=not paced) as services:
                await sim.wait_idle()
                result = await press_all(sim, presses, timeout=60 + (members / 5 if paced else members / 20))
                await drain(services)
            return result


async def baseline(members: int, *, paced: bool) -> Presses:
    with tempfile.TemporaryDirectory(prefix="kierros-bench-") as folder:
        async with new_simulator() as sim:
            users = [sim.user(MEMBER_IDS + index, f"Member {index}") for index in range(members)]
            # The question comes from a plain, unpaced Bot: only the answering is measured.
            async with Bot(sim.token, base_url=sim.base_url) as asker:
                for user in users:
                    user.started = True
                    await asker.send_message(user.user_id, QUESTION, reply_markup=question_markup())
            presses = [Press(user, user.chat.bot_messages()[-1].message_id, f"v{PRESSED}") for user in users]
            application = build_baseline(sim.token, sim.base_url, Path(folder) / "baseline.sqlite3", pacing=paced)
            async with running(application):
                await sim.wait_idle()
                return await press_all(sim, presses, timeout=60 + (members / 10 if paced else members / 20))


async def answers(members: int) -> list[Result]:
    name = "3 answers/s"
    results = []
    for paced in (False, True):
        ours = await kierros(members, paced=paced)
        theirs = await baseline(members, paced=paced)
        label = ", own pacing" if paced else ""
        details = {"members": members, "paced": paced, "kierros_s": ours.seconds, "baseline_s": theirs.seconds}
        results += [
            Result(
                name,
                f"answers/s, {members:,} concurrent presses{label}",
                ours.per_second,
                "/s",
                baseline=theirs.per_second,
                target=None if paced else Target(">=", 0.7, of_ratio=True),
                details=details,
            ),
            Result(
                name,
                f"p50 press → next question{label}",
                ours.percentile(50),
                " s",
                baseline=theirs.percentile(50),
                details=details,
            ),
            Result(
                name,
                f"p99 press → next question{label}",
                ours.percentile(99),
                " s",
                baseline=theirs.percentile(99),
                details=details,
            ),
            Result(
                name,
                f"presses not acknowledged within 15 s{label}",
                ours.unacknowledged,
                baseline=theirs.unacknowledged,
                details=details,
            ),
        ]
    return results
