"""A real network partition between the active instance and PostgreSQL, in private network namespaces.

Run as root inside a fresh network namespace (`unshare --net --fork python -m tests.netns_partition`, as
tests/test_leadership.py does): this namespace holds the PostgreSQL server (on 10.77.0.1) and a standby; a second one
holds the leader, joined by a veth pair. Taking the leader's link down cuts it off the way a failed switch or a lost
machine does: no reset, no FIN, nothing — so the server must notice by its own TCP timeouts. Prints one JSON line:
seconds from the cut until the leader stopped, the server ended its session, and the standby became active. Exits
with 77 when namespaces or veth links cannot be made here. Nothing outside the two namespaces is touched; both vanish
with their processes.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from checkins.storage.leadership import Leadership
from tests.postgres_server import PostgresServer, find_bindir

SERVER, LEADER_ADDRESS = "10.77.0.1", "10.77.0.2"
CANNOT = 77
ROOT = str(Path(__file__).resolve().parent.parent)
LEADER = """
import asyncio, sys, time
from checkins.storage.leadership import Leadership

async def main() -> None:
    lead = Leadership(sys.argv[1])
    await lead.wait_until_active()
    print("active", lead.backend_pid, flush=True)
    await lead.lost.wait()
    print("lost", time.monotonic(), flush=True)
    await asyncio.sleep(60)

asyncio.run(main())
"""


def run(*command: str) -> None:
    subprocess.run(command, check=True, capture_output=True, timeout=10)


def link_namespaces() -> subprocess.Popen[bytes]:
    """A second namespace (kept alive by a sleeping process) joined to this one by a veth pair; returns its keeper."""
    run("ip", "link", "set", "lo", "up")
    keeper = subprocess.Popen(["unshare", "--net", "sleep", "600"])
    time.sleep(0.3)
    other = f"--net=/proc/{keeper.pid}/ns/net"
    run("ip", "link", "add", "kierros-a", "type", "veth", "peer", "name", "kierros-b")
    run("ip", "link", "set", "kierros-b", "netns", str(keeper.pid))
    run("ip", "addr", "add", f"{SERVER}/24", "dev", "kierros-a")
    run("ip", "link", "set", "kierros-a", "up")
    run("nsenter", other, "ip", "addr", "add", f"{LEADER_ADDRESS}/24", "dev", "kierros-b")
    run("nsenter", other, "ip", "link", "set", "kierros-b", "up")
    return keeper


async def measure(server: PostgresServer, keeper: int) -> dict[str, float]:
    url = server.url("postgres")
    other = f"--net=/proc/{keeper}/ns/net"
    leader = await asyncio.create_subprocess_exec(
        "nsenter", other, sys.executable, "-c", LEADER, url, stdout=asyncio.subprocess.PIPE,
        env=os.environ | {"PYTHONPATH": ROOT},
    )  # fmt: skip
    assert leader.stdout is not None
    status, pid = (await asyncio.wait_for(leader.stdout.readline(), 30)).decode().split()
    assert status == "active"
    standby = Leadership(url)
    waiting = asyncio.create_task(standby.wait_until_active())
    await asyncio.sleep(2.3)
    assert not waiting.done()
    cut = time.monotonic()
    run("nsenter", other, "ip", "link", "set", "kierros-b", "down")
    ended = None
    while (ended is None or not waiting.done()) and time.monotonic() - cut < 20:
        if ended is None and not server.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", int(pid)):
            ended = time.monotonic() - cut
        await asyncio.sleep(0.05)
    active = time.monotonic() - cut if waiting.done() else float("inf")
    stopped = float((await asyncio.wait_for(leader.stdout.readline(), 5)).decode().split()[1]) - cut
    leader.kill()
    await leader.wait()
    await standby.release()
    return {"leader_stopped": stopped, "server_ended": ended or float("inf"), "standby_active": active}


def main() -> int:
    bindir = find_bindir()
    if bindir is None:
        print("no PostgreSQL server binaries")
        return CANNOT
    try:
        keeper = link_namespaces()
    except (OSError, subprocess.SubprocessError) as error:
        print(f"cannot make network namespaces here: {error}")
        return CANNOT
    server = PostgresServer(bindir, host=SERVER)
    try:
        server.start()
        print(json.dumps(asyncio.run(measure(server, keeper.pid))))
    finally:
        server.stop()
        keeper.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
