"""Scenario 8: answering with each bot as its own process, as in production, against the minimal PTB bot.

The simulator and the simulated members run in this process; Kierros runs as `python bot.py run` and the minimal
bot as `python -m benchmarks.baseline_bot`, each in its own process with its own event loop — the in-process
scenario 3 shares one loop between the simulator and the bot, which slows the baseline as much as Kierros and so
flatters the ratio. Pacing is off for both (Kierros's `flood_limits: false`, the baseline without a rate limiter):
like for like, what each bot itself costs per answer. On PostgreSQL (`--storage postgresql`) both store their
answers in the same server.

Measured, alternating Kierros and the baseline `repeats` times and reporting the median of each figure:
- one member at a time: members of a one-question flow (so the next message is the review screen) press "3" one
  after another, each waiting for their next message; p50 press → next message, and the bot process's CPU time per
  answer (from /proc, user + system);
- many at once: every member presses within a few milliseconds; answers per second (first press → last next
  message), p50, and CPU per answer.

`KIERROS_PROFILE_BOT=DIR` runs each Kierros process under cProfile and leaves one `.pstats` file per run in DIR
(the figures are then slower, but the profile is of the bot as it runs in production, alone in its process).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

from telegram import Bot

from benchmarks import storage
from benchmarks.answers import PRESSED, Press, Presses, press_all, scale_press
from benchmarks.baseline_bot import QUESTION, question_markup
from benchmarks.harness import MEMBER_IDS, Deployment, drain, new_simulator, run_bot
from benchmarks.report import Result, Target
from botsim.server import BotApiSimulator
from checkins.rounds.opening import OpenOutcome

ROOT = Path(__file__).resolve().parent.parent
MEMBERS_PER_GROUP = 10
SCENARIO = "8 answers, own process"
# One scale question: the press that answers it brings the review screen, the heaviest next screen (the answers
# as the supervisor will see them, redacted) — what the issue measured.
ONE_SCALE_FLOW = """\
id: one_scale
default_language: fi
title: {fi: Yksi kysymys, sv: En fråga, en: One question}
intro: {fi: Yksi kysymys., sv: En fråga., en: One question.}
questions:
  - id: energy
    type: scale
    min: 1
    max: 5
    labels:
      min: {fi: voimavarat lopussa, sv: resurserna slut, en: running on empty}
      max: {fi: hyvin voimissani, sv: mycket god ork, en: doing really well}
    text:
      fi: Miten jaksat työssäsi juuri nyt?
      sv: Hur orkar du i arbetet just nu?
      en: How is your energy at work right now?
