"""Scenario 10: failover — several `python bot.py run` processes on one PostgreSQL database, the active one killed
with SIGKILL again and again during a fan-out; how long until a standby sends, and whether every member still got
their question exactly once.

A deployment of one large group on a fresh PostgreSQL database, against the simulator with Telegram's flood limits
(about 30 messages a second), and N instances of the bot, each its own process as in production. The supervisor
opens the round; while its prompts go out (two a member: the intro and the first question), the active instance is
killed K times, each time once another instance stands by, and the killed one is started again at once (what
systemd's `Restart=always` or compose's `restart:` does). Per kill: the time from SIGKILL until a standby logs that it
holds the leadership, and until the simulator receives the first send after that (which only the new active instance
can make). At the end every member must have their question, and a message sent twice is allowed only for those the
new active instance reported in flight at the kill ("outbox: N item(s) were in flight": sent, but not yet recorded
as sent; the documented at-least-once edge). `Instance`, `wait_for_active` and `fail_over` are what
`tests/test_failover_e2e.py` uses too.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks.harness import REPOSITORY, SUPERVISOR_IDS, Deployment, group_id, new_simulator, wait_until
from benchmarks.report import Result, Target
from botsim.limits import RateLimits
from botsim.server import BotApiSimulator

SCENARIO = "10 failover"
ACTIVE = "leadership: this instance is active"
STANDING_BY = "leadership: standing by"
RESENT = re.compile(r"outbox: (\d+) item\(s\) were in flight")
SENDS = ("sendMessage", "editMessageText", "sendDocument", "sendPhoto")
MESSAGES_PER_MEMBER = 2  # the intro and the first question
TELEGRAM_MESSAGES_PER_SECOND = 30
# Kill only while this many prompts are still to go: the new active instance must have something to send.
MARGIN = 60


class Instance:
    """`python bot.py run` against the simulator, one of several sharing the database; its log is appended to one file
    across restarts, and `active` / `standing_by` read the part since its last start."""

    def __init__(self, sim: BotApiSimulator, config: Path, log: Path) -> None:
        self.sim = sim
        self.config = config
        self.log = log
        self.process: asyncio.subprocess.Process | None = None
        self.started_at = 0

    async def launch(self) -> None:
        """Start the process (it stands by or becomes active on its own); does not wait for either."""
        self.started_at = self.log.stat().st_size if self.log.exists() else 0
        environment = {**os.environ, "TELEGRAM_BOT_TOKEN": self.sim.token, "TELEGRAM_API_BASE_URL": self.sim.base_url}
        with self.log.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, str(REPOSITORY / "bot.py"), "run", "--config", str(self.config),
                env=environment, stdout=log, stderr=log,
            )  # fmt: skip

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.returncode is None

    def _since_start(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")[self.started_at :] if self.log.exists() else ""

    @property
    def active(self) -> bool:
        return self.alive and ACTIVE in self._since_start()

    @property
    def standing_by(self) -> bool:
        text = self._since_start()
        return self.alive and STANDING_BY in text and ACTIVE not in text

    async def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()

    async def terminate(self) -> int:
        assert self.process is not None
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        return await asyncio.wait_for(self.process.wait(), 30)

    def resent(self) -> int:
        """Items the log says were in flight when this instance took over (sent again)."""
        return sum(int(number) for number in RESENT.findall(self.log.read_text(encoding="utf-8", errors="replace")))


def sends(sim: BotApiSimulator) -> int:
    return sum(sim.stats.per_method[method] for method in SENDS)


async def wait_for_active(instances: list[Instance], timeout: float = 20) -> Instance:  # noqa: ASYNC109
    """The one active instance among `instances`, once there is one (two at once is an error)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        active = [instance for instance in instances if instance.active]
        if len(active) > 1:
            raise AssertionError("two instances active at once")
        if active:
            return active[0]
        # The instances are other processes: their logs are all there is to wait on.
        await asyncio.sleep(0.02)
    raise AssertionError("no instance became active")


async def wait_for_standby(instances: list[Instance], timeout: float = 30) -> None:  # noqa: ASYNC109
    deadline = time.monotonic() + timeout
    while not any(instance.standing_by for instance in instances):
        if time.monotonic() > deadline:
            raise AssertionError("no instance stands by")
        await asyncio.sleep(0.02)


