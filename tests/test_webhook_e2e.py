"""Webhook mode end to end: `python bot.py run` with a `telegram.webhook` section, the simulator posting updates to
it as Telegram would (through the address a TLS proxy would forward to), the secret token checked; on SQLite and on
PostgreSQL (where a lone instance first stands by, briefly, and its own webhook's updates go through the lanes that
also take those other instances store: handlers/inbound.py)."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import aiohttp
import pytest

from botsim import BotApiSimulator
from tests.conftest import StorageChoice
from tests.crowd import PatientDriver, database_held, seed_members, supervisor_id, write_crowd_config
from tests.test_crash_e2e import BotProcess

SECRET = "kierros-webhook-secret_1"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.sqlite_only  # holds SQLite's write lock; a lost PostgreSQL connection: test_storage_engines
async def test_updates_arrive_by_webhook_with_the_secret_and_others_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, storage: StorageChoice
) -> None:
    port = free_port()
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", SECRET)
    async with BotApiSimulator() as sim:
        config = write_crowd_config(tmp_path, 1, flood_limits=False, storage_url=storage.url)
        webhook = (
            "telegram: {flood_limits: false, webhook: "
            f"{{url: 'https://kierros.example', listen: 127.0.0.1, port: {port}, path: hook}}}}"
        )
        text = config.source.read_text(encoding="utf-8").replace("telegram: {flood_limits: false}", webhook)
        config.source.write_text(text, encoding="utf-8")
        members = (await seed_members(config, sim, 2))["g0"]
        sim.webhook_forward_to = f"http://127.0.0.1:{port}/hook"
        bot = BotProcess(sim, config.source, tmp_path / "bot.log")
        bot.process = await bot.spawn()
        async with asyncio.timeout(30):
            await sim.changes.wait_until(lambda: True if sim.calls_of("setWebhook") else None)
        registered = sim.calls_of("setWebhook")[-1]
        assert registered["url"] == "https://kierros.example/hook"
        assert registered["secret_token"] == SECRET

        supervisor = sim.user(supervisor_id(0))
        await supervisor.send_command("open", "g0")
        await supervisor.wait_for_message(lambda m: "opened" in m.content.lower(), timeout=30)
        driver = PatientDriver(members[0])
        await driver.screen()
        await sim.wait_idle()
        if storage.url is None:
            # PTB has acknowledged a webhook update before handling it: one that meets a locked database (for
            # longer than the bot waits for a lock) must be handled again by the bot itself.
            async with database_held(tmp_path / "kierros.sqlite3"):
                pressing = asyncio.ensure_future(driver.act("v4"))
                await asyncio.sleep(6)
                assert not pressing.done()
            await pressing
            assert "the database is busy; it is handled again shortly" in (tmp_path / "bot.log").read_text()
        else:
            await driver.act("v4")
        await driver.answer(["text:sent through the webhook", "v1"])
        submitted = await driver.submit()
        assert "submitted" in submitted.content.lower()
        assert sim.stats.per_method["getUpdates"] == 0  # everything came by webhook

        async with aiohttp.ClientSession() as session:
            chat = {"id": 1, "type": "private"}
            forged = {"update_id": 999_999, "message": {"message_id": 1, "date": 0, "chat": chat}}
            for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "guess"}):
                async with session.post(sim.webhook_forward_to, json=forged, headers=headers) as response:
                    assert response.status == 403
        assert await bot.terminate() == 0
