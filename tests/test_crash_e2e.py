"""Crash safety: the real bot as a separate process (`python bot.py run`), killed with SIGKILL again and again while
it fans a round out and while members answer, against the simulator in this process with Telegram's flood limits.

After every restart it continues where it stopped: no answer lost, no prompt skipped, no prompt sent twice (except
the documented edge — a message Telegram had received just before the kill, which the restarted bot reports and
sends again), and exactly one digest. SIGTERM stops it gracefully; a second process on the same database refuses
to start; `bot.py backup` copies the database while the bot runs.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sqlite3
import sys
from pathlib import Path

from botsim import BotApiSimulator, RateLimits
from tests.crowd import seed_members, supervisor_id, write_crowd_config
from tests.kills import AnsweringUnderKills, count
from tests.test_round_e2e import is_html_report

ROOT = Path(__file__).resolve().parent.parent
MEMBERS = 60
ANSWERING = 20
KILLS_DURING_FANOUT = 10
KILLS_DURING_ANSWERING = 12


class BotProcess:
    """`python bot.py run` against the simulator, with its log appended to one file across restarts."""

    def __init__(self, sim: BotApiSimulator, config: Path, log: Path) -> None:
        self.sim = sim
        self.config = config
        self.log = log
        self.process: asyncio.subprocess.Process | None = None
        self.kills = 0

    async def spawn(self) -> asyncio.subprocess.Process:
        environment = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": self.sim.token,
            "TELEGRAM_API_BASE_URL": self.sim.base_url,
        }
        with self.log.open("ab") as log:
            return await asyncio.create_subprocess_exec(
                sys.executable,
                str(ROOT / "bot.py"),
                "run",
                "--config",
                str(self.config),
                env=environment,
                stdout=log,
                stderr=log,
            )

    async def start(self) -> None:
        polls = self.sim.stats.per_method["getUpdates"]
        self.process = await self.spawn()
        exited = asyncio.ensure_future(self.process.wait())
        ready = asyncio.ensure_future(
            self.sim.changes.wait_until(lambda: True if self.sim.stats.per_method["getUpdates"] > polls else None)
        )
        await asyncio.wait({exited, ready}, timeout=30, return_when=asyncio.FIRST_COMPLETED)
        exited.cancel()
        ready.cancel()
        assert self.process.returncode is None, f"the bot exited at start:\n{self.log.read_text()[-3000:]}"
        assert ready.done() or self.sim.stats.per_method["getUpdates"] > polls, "the bot never polled"

    async def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()
        self.kills += 1

    async def terminate(self) -> int:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return await asyncio.wait_for(self.process.wait(), 30)


async def test_sigkill_during_fanout_and_answering_loses_and_repeats_nothing(tmp_path: Path) -> None:
    rng = random.Random(2024)
    async with BotApiSimulator(rate_limits=RateLimits()) as sim:
        config = write_crowd_config(tmp_path, 1, flood_limits=True)
        members = (await seed_members(config, sim, MEMBERS))["g0"]
        supervisor = sim.users[supervisor_id(0)]
        bot = BotProcess(sim, config.source, tmp_path / "bot.log")
        await bot.start()

        # Fan-out: 120 messages at Telegram's pace take about four seconds; kill it again and again meanwhile.
        await supervisor.send_command("open", "g0")
        killed_mid_fanout = 0
        for _ in range(KILLS_DURING_FANOUT):
            await asyncio.sleep(rng.uniform(0.02, 0.3))
            killed_mid_fanout += sum(1 for user in members if not count(user, "Question 1 ·")) > 0
            await bot.kill()
            await bot.start()
        for user in members:
            await user.wait_for_message(lambda m: "Question 1 ·" in m.content, timeout=60, after=0)

        # Answering: twenty members answer (one goes back) and submit while the bot keeps being killed.
        round_ = AnsweringUnderKills(members, ANSWERING, "crash answer")
        answering = round_.start()
        killed_mid_answering = 0
        for _ in range(KILLS_DURING_ANSWERING):
            await asyncio.sleep(rng.uniform(0.2, 0.8))
            killed_mid_answering += not answering.done()
            await bot.kill()
            await bot.start()
        await answering

        await supervisor.send_command("close", "g0")
        await supervisor.wait_for_message(lambda m: "answered" in m.content, timeout=60)
        # The HTML report comes last (message → follow-ups → chart → PDF → HTML), paced like every other send.
        await supervisor.wait_for_message(is_html_report, timeout=60)
        await sim.wait_idle(timeout=30)
        assert await bot.terminate() == 0
        log = bot.log.read_text()

    assert bot.kills == KILLS_DURING_FANOUT + KILLS_DURING_ANSWERING >= 20
    assert killed_mid_fanout >= 3 and killed_mid_answering >= 6, (killed_mid_fanout, killed_mid_answering)
    round_.check(sim, supervisor, log)
    assert "Kierros stopped" in log
    assert "Kierros 0.1.0 started as @kierros_bot (polling): 1 group(s) (g0), open rounds: g0; next due:" in log


async def test_second_process_refuses_and_backup_copies_while_running(tmp_path: Path) -> None:
    async with BotApiSimulator() as sim:
        config = write_crowd_config(tmp_path, 1, flood_limits=False)
        await seed_members(config, sim, 3)
        first = BotProcess(sim, config.source, tmp_path / "first.log")
        await first.start()
        second = await BotProcess(sim, config.source, tmp_path / "second.log").spawn()
        assert await asyncio.wait_for(second.wait(), 30) == 1
        assert "in use by another Kierros process" in (tmp_path / "second.log").read_text()

        backup = tmp_path / "backups" / "copy.sqlite3"
        copier = await asyncio.create_subprocess_exec(
            sys.executable, str(ROOT / "bot.py"), "backup", str(backup), "--config", str(config.source)
        )
        assert await copier.wait() == 0
        copy = sqlite3.connect(backup)
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert copy.execute("SELECT COUNT(*) FROM members").fetchone() == (3,)
        copy.close()
        assert await first.terminate() == 0
