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


def test_each_subcommand_has_its_own_help() -> None:
    result = run_cli("try", "--help")
    assert result.returncode == 0
    assert result.stdout.startswith("usage: bot.py try ")
    assert "--round" in result.stdout and "backup" not in result.stdout
    demo = run_cli("demo", "--help")
    assert demo.stdout.startswith("usage: bot.py demo ") and "--config" not in demo.stdout


def test_an_option_a_subcommand_does_not_take_is_an_error() -> None:
    result = run_cli("demo", "--round", "3", "--config", "/nonexistent")
    assert result.returncode == 2
    assert "bot.py demo: error: unrecognized arguments: --round 3 --config /nonexistent" in result.stderr
    assert run_cli("try", "pre_session", "--round", "0").returncode == 2
    assert "required: flow" in run_cli("try").stderr


def test_config_without_a_command_still_runs_the_bot() -> None:
    result = run_cli("--config", "/nonexistent/config.yaml")
    assert result.returncode == 2
    assert result.stderr.strip() == "Configuration error: /nonexistent/config.yaml: file not found"


def test_check_warns_about_the_example_id_and_missing_languages(tmp_path: Path) -> None:
    flows = tmp_path / "flows"
    flows.mkdir()
    flow_text = (ROOT / "flows" / "pre_session.yaml").read_text(encoding="utf-8")
    swedish = [line for line in flow_text.splitlines() if line.lstrip().startswith("sv:")]
    assert swedish
    (flows / "pre_session.yaml").write_text(
        "\n".join(line for line in flow_text.splitlines() if not line.lstrip().startswith("sv:")) + "\n",
        encoding="utf-8",
    )
    config_text = (ROOT / "config.yaml").read_text(encoding="utf-8")
    assert "123456789" in config_text
    (tmp_path / "config.yaml").write_text(config_text, encoding="utf-8")
    result = run_cli("check", "--config", str(tmp_path / "config.yaml"))
    assert result.returncode == 0, result.stderr
    warnings = result.stderr.strip().splitlines()
    assert len(warnings) == 2, warnings
    assert "has the example user id 123456789" in warnings[0] and "/whoami" in warnings[0]
    assert "groups: tiimi: its flows (pre_session) or goals have no sv texts" in warnings[1]

    (tmp_path / "config.yaml").write_text(config_text.replace("123456789", "987654321"), encoding="utf-8")
    for flow in ("pre_session.yaml",):
        (flows / flow).write_text(flow_text, encoding="utf-8")
    assert run_cli("check", "--config", str(tmp_path / "config.yaml")).stderr == ""
