"""The command line: `check`, a broken config, running without a token."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"} | (env or {})
    return subprocess.run(
        [sys.executable, str(ROOT / "bot.py"), *args], capture_output=True, text=True, env=environment, timeout=60
    )


def test_check_summarises_the_shipped_config() -> None:
    result = run_cli("check")
    assert result.returncode == 0, result.stderr
    assert "group tiimi “Kotihoidon tiimi”: flow pre_session" in result.stdout
    assert "flow pre_session: 6 questions" in result.stdout


def test_broken_config_gives_one_line_and_exit_code_2(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(
        (ROOT / "config.yaml").read_text(encoding="utf-8").replace("min_responses: 3", "min_responses: 1", 1),
        encoding="utf-8",
    )
    (tmp_path / "flows").symlink_to(ROOT / "flows")
    result = run_cli("check", "--config", str(config))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    line = next(n for n, text in enumerate(config.read_text().splitlines(), 1) if "min_responses: 1" in text)
    assert f"config.yaml:{line}: groups[0].min_responses: " in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_broken_flow_names_the_flow_file(tmp_path: Path) -> None:
    flows = tmp_path / "flows"
    flows.mkdir()
    flow_text = (ROOT / "flows" / "pre_session.yaml").read_text(encoding="utf-8")
    (flows / "pre_session.yaml").write_text(flow_text.replace("type: scale", "type: slider", 1), encoding="utf-8")
    (tmp_path / "config.yaml").write_text((ROOT / "config.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    result = run_cli("check", "--config", str(tmp_path / "config.yaml"))
    assert result.returncode == 2
    assert "pre_session.yaml:" in result.stderr and "questions[0].type" in result.stderr
    assert "Traceback" not in result.stderr


def test_running_without_a_token_points_to_the_demo() -> None:
    result = run_cli()
    assert result.returncode == 1
    assert "TELEGRAM_BOT_TOKEN" in result.stderr and "python bot.py demo" in result.stderr
    assert "Traceback" not in result.stderr
