"""Scenario 5: memory and start-up of a large deployment — the bot as its own process, exactly as deployed.

A deployment of many groups and members is written and populated first; then `python bot.py run` starts as a child
process with the token and the simulator's address in its environment, as an operator would start it. Start-up is
the time from spawning the process to its first `getUpdates` (interpreter, imports, config and flows, the database,
command menus — everything before polling). After it has been idle for a while its resident memory is read from
`/proc/<pid>/status` (VmRSS, and VmHWM, the peak so far), so neither the simulator nor this harness is counted.
Importing `bot.py` alone is timed too, to show how much of the start-up is Python and its libraries loading.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.harness import REPOSITORY, Deployment, new_simulator
from benchmarks.report import Result, Target
from bot import BASE_URL_ENV, TOKEN_ENV

START_TIMEOUT = 60.0


def memory_kib(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of a process, in KiB, from /proc (no psutil)."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0])
    return values


def import_seconds() -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import bot"], cwd=REPOSITORY, check=True)
    return time.perf_counter() - start


async def footprint(groups: int, members_per_group: int, idle_seconds: float) -> list[Result]:
    with tempfile.TemporaryDirectory(prefix="kierros-bench-") as folder:
        async with new_simulator() as sim:
            deployment = await Deployment.create(Path(folder), groups, members_per_group, sim)
            env = {**os.environ, TOKEN_ENV: sim.token, BASE_URL_ENV: sim.base_url}
            log_path = Path(folder) / "bot.log"
            with log_path.open("wb") as log:
                started = time.monotonic()
                process = await asyncio.create_subprocess_exec(
                    sys.executable, str(REPOSITORY / "bot.py"), "run", "--config", str(deployment.config.source),
                    cwd=REPOSITORY, env=env, stdout=log, stderr=log,
                )  # fmt: skip
                try:
                    async with asyncio.timeout(START_TIMEOUT):
                        while sim.stats.per_method["getUpdates"] == 0:
                            if process.returncode is not None:
                                raise RuntimeError(f"the bot exited with {process.returncode}")
                            # Polling starts in another process: nothing here to await but time.
                            await asyncio.sleep(0.005)
                    start_up = time.monotonic() - started
                    await asyncio.sleep(idle_seconds)
                    memory = memory_kib(process.pid)
                finally:
                    if process.returncode is None:
                        process.send_signal(signal.SIGTERM)
                        try:
                            await asyncio.wait_for(process.wait(), 15)
                        except TimeoutError:
                            process.kill()
                            await process.wait()
            if process.returncode not in (0, -signal.SIGTERM):
                tail = log_path.read_text(encoding="utf-8", errors="replace")[-2000:]
                raise RuntimeError(f"the bot ended with {process.returncode}:\n{tail}")
    imports = import_seconds()
    name = "5 memory & start-up"
    details = {
        "groups": groups,
        "members": deployment.member_count,
        "idle_s": idle_seconds,
        "vmrss_kib": memory["VmRSS"],
        "vmhwm_kib": memory["VmHWM"],
        "start_up_s": start_up,
        "import_bot_s": imports,
    }
    label = f"{groups:,} groups, {deployment.member_count:,} members"
    return [
        Result(name, f"RSS idle ({label})", memory["VmRSS"] / 1024, " MB", target=Target("<", 150), details=details),
        Result(name, "peak RSS so far (VmHWM)", memory["VmHWM"] / 1024, " MB", details=details),
        Result(name, "start-up to first getUpdates", start_up, " s", target=Target("<", 3), details=details),
        Result(name, "of which `import bot` alone", imports, " s", details=details),
    ]
