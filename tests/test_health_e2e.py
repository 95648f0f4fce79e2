"""/healthz, /livez and /metrics over real HTTP, with the real bot running a round against the simulator: the
figures are right, a standby is healthy and says it is not active, readiness follows the database, and neither
endpoint names anyone."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from botsim import BotApiSimulator, FaultPlan
from checkins.config.app import AppConfig
from demo import GROUP_ID, MEMBERS, SUPERVISOR_ID, write_demo_config
from handlers import health
from handlers.application import build_application, running
from tests.conftest import RunnerFactory
from tests.crowd import database_held
from tests.test_round_e2e import FULL, open_round, script, setup_group
from tests.test_startup_errors_e2e import SECRET_TOKEN, run_bot


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def health_config(tmp_path: Path, port: int) -> AppConfig:
    return write_demo_config(tmp_path, language="en", extra=f"health: {{listen: 127.0.0.1, port: {port}}}\n")


async def get(port: int, path: str, accept: str | None = None) -> tuple[int, str, str]:
    """Status, content type and body of one GET on the health endpoint."""
    headers = {"Accept": accept} if accept else {}
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{port}{path}", headers=headers) as response,
    ):
        return response.status, response.headers["Content-Type"], await response.text()


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a Prometheus text exposition: (name, labels) -> value."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def outbox_drained(port: int) -> dict[str, Any]:
    """The health report once nothing waits in the outbox (deliveries are recorded after Telegram's reply)."""
    for _ in range(300):
        status, _, body = await get(port, "/healthz")
        report = json.loads(body)
        if status == 200 and report["outbox"]["pending"] == 0:
            return dict(report)
        await asyncio.sleep(0.1)
    raise AssertionError(f"the outbox never drained: {report}")


def assert_names_no_one(body: str, answers: list[str]) -> None:
    tokens = set(re.split(r"[^0-9A-Za-z]+", body))
    for uid, first, last, username, _ in MEMBERS:
        assert str(uid) not in tokens
        for identifying in (first, last, username):
            if identifying:
                assert identifying.lower() not in body.lower()
    assert str(SUPERVISOR_ID) not in tokens
    for text in ("Sanna", GROUP_ID, "Kotihoidon", *answers):
        assert text.lower() not in body.lower()


SENT = "kierros_messages_sent_total"


async def sent_so_far(sim: BotApiSimulator, port: int) -> tuple[dict[str, float], dict[str, int]]:
    """Once the outbox is empty: what the metrics counted as sent, and what the simulator received, by method."""
    await outbox_drained(port)
    figures = samples((await get(port, "/metrics"))[2])
    methods = ("sendMessage", "editMessageText", "editMessageReplyMarkup")
    return {m: figures[(SENT, (("method", m),))] for m in methods}, {m: sim.stats.per_method[m] for m in methods}


async def test_a_round_in_progress_is_counted_and_no_one_is_named(
    sim: BotApiSimulator, make_runner: RunnerFactory
) -> None:
    port = free_port()
    await make_runner(extra=f"health: {{listen: 127.0.0.1, port: {port}}}\n")
    supervisor, members = await setup_group(sim, count=4)
    await open_round(supervisor, members)
    # Supervisor commands are answered directly, not through the outbox; answering a round goes through it only.
    counted_before, received_before = await sent_so_far(sim, port)
    assert counted_before["sendMessage"] >= 4
    # Telegram refuses the next two messages with 429: they are counted, retried and then delivered.
    sim.faults = FaultPlan(methods=("sendMessage",))
    sim.faults.trigger_429_burst(2, retry_after=1)
    answers = []
    for number, member in enumerate(members[:3]):
        steps = script(number)
        answers += [step[5:] for step in steps if step.startswith("text:")]
        await member.answer(steps)
        await member.submit()
    await members[3].answer(script(3)[:2])  # still answering: the round stays open
    await sim.wait_idle(timeout=10)

    counted, received = await sent_so_far(sim, port)
    assert sim.stats.errors == sim.stats.faults["burst_429"] == 2
    assert counted["sendMessage"] - counted_before["sendMessage"] == (
        received["sendMessage"] - received_before["sendMessage"] - 2
    )
    for edit in ("editMessageText", "editMessageReplyMarkup"):
        assert counted[edit] - counted_before[edit] == received[edit] - received_before[edit], edit
    # Each answered step is one request at least (a new message, or the question edited into the next).
    assert sum(counted[method] - counted_before[method] for method in counted) > 3 * len(FULL)
    report = await outbox_drained(port)
    assert report["live"] and report["ready"] and report["active"]
    assert all(check["ok"] for check in report["checks"].values())
    assert report["outbox"] == {"pending": 0, "held": 0, "oldest_pending_age_seconds": None}
    status, content_type, metrics_text = await get(port, "/metrics")
    assert status == 200 and content_type.startswith("text/plain")
    figures = samples(metrics_text)
    assert figures[("kierros_telegram_rate_limited_total", ())] == 2
    assert figures[("kierros_outbox_retries_total", (("reason", "rate_limited"),))] == 2
    assert figures[("kierros_outbox_retries_total", (("reason", "network"),))] == 0
    assert figures[("kierros_rounds_open", ())] == 1
    assert figures[("kierros_outbox_pending", ())] == 0
    assert figures[("kierros_outbox_oldest_pending_age_seconds", ())] == 0
    assert figures[("kierros_active", ())] == 1
    # OpenMetrics for a scraper that asks for it.
    status, content_type, open_metrics = await get(port, "/metrics", "application/openmetrics-text; version=1.0.0")
    assert status == 200 and content_type.startswith("application/openmetrics-text")
    assert open_metrics.rstrip().endswith("# EOF")
    _, _, live = await get(port, "/livez")
    for body in (json.dumps(report), metrics_text, open_metrics, live):
        assert_names_no_one(body, answers)
    assert (await get(port, "/nothing-here"))[0] == 404


async def test_a_backlog_while_telegram_fails_shows_its_depth_and_age(
    sim: BotApiSimulator, make_runner: RunnerFactory
) -> None:
    port = free_port()
    await make_runner(extra=f"health: {{listen: 127.0.0.1, port: {port}}}\n")
    supervisor, members = await setup_group(sim, count=3)
    await open_round(supervisor, members)
    await outbox_drained(port)
    sim.faults = FaultPlan(error_500_rate=1.0, methods=("sendMessage", "editMessageText"))
    for member in members:
        screen = member.current_screen()
        await member.user.press(next(b.data for b in screen.flat_buttons if b.data.endswith(":v4")), screen.message_id)
    for _ in range(100):
        report = json.loads((await get(port, "/healthz"))[2])
        if report["outbox"]["pending"] >= 3 and report["outbox"]["oldest_pending_age_seconds"] >= 1.5:
            break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError(f"no backlog in the report: {report}")
    # Telegram failing for seconds is the outbox's business (it retries); only minutes of it make the bot unready.
    assert report["ready"] and report["checks"]["telegram"]["failing_seconds"] > 0
    figures = samples((await get(port, "/metrics"))[2])
    assert figures[("kierros_outbox_pending", ())] >= 3
    assert figures[("kierros_outbox_oldest_pending_age_seconds", ())] >= 1.45  # /healthz rounds to 0.1 s
    assert figures[("kierros_outbox_retries_total", (("reason", "network"),))] >= 3

    sim.faults = FaultPlan()
    report = await outbox_drained(port)
    assert report["checks"]["telegram"]["failing_seconds"] == 0
    for member in members:
        await member.screen()


@contextlib.asynccontextmanager
async def standby(config: AppConfig, sim: BotApiSimulator) -> AsyncIterator[None]:
    application = build_application(config, sim.token, base_url=sim.base_url, is_active=lambda: False)
    async with running(application):
        yield


@pytest.mark.sqlite_only  # holds SQLite's write lock; a lost PostgreSQL connection: test_storage_engines
async def test_a_standby_is_healthy_and_readiness_follows_the_database(
    sim: BotApiSimulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(health, "DATABASE_TIMEOUT", 0.5)
    port = free_port()
    config = health_config(tmp_path, port)
    async with standby(config, sim):
        status, _, body = await get(port, "/healthz")
        report = json.loads(body)
        assert status == 200 and report["live"] and report["ready"] and report["active"] is False
        assert samples((await get(port, "/metrics"))[2])[("kierros_active", ())] == 0

        async with database_held(config.storage_path):
            status, _, body = await get(port, "/healthz")
            report = json.loads(body)
            assert status == 503 and report["live"] and not report["ready"]
            assert report["checks"]["database"] == {"ok": False, "problem": "no answer within 0.5 s"}
            assert report["outbox"] is None
            # Liveness alone does not depend on the database: an orchestrator restarting on it spares the instance.
            status, _, body = await get(port, "/livez")
            assert status == 200 and json.loads(body)["ready"] is False
            assert (await get(port, "/metrics"))[0] == 503
        # The database answers again: ready again.
        status, _, _ = await get(port, "/healthz")
        assert status == 200


@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_a_taken_port_stops_the_start_with_one_clear_line(tmp_path: Path, mode: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = int(taken.getsockname()[1])
        config = health_config(tmp_path, port).source
        if mode == "webhook":
            webhook = "telegram: {flood_limits: false, webhook: {url: 'https://kierros.example', port: %d}}"
            text = config.read_text(encoding="utf-8")
            config.write_text(text.replace("telegram: {flood_limits: false}", webhook % free_port()))
        async with BotApiSimulator(token=SECRET_TOKEN) as sim:
            code, stderr = await run_bot(config, SECRET_TOKEN, sim.base_url)
    assert code == 1 and "Traceback" not in stderr
    assert stderr.strip().splitlines()[-1] == (
        f"Not started: the health endpoint cannot listen on 127.0.0.1:{port} (Address already in use)"
    )