async def fail_over(
    sim: BotApiSimulator,
    instances: list[Instance],
    takeovers: list[float],
    locks: list[float] | None = None,
    *,
    work: Callable[[BotApiSimulator], int] = sends,
) -> float:
    """Kill the active instance; wait until another is active and has sent something; start the killed one again.

    Appends (and returns) the seconds from the kill to that first send, and to `locks` those until the new active
    instance logged that it holds the lock. The send is counted only after that line, so a request of the killed
    process still being served cannot pass for it. `work` counts what proves the new instance at work (a test
    whose fan-out may be over counts its polling too)."""
    victim = await wait_for_active(instances)
    others = [instance for instance in instances if instance is not victim]
    killed = time.monotonic()
    await victim.kill()
    await wait_for_active(others)
    if locks is not None:
        locks.append(time.monotonic() - killed)
    before = work(sim)
    await asyncio.wait_for(sim.changes.wait_until(lambda: True if work(sim) > before else None), 20)
    takeovers.append(time.monotonic() - killed)
    await victim.launch()
    return takeovers[-1]


async def failover(instances: int, members: int, kills: int) -> list[Result]:
    """The scenario (see the module's docstring); needs `benchmarks.storage.using` a PostgreSQL server."""
    with tempfile.TemporaryDirectory(prefix="kierros-bench-") as folder:
        async with new_simulator(rate_limits=RateLimits()) as sim:
            deployment = await Deployment.create(Path(folder), 1, members, sim)
            if deployment.config.storage_url is None:
                raise RuntimeError("the failover scenario runs on PostgreSQL only")
            bots = [Instance(sim, deployment.config.source, Path(folder) / f"bot{n}.log") for n in range(instances)]
            for bot in bots:
                await bot.launch()
            await wait_for_active(bots, timeout=60)
            users = [sim.users[telegram_id] for telegram_id in deployment.members[group_id(0)]]
            total = members * MESSAGES_PER_MEMBER

            def delivered() -> int:
                return sum(min(len(user.chat.bot_messages()), MESSAGES_PER_MEMBER) for user in users)

            def prompted() -> int:
                """Members who have their question (a repeated intro must not count for it)."""
                return sum(any(m.inline_keyboard for m in user.chat.bot_messages()) for user in users)

            takeovers: list[float] = []
            locks: list[float] = []
            try:
                await wait_for_standby(bots, timeout=60)
                start = time.monotonic()
                await sim.users[SUPERVISOR_IDS].send_command("open", group_id(0))
                await wait_until(sim, lambda: delivered() > 0, timeout=30)
                for _ in range(kills):
                    active = await wait_for_active(bots)
                    await wait_for_standby([bot for bot in bots if bot is not active])
                    if total - delivered() < MARGIN:
                        break
                    await fail_over(sim, bots, takeovers, locks)
                patience = 60 + 3 * total / TELEGRAM_MESSAGES_PER_SECOND
                # A member left without their question is a result to report, not a reason to lose the others.
                with contextlib.suppress(TimeoutError):
                    await wait_until(sim, lambda: prompted() >= members, timeout=patience)
                finished = time.monotonic()
                await sim.wait_idle(timeout=30)
            finally:
                codes = [await bot.terminate() for bot in bots if bot.process is not None]
            resent = sum(bot.resent() for bot in bots)
            counts = [len(user.chat.bot_messages()) for user in users]
            missing = members - prompted()
    if any(code not in (0, -signal.SIGTERM) for code in codes):
        raise RuntimeError(f"an instance ended with {codes}")
    if not takeovers:
        raise RuntimeError("the fan-out ended before the first kill")
    return _results(instances, members, takeovers, locks, counts, missing, resent, finished - start)


def _results(
    instances: int,
    members: int,
    takeovers: list[float],
    locks: list[float],
    counts: list[int],
    missing: int,
    resent: int,
    seconds: float,
) -> list[Result]:
    messages = members * MESSAGES_PER_MEMBER
    floor = messages / TELEGRAM_MESSAGES_PER_SECOND
    repeated = sum(max(0, count - MESSAGES_PER_MEMBER) for count in counts)
    details = {
        "instances": instances,
        "members": members,
        "kills": len(takeovers),
        "takeovers_s": takeovers,
        "lock_s": locks,
        "in_flight_at_kills": resent,
        "fan_out_s": seconds,
    }
    label = f"{len(takeovers)} kills, {instances} instances"
    return [
        Result(SCENARIO, f"kill → standby's first send, median ({label})", statistics.median(takeovers), " s",
               details=details),
        Result(SCENARIO, "kill → standby's first send, min", min(takeovers), " s", details=details),
        Result(SCENARIO, "kill → standby's first send, max", max(takeovers), " s", target=Target("<", 10),
               details=details),
        Result(SCENARIO, "kill → standby holds the lock, median", statistics.median(locks), " s", details=details),
        Result(SCENARIO, f"members without their question ({members:,})", missing, target=Target("<=", 0),
               details=details),
        Result(SCENARIO, f"messages sent twice (allowed: {resent} in flight at the kills)", repeated,
               target=Target("<=", resent), details=details),
        Result(SCENARIO, f"fan-out elapsed / floor ({messages:,} msgs, floor {floor:.0f} s)", seconds / floor,
               details=details),
    ]  # fmt: skip
