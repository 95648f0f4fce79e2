"""Failover: three `python bot.py run` processes on one PostgreSQL database, the active one killed with SIGKILL again
and again while it fans a round out and while members answer, against the simulator with Telegram's flood limits.

Exactly one process is active at a time (it polls and sends); the others stand by. After each kill a standby is
active and sending within 10 s, and the killed process comes back as a standby, as systemd's `Restart=always` or
compose's `restart:` would do it. At the end: no answer lost, no question skipped, no message twice beyond the
documented in-flight ones (which the new active process reports), exactly one digest — the crash test's invariants,
across processes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import socket
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest

from benchmarks.failover import Instance, fail_over, sends, wait_for_active
from botsim import BotApiSimulator, RateLimits
from tests.crowd import seed_members, supervisor_id, write_crowd_config
from tests.kills import AnsweringUnderKills, count
from tests.postgres_server import Database
from tests.test_round_e2e import is_html_report

pytestmark = pytest.mark.postgresql
MEMBERS = 200
ANSWERING = 20
KILLS_DURING_FANOUT = 5
KILLS_DURING_ANSWERING = 6
INSTANCES = 3


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def working(sim: BotApiSimulator) -> int:
    """Requests that only an active instance makes: sends, and polling (when nothing is left to send)."""
    return sends(sim) + sim.stats.per_method["getUpdates"]


async def stop_all(instances: list[Instance]) -> None:
    """A failed test leaves no process behind (it would go on polling the next test's database)."""
    for instance in instances:
        if instance.process is not None and instance.process.returncode is None:
            await instance.kill()


async def test_sigkill_of_the_active_instance_hands_over_and_loses_nothing(
    tmp_path: Path, postgres_database: Database
) -> None:
    rng = random.Random(18)
    takeovers: list[float] = []
    async with contextlib.AsyncExitStack() as stack, BotApiSimulator(rate_limits=RateLimits()) as sim:
        config = write_crowd_config(tmp_path, 1, flood_limits=True, storage_url=postgres_database.url)
        members = (await seed_members(config, sim, MEMBERS))["g0"]
        supervisor = sim.users[supervisor_id(0)]
        instances = [Instance(sim, config.source, tmp_path / f"bot{n}.log") for n in range(INSTANCES)]
        stack.push_async_callback(stop_all, instances)
        for instance in instances:
            await instance.launch()
        await wait_for_active(instances)
        await asyncio.sleep(2)  # the standbys have started and are waiting for the lock
        assert sum(instance.active for instance in instances) == 1

        # Fan-out: 400 messages at Telegram's pace take about 13 seconds; fail over again and again meanwhile.
        await supervisor.send_command("open", "g0")
        # The fan-out has begun once anyone has the intro (the first member may well be the last to get it).
        started = sim.changes.wait_until(
            lambda: True if any(count(user, "Three quick questions") for user in members) else None
        )
        await asyncio.wait_for(started, 30)
        killed_mid_fanout = 0
        for _ in range(KILLS_DURING_FANOUT):
            await asyncio.sleep(rng.uniform(0.05, 0.4))
            killed_mid_fanout += sum(1 for user in members if not count(user, "Question 1 ·")) > 0
            await fail_over(sim, instances, takeovers, work=working)
        for user in members:
            await user.wait_for_message(lambda m: "Question 1 ·" in m.content, timeout=60, after=0)

        round_ = AnsweringUnderKills(members, ANSWERING, "failover answer")
        answering = round_.start()
        killed_mid_answering = 0
        for _ in range(KILLS_DURING_ANSWERING):
            await asyncio.sleep(rng.uniform(0.2, 0.8))
            killed_mid_answering += not answering.done()
            await fail_over(sim, instances, takeovers, work=working)
        await answering

        await supervisor.send_command("close", "g0")
        await supervisor.wait_for_message(lambda m: "answered" in m.content, timeout=60)
        await supervisor.wait_for_message(is_html_report, timeout=60)
        await sim.wait_idle(timeout=30)
        for instance in instances:
            assert await instance.terminate() == 0
        logs = "".join(instance.log.read_text() for instance in instances)

    assert len(takeovers) == KILLS_DURING_FANOUT + KILLS_DURING_ANSWERING >= 10
    assert killed_mid_fanout >= 3 and killed_mid_answering >= 4, (killed_mid_fanout, killed_mid_answering)
    assert max(takeovers) < 10, takeovers
    round_.check(sim, supervisor, logs)
    print(f"takeover after kill: {sorted(round(t, 2) for t in takeovers)} s")


async def health(port: int) -> tuple[int, dict[str, object]]:
    def fetch() -> tuple[int, dict[str, object]]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())
        except urllib.error.URLError:
            return 0, {}  # not listening (yet, or any more)

    return await asyncio.to_thread(fetch)


async def health_when(port: int, wanted: Callable[[int, dict[str, object]], bool]) -> dict[str, object]:
    """The report once `wanted(status, report)` holds (polled for up to 30 s)."""
    for _ in range(150):
        status, report = await health(port)
        if wanted(status, report):
            return report
        await asyncio.sleep(0.2)
    raise AssertionError(f"/healthz on {port} never came right: {status} {report}")


async def test_a_standby_is_healthy_and_not_active_until_it_takes_over(
    tmp_path: Path, postgres_database: Database
) -> None:
    async with contextlib.AsyncExitStack() as stack, BotApiSimulator() as sim:
        instances: list[Instance] = []
        ports: dict[int, int] = {}
        for number in range(2):
            folder = tmp_path / f"i{number}"
            config = write_crowd_config(folder, 1, flood_limits=False, storage_url=postgres_database.url)
            port = free_port()
            with config.source.open("a", encoding="utf-8") as file:
                file.write(f"health: {{listen: 127.0.0.1, port: {port}}}\n")
            instances.append(Instance(sim, config.source, folder / "bot.log"))
            ports[id(instances[-1])] = port
        await seed_members(config, sim, 2)
        stack.push_async_callback(stop_all, instances)
        for instance in instances:
            await instance.launch()
        first = await wait_for_active(instances)
        standby = instances[1 - instances.index(first)]
        report = await health_when(ports[id(standby)], lambda status, _: status == 200)
        assert report["active"] is False
        assert (await health_when(ports[id(first)], lambda status, _: status == 200))["active"] is True

        await first.kill()
        assert await wait_for_active([standby]) is standby
        await health_when(ports[id(standby)], lambda status, report: status == 200 and report["active"] is True)
        assert await standby.terminate() == 0
