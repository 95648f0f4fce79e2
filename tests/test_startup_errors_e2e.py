"""`python bot.py run` against a Bot API that refuses it: a wrong token (401) or a wrong TELEGRAM_API_BASE_URL path
(404) is one clear line on stderr, exit code 2, and the token appears nowhere; the last-resort hook masks it too."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from botsim import BotApiSimulator
from demo import write_demo_config

ROOT = Path(__file__).resolve().parent.parent
SECRET_TOKEN = "424242:SECRET-token-that-must-never-be-printed"


async def run_bot(config: Path, token: str, base_url: str) -> tuple[int, str]:
    environment = os.environ | {
        "TELEGRAM_BOT_TOKEN": token,
        "TELEGRAM_API_BASE_URL": base_url,
        "TELEGRAM_WEBHOOK_SECRET": "kierros-webhook-secret",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(ROOT / "bot.py"),
        "run",
        "--config",
        str(config),
        env=environment,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    return process.returncode or 0, stderr.decode()


@pytest.mark.parametrize(
    ("wrong", "answer"),
    [
        pytest.param("token", "Unauthorized", id="401-wrong-token"),
        pytest.param("path", "Not Found", id="404-wrong-base-url-path"),
    ],
)
@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_a_refused_start_is_one_line_without_the_token(
    tmp_path: Path, wrong: str, answer: str, mode: str
) -> None:
    config = write_demo_config(tmp_path, language="en").source
    if mode == "webhook":
        webhook = "telegram: {flood_limits: false, webhook: {url: 'https://kierros.example', port: 18443}}"
        config.write_text(config.read_text(encoding="utf-8").replace("telegram: {flood_limits: false}", webhook))
    async with BotApiSimulator(token=SECRET_TOKEN) as sim:
        if wrong == "token":
            token, base_url = "424242:another-SECRET-token-also-never-printed", sim.base_url
        else:
            token, base_url = SECRET_TOKEN, sim.base_url.replace("/bot", "/telegram/bot")
        code, stderr = await run_bot(config, token, base_url)
    assert code == 2, stderr
    assert token not in stderr and token.split(":")[1] not in stderr
    assert "Traceback" not in stderr
    refusal = [line for line in stderr.splitlines() if "TELEGRAM_BOT_TOKEN" in line]
    assert len(refusal) == 1, stderr
    # The simulator answers as Telegram does: 401 "Unauthorized" for a wrong token, 404 "Not Found" for a wrong path.
    assert f"answered “{answer}”" in refusal[0] and "TELEGRAM_API_BASE_URL" in refusal[0]


def test_the_last_resort_hook_masks_the_token(tmp_path: Path) -> None:
    import subprocess

    program = (
        "import sys; sys.path.insert(0, sys.argv[1]); import bot; "
        f"bot.install_exception_hooks({SECRET_TOKEN!r}); "
        f"raise RuntimeError('failed at https://api.telegram.org/bot{SECRET_TOKEN}/getMe')"
    )
    result = subprocess.run(
        [sys.executable, "-c", program, str(ROOT)], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 1
    assert "RuntimeError: failed at https://api.telegram.org/bot<token>/getMe" in result.stderr
    assert SECRET_TOKEN not in result.stderr and "SECRET-token" not in result.stderr


async def test_a_file_that_is_not_a_database_is_one_line_and_the_process_ends(tmp_path: Path) -> None:
    """Before, the error left aiosqlite's thread running: a traceback, then a process that never exited."""
    demo = write_demo_config(tmp_path, language="en")
    assert isinstance(demo.storage_target, Path)
    demo.storage_target.write_bytes(b"not a database, only text that happens to have the database's name" * 20)
    async with BotApiSimulator(token=SECRET_TOKEN) as sim:
        code, stderr = await run_bot(demo.source, SECRET_TOKEN, sim.base_url)
    assert code == 1
    assert stderr.splitlines() == [
        f"Not started: cannot use the database {demo.storage_target} (file is not a database): restore it from a "
        "backup, or move it away to start with an empty one"
    ]


@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_a_postgresql_server_that_cannot_be_reached_is_one_line(tmp_path: Path, mode: str) -> None:
    """No server listens on the URL's port (no PostgreSQL needed here): one line naming the kind of trouble, never the
    URL's password, and a process that ends."""
    config = write_demo_config(tmp_path, language="en").source
    telegram = "telegram: {flood_limits: false}"
    if mode == "webhook":
        telegram = "telegram: {flood_limits: false, webhook: {url: 'https://kierros.example', port: 18443}}"
    text = config.read_text(encoding="utf-8").replace("telegram: {flood_limits: false}", telegram)
    config.write_text(
        text.replace("storage: {path: kierros.sqlite3}", "storage: {url: 'postgresql://kierros@127.0.0.1:1/kierros'}")
    )
    async with BotApiSimulator(token=SECRET_TOKEN) as sim:
        code, stderr = await run_bot(config, SECRET_TOKEN, sim.base_url)
    assert code == 1
    assert stderr.splitlines() == [
        "Not started: cannot use the database now (PostgreSQL: OperationalError); is it running?"
    ], stderr
