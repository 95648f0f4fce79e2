"""Webhook mode with several instances behind a load balancer: two `python bot.py run` processes on one PostgreSQL
database, each with its own webhook port, and the simulator's webhook calls all sent to the standby's port (as a
load balancer might). The standby stores each update and answers 200; the active instance handles it and sends. A
call without the right secret is refused with nothing stored; updates stored while the active instance is gone are
handled by the standby once it takes over, none lost. Behind a round-robin balancer, where a member's messages
alternate between the instances, each member's updates are still handled in Telegram's order."""

from __future__ import annotations

import asyncio
import json
import signal
import time
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from botsim import BotApiSimulator
from checkins.storage import Store
from tests.crowd import PatientDriver, seed_members, supervisor_id, write_crowd_config
from tests.kills import count
from tests.postgres_server import Database
from tests.test_failover_e2e import Instance, free_port, wait_for_active
from tests.test_round_e2e import file_text, is_html_report

pytestmark = pytest.mark.postgresql
SECRET = "kierros-webhook-secret_2"
STANDING_BY = "webhook: standing by"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
HELP = "I ask a few short questions"


class WebhookInstance(Instance):
    """An instance with its own webhook port (its own config file, the same database)."""

    def __init__(self, sim: BotApiSimulator, folder: Path, url: str) -> None:
        config = write_crowd_config(folder, 1, flood_limits=False, storage_url=url)
        self.port = free_port()
        webhook = (
            "telegram: {flood_limits: false, webhook: "
            f"{{url: 'https://kierros.example', listen: 127.0.0.1, port: {self.port}, path: hook}}}}"
        )
        text = config.source.read_text(encoding="utf-8").replace("telegram: {flood_limits: false}", webhook)
        config.source.write_text(text, encoding="utf-8")
        super().__init__(sim, config.source, folder / "bot.log")

    @property
    def hook(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    async def standing_by(self) -> None:
        for _ in range(600):
            if STANDING_BY in self.log.read_text()[self.started_at :]:
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"never stood by on its webhook port:\n{self.log.read_text()[-3000:]}")


async def waiting_updates(url: str) -> list[int]:
    store = await Store.open(url)
    try:
        async with store.transaction():
            return [update_id for update_id, _ in await store.inbound_updates(100)]
    finally:
        await store.close()


async def store_update(url: str, update: dict[str, object]) -> None:
    store = await Store.open(url)
    try:
        async with store.transaction() as transaction:
            await transaction.store_inbound(int(str(update["update_id"])), json.dumps(update), time.time())
    finally:
        await store.close()


async def start_pair(sim: BotApiSimulator, tmp_path: Path, url: str) -> tuple[WebhookInstance, WebhookInstance]:
    """The first instance active, the second standing by; the load balancer sends everything to the second."""
    active = WebhookInstance(sim, tmp_path / "a", url)
    standby = WebhookInstance(sim, tmp_path / "b", url)
    sim.webhook_forward_to = standby.hook
    await active.launch()
    assert await wait_for_active([active]) is active
    await standby.launch()
    await standby.standing_by()
    return active, standby


