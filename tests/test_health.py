"""The health report's verdicts, on a real database without a bot: what makes an instance not live or not ready, and
the event loop's heartbeat noticing a blocked loop."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest

from checkins.config.app import HealthConfig
from checkins.storage import Store
from handlers.health import TELEGRAM_FAILING_LIMIT, HealthServer, LoopWatch, Probes
from handlers.metrics import Metrics


def server(
    store: Store,
    *,
    active: bool = True,
    started: bool = True,
    sender_running: bool = True,
    failing_for: float = 0.0,
) -> HealthServer:
    def constant(value: bool) -> Callable[[], bool]:
        return lambda: value

    probes = Probes(store, constant(active), constant(started), constant(sender_running), lambda: failing_for)
    return HealthServer(HealthConfig(), probes, Metrics())


async def test_a_healthy_instance_is_live_and_ready_and_a_standby_says_it_is_not_active(store: Store) -> None:
    report = await server(store).report()
    assert (report["live"], report["ready"], report["active"]) == (True, True, True)
    assert report["outbox"] == {"pending": 0, "held": 0, "oldest_pending_age_seconds": None}
    standby = await server(store, active=False).report()
    assert (standby["live"], standby["ready"], standby["active"]) == (True, True, False)


@pytest.mark.parametrize(
    ("probes", "live", "ready", "failed_check"),
    [
        pytest.param({"sender_running": False}, False, False, "outbox_sender", id="sender-died"),
        pytest.param({"started": False}, True, False, "telegram", id="bot-not-started"),
        pytest.param({"failing_for": TELEGRAM_FAILING_LIMIT + 1}, True, False, "telegram", id="telegram-failing"),
    ],
)
async def test_what_makes_an_instance_not_live_or_not_ready(
    store: Store, probes: dict[str, bool | float], live: bool, ready: bool, failed_check: str
) -> None:
    report = await server(store, **probes).report()  # type: ignore[arg-type]
    assert (report["live"], report["ready"]) == (live, ready)
    assert [name for name, check in report["checks"].items() if not check["ok"]] == [failed_check]


async def test_telegram_failing_briefly_is_left_to_the_outbox(store: Store) -> None:
    report = await server(store, failing_for=TELEGRAM_FAILING_LIMIT - 1).report()
    assert report["ready"] and report["checks"]["telegram"]["failing_seconds"] == TELEGRAM_FAILING_LIMIT - 1


async def test_the_heartbeat_notices_a_blocked_event_loop() -> None:
    watch = LoopWatch()
    beating = asyncio.create_task(watch.run())
    try:
        await asyncio.sleep(0)
        assert watch.worst_lag() < 0.2
        time.sleep(1.4)  # noqa: ASYNC251 - the point: something blocks the loop, the beat due after 1 s cannot run
        assert watch.worst_lag() >= 0.3
        await asyncio.sleep(0.05)  # the late beat runs and records how late it was
        assert watch.lag >= 0.3
    finally:
        beating.cancel()
        await asyncio.gather(beating, return_exceptions=True)