"""


@dataclass(frozen=True)
class Run:
    presses: Presses
    cpu_seconds: float

    @property
    def cpu_per_answer(self) -> float:
        return self.cpu_seconds / self.presses.count


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (Linux /proc)."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as file:
        fields = file.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextlib.asynccontextmanager
async def bot_process(sim: BotApiSimulator, arguments: list[str], log: Path) -> AsyncIterator[int]:
    """A bot started as its own process against `sim`; yields its pid once it polls, stops it with SIGTERM."""
    environment = {**os.environ, "TELEGRAM_BOT_TOKEN": sim.token, "TELEGRAM_API_BASE_URL": sim.base_url}
    polls = sim.stats.per_method["getUpdates"]
    with log.open("ab") as output:
        process = await asyncio.create_subprocess_exec(
            sys.executable, *arguments, cwd=ROOT, env=environment, stdout=output, stderr=output
        )
    try:
        exited = asyncio.ensure_future(process.wait())
        ready = asyncio.ensure_future(
            sim.changes.wait_until(lambda: True if sim.stats.per_method["getUpdates"] > polls else None)
        )
        await asyncio.wait({exited, ready}, timeout=60, return_when=asyncio.FIRST_COMPLETED)
        exited.cancel()
        ready.cancel()
        if process.returncode is not None or not ready.done():
            raise RuntimeError(f"{arguments[0]} did not start polling; see {log}")
        yield process.pid
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), 30)
            except TimeoutError:
                process.kill()
                await process.wait()


async def press_one_at_a_time(sim: BotApiSimulator, presses: list[Press], timeout: float) -> Presses:  # noqa: ASYNC109
    """Press each button only after the previous presser got their next message."""
    latencies, started = [], sim.clock()
    finished = started
    for press in presses:
        user = press.user
        seen = len(user.chat.events)
        pressed = sim.clock()
        await user.press_data(press.message_id, press.data)

        def arrived(user=user, seen=seen) -> float | None:  # type: ignore[no-untyped-def]
            # The next screen: Kierros's edit of the pressed message, the baseline's new message.
            return user.chat.event_times[seen] if len(user.chat.events) > seen else None

        async with asyncio.timeout(timeout):
            finished = await sim.changes.wait_until(arrived)
        latencies.append(finished - pressed)
    await sim.wait_idle(timeout=timeout)
    return Presses(len(presses), finished - started, latencies, 0)


def _profiled(name: str) -> list[str]:
    folder = os.environ.get("KIERROS_PROFILE_BOT")
    if not folder:
        return []
    Path(folder).mkdir(parents=True, exist_ok=True)
    return ["-m", "cProfile", "-o", str(Path(folder) / f"kierros-{name}-{os.getpid()}-{time.monotonic_ns()}.pstats")]


async def kierros(members: int, one_at_a_time: bool, folder: Path) -> Run:
    async with new_simulator() as sim:
        groups = max(1, members // MEMBERS_PER_GROUP)
        flows = folder / "flows"
        flows.mkdir()
        (flows / "one_scale.yaml").write_text(ONE_SCALE_FLOW, encoding="utf-8")
        deployment = await Deployment.create(
            folder, groups, members // groups, sim, flood_limits=False, flows_dir=flows, flow_id="one_scale"
        )
        # The rounds are opened by an in-process run that is then stopped: only the answering is measured.
        async with run_bot(sim, deployment.config, unpaced=True) as services:
            expected = sim.stats.bot_messages + 2 * deployment.member_count
            for group in deployment.config.groups.values():
                if (await services.rounds.open_round(group)).outcome is not OpenOutcome.OPENED:
                    raise RuntimeError(f"group {group.id}: round not opened")
            async with asyncio.timeout(60 + members / 10):
                await sim.changes.wait_until(lambda: True if sim.stats.bot_messages >= expected else None)
            await drain(services)
        presses = [scale_press(sim.users[tid]) for ids in deployment.members.values() for tid in ids]
        command = [*_profiled(f"{'one' if one_at_a_time else 'many'}-{members}"), "bot.py", "run"]
        command += ["--config", str(deployment.config.source)]
        return await _measure(sim, command, folder / "kierros.log", presses, one_at_a_time)


async def baseline(members: int, one_at_a_time: bool, folder: Path) -> Run:
    async with new_simulator() as sim:
        users = [sim.user(MEMBER_IDS + index, f"Member {index}") for index in range(members)]
        async with Bot(sim.token, base_url=sim.base_url) as asker:
            for user in users:
                user.started = True
                await asker.send_message(user.user_id, QUESTION, reply_markup=question_markup())
        presses = [Press(user, user.chat.bot_messages()[-1].message_id, f"v{PRESSED}") for user in users]
        command = ["-m", "benchmarks.baseline_bot", "--database", str(folder / "baseline.sqlite3")]
        # On PostgreSQL the yardstick stores its answers there too: like for like, a round trip to the server each.
        database = storage.fresh_storage_url()
        command += ["--postgresql", database] if database is not None else []
        return await _measure(sim, command, folder / "baseline.log", presses, one_at_a_time)


async def _measure(
    sim: BotApiSimulator, command: list[str], log: Path, presses: list[Press], one_at_a_time: bool
) -> Run:
    """Start the bot, press, and count the bot process's CPU time from its first poll to the last reply."""
    async with bot_process(sim, command, log) as pid:
        await sim.wait_idle()
        before = cpu_seconds(pid)
        if one_at_a_time:
            result = await press_one_at_a_time(sim, presses, timeout=30)
        else:
            result = await press_all(sim, presses, timeout=60 + len(presses) / 20)
        return Run(result, cpu_seconds(pid) - before)


async def _pair(members: int, one_at_a_time: bool, repeats: int) -> tuple[list[Run], list[Run]]:
    ours, theirs = [], []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory(prefix="kierros-bench-") as folder:
            ours.append(await kierros(members, one_at_a_time, Path(folder)))
        with tempfile.TemporaryDirectory(prefix="kierros-bench-") as folder:
            theirs.append(await baseline(members, one_at_a_time, Path(folder)))
    return ours, theirs


def _median(runs: list[Run], figure: Callable[[Run], float]) -> float:
    return statistics.median(figure(run) for run in runs)


async def answers_out_of_process(sequential: int, concurrent: list[int], repeats: int) -> list[Result]:
    results: list[Result] = []
    ours, theirs = await _pair(sequential, True, repeats)
    details = {"presses": sequential, "repeats": repeats, "one_at_a_time": True}
    results += [
        Result(
            SCENARIO,
            f"p50 press → next message, one at a time ({sequential} presses)",
            _median(ours, lambda run: run.presses.percentile(50)),
            " s",
            baseline=_median(theirs, lambda run: run.presses.percentile(50)),
            target=Target("<=", 1.5, of_ratio=True),
            details=details,
        ),
        Result(
            SCENARIO,
            "bot CPU per answer, one at a time",
            _median(ours, lambda run: run.cpu_per_answer) * 1000,
            " ms",
            baseline=_median(theirs, lambda run: run.cpu_per_answer) * 1000,
            details=details,
        ),
    ]
    for members in concurrent:
        ours, theirs = await _pair(members, False, repeats)
        details = {"members": members, "repeats": repeats, "one_at_a_time": False}
        results += [
            Result(
                SCENARIO,
                f"answers/s, {members:,} pressing at once",
                _median(ours, lambda run: run.presses.per_second),
                "/s",
                baseline=_median(theirs, lambda run: run.presses.per_second),
                target=Target(">=", 0.7, of_ratio=True),
                details=details,
            ),
            Result(
                SCENARIO,
                f"p50 press → next message, {members:,} at once",
                _median(ours, lambda run: run.presses.percentile(50)),
                " s",
                baseline=_median(theirs, lambda run: run.presses.percentile(50)),
                details=details,
            ),
            Result(
                SCENARIO,
                f"bot CPU per answer, {members:,} at once",
                _median(ours, lambda run: run.cpu_per_answer) * 1000,
                " ms",
                baseline=_median(theirs, lambda run: run.cpu_per_answer) * 1000,
                details=details,
            ),
        ]
    return results