async def test_updates_sent_to_a_standby_are_handled_by_the_active_instance(
    tmp_path: Path, postgres_database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", SECRET)
    async with BotApiSimulator() as sim:
        config = write_crowd_config(tmp_path, 1, flood_limits=False, storage_url=postgres_database.url)
        members = (await seed_members(config, sim, 2))["g0"]
        active, standby = await start_pair(sim, tmp_path, postgres_database.url)
        supervisor = sim.user(supervisor_id(0))
        opening = await supervisor.send_command("open", "g0")
        await supervisor.wait_for_message(lambda m: "opened" in m.content.lower(), timeout=30)
        driver = PatientDriver(members[0])
        await driver.screen()
        await driver.answer(["v4", "text:handed over by the standby", "v1"])
        submitted = await driver.submit()
        assert "submitted" in submitted.content.lower()

        assert sim.webhook is not None and sim.webhook.posted >= 6
        assert sim.stats.per_method["getUpdates"] == 0
        assert not standby.active and active.active
        assert await waiting_updates(postgres_database.url) == []  # each deleted once handled

        # A crash between handling a stored update and deleting it leaves it stored: handled again, it changes
        # nothing and sends nothing, and then it goes.
        await store_update(postgres_database.url, opening)
        for _ in range(200):
            if not await waiting_updates(postgres_database.url):
                break
            await asyncio.sleep(0.05)
        assert await waiting_updates(postgres_database.url) == []
        await sim.wait_idle()
        assert count(supervisor, "opened") == 1
        assert f"update {opening['update_id']} was delivered again" in active.log.read_text()
        assert await standby.terminate() == 0
        assert await active.terminate() == 0
    assert "handed over by the standby" not in standby.log.read_text() + active.log.read_text()


async def test_updates_waiting_when_the_active_instance_dies_are_handled_by_the_standby_taking_over(
    tmp_path: Path, postgres_database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", SECRET)
    async with BotApiSimulator() as sim:
        config = write_crowd_config(tmp_path, 1, flood_limits=False, storage_url=postgres_database.url)
        members = (await seed_members(config, sim, 2))["g0"]
        active, standby = await start_pair(sim, tmp_path, postgres_database.url)
        supervisor = sim.user(supervisor_id(0))
        await supervisor.send_command("open", "g0")
        drivers = [PatientDriver(user) for user in members]
        for driver in drivers:
            await driver.screen()

        # The active instance freezes (it still holds the leadership): the standby keeps what members send.
        assert active.process is not None
        active.process.send_signal(signal.SIGSTOP)
        for driver, code in zip(drivers, ("v2", "v5"), strict=True):
            screen = driver.current_screen()
            driver.acted_on = screen.content
            await driver.user.press(next(b.data for b in screen.flat_buttons if b.data.endswith(f":{code}")))
        for _ in range(600):
            if len(waiting := await waiting_updates(postgres_database.url)) == 2:
                break
            await asyncio.sleep(0.05)
        assert len(waiting) == 2, waiting

        async with aiohttp.ClientSession() as session:
            chat = {"id": 1, "type": "private"}
            forged = {"update_id": 999_999, "message": {"message_id": 1, "date": 0, "chat": chat}}
            for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "guess"}):
                async with session.post(standby.hook, json=forged, headers=headers) as response:
                    assert response.status == 403
            plain = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "text/plain"}
            async with session.post(standby.hook, data="{}", headers=plain) as response:
                assert response.status == 403
        assert await waiting_updates(postgres_database.url) == waiting

        assert sim.webhook is not None
        refused = sim.webhook.refused
        active.process.send_signal(signal.SIGKILL)
        await active.process.wait()
        killed = time.monotonic()

        asked = 0

        async def keep_asking() -> None:
            """Updates arriving all through the takeover (the standby stores them until its own server listens)."""
            nonlocal asked
            while True:
                await supervisor.send_command("help")
                asked += 1
                await asyncio.sleep(0.05)

        asking = asyncio.create_task(keep_asking())
        assert await wait_for_active([standby]) is standby
        for driver in drivers:
            await driver.screen()  # the second question: the stored answer was handled
        handled_after = time.monotonic() - killed
        assert handled_after < 10
        await asyncio.sleep(1)
        asking.cancel()
        async with asyncio.timeout(30):  # every one of them answered
            await sim.changes.wait_until(lambda: True if count(supervisor, HELP) >= asked else None)
        assert count(supervisor, HELP) == asked
        for driver in drivers:
            await driver.answer([f"text:kept in transit {driver.user.user_id}", "v1"])
            assert "submitted" in (await driver.submit()).content.lower()
        assert await waiting_updates(postgres_database.url) == []
        await supervisor.send_command("close", "g0")
        digest = await supervisor.wait_for_message(lambda m: "answered" in m.content, timeout=30)
        assert "2 of 2 answered" in digest.content
        report = file_text(sim, await supervisor.wait_for_message(is_html_report, timeout=30))
        assert "Mean 3.5" in report  # the two scale answers stored while the active instance was frozen
        refused = sim.webhook.refused - refused
        assert await standby.terminate() == 0
    assert "Traceback" not in standby.log.read_text()
    print(
        f"stored updates handled {handled_after:.2f} s after the kill; {asked} /help during the takeover, all "
        f"answered; {refused} webhook call(s) refused meanwhile (the port changing hands)"
    )


class RoundRobin:
    """A load balancer: each webhook call goes to the next instance in turn, headers and body as they came."""

    def __init__(self, backends: list[str]) -> None:
        self.backends = backends
        self.port = free_port()
        self.calls = [0] * len(backends)
        self._turn = 0
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    async def __aenter__(self) -> RoundRobin:
        self._session = aiohttp.ClientSession()
        app = web.Application()
        app.router.add_post("/hook", self._forward)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._runner is not None and self._session is not None
        await self._runner.cleanup()
        await self._session.close()

    async def _forward(self, request: web.Request) -> web.Response:
        assert self._session is not None
        index = self._turn % len(self.backends)
        self._turn += 1
        self.calls[index] += 1
        headers = {name: request.headers[name] for name in ("Content-Type", SECRET_HEADER) if name in request.headers}
        try:
            async with self._session.post(self.backends[index], data=await request.read(), headers=headers) as answer:
                return web.Response(status=answer.status)
        except aiohttp.ClientError:
            return web.Response(status=502)


async def test_behind_a_round_robin_balancer_each_members_updates_are_handled_in_order(
    tmp_path: Path, postgres_database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", SECRET)
    async with BotApiSimulator() as sim:
        config = write_crowd_config(tmp_path, 1, flood_limits=False, storage_url=postgres_database.url)
        members = (await seed_members(config, sim, 3))["g0"]
        active = WebhookInstance(sim, tmp_path / "a", postgres_database.url)
        standby = WebhookInstance(sim, tmp_path / "b", postgres_database.url)
        async with RoundRobin([active.hook, standby.hook]) as balancer:
            sim.webhook_forward_to = balancer.url
            await active.launch()
            assert await wait_for_active([active]) is active
            await standby.launch()
            await standby.standing_by()
            supervisor = sim.user(supervisor_id(0))
            await supervisor.send_command("open", "g0")
            drivers = [PatientDriver(user) for user in members]

            async def answer(driver: PatientDriver) -> None:
                await driver.screen()
                await driver.act("v3")
                echo = await driver.type("part one")
                # Two more messages and Next at once: each lands on either instance; handled in order, all three
                # parts make the answer before Next moves on.
                await driver.user.send_text("part two")
                await driver.user.send_text("part three")
                await driver.user.press(next(b.data for b in echo.flat_buttons if b.data.endswith(":n")))
                await driver.user.wait_for_message(lambda m: "Again next time?" in m.content, timeout=30)
                review = await driver.act("v1")
                assert "part one" in review.content and "part three" in review.content, review.content

            await asyncio.gather(*(answer(driver) for driver in drivers))
            await sim.wait_idle()
            for driver in drivers:
                contents = "\n".join(m.content for m in driver.user.messages)
                assert "I did not save your message" not in contents
            assert min(balancer.calls) >= 8, balancer.calls
            assert await standby.terminate() == 0
            assert await active.terminate() == 0
