"""The locked dependency files: every package pinned with hashes, the lock agreeing with the hand-kept .in files,
the dev set agreeing with the runtime set, and the tests' and tools' packages kept out of what the bot installs."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?==([^\s;\\]+)", re.MULTILINE)


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(path: Path) -> dict[str, str]:
    return {canonical(name): version for name, version in PIN.findall(path.read_text(encoding="utf-8"))}


def test_every_locked_package_is_pinned_with_a_hash() -> None:
    for lock in ("requirements.txt", "requirements-dev.txt"):
        entries = re.split(r"\n(?=[A-Za-z0-9])", (ROOT / lock).read_text(encoding="utf-8"))
        packages = [entry for entry in entries if PIN.match(entry)]
        assert len(packages) > 20, lock
        for entry in packages:
            assert "--hash=sha256:" in entry, entry.splitlines()[0]


def test_the_locks_agree_with_the_direct_dependencies_and_each_other() -> None:
    runtime, dev = pins(ROOT / "requirements.txt"), pins(ROOT / "requirements-dev.txt")
    for name, version in pins(ROOT / "requirements.in").items():
        assert runtime.get(name) == version, f"{name}: run sh scripts/lock-dependencies"
    for name, version in pins(ROOT / "requirements-dev.in").items():
        assert dev.get(name) == version, f"{name}: run sh scripts/lock-dependencies"
    assert {name: dev.get(name) for name in runtime} == runtime  # the dev set tests exactly what is deployed


def test_the_tests_and_tools_are_not_installed_with_the_bot() -> None:
    runtime = pins(ROOT / "requirements.txt")
    dev_only = set(pins(ROOT / "requirements-dev.in")) - set(pins(ROOT / "requirements.in"))
    assert {"pytest", "hypothesis", "ruff"} <= dev_only
    assert dev_only.isdisjoint(runtime)
    # The bot's HTTP client (handlers/telegram_http.py) is aiohttp's, under httpx.
    assert {"httpx-aiohttp", "aiohttp"} <= set(runtime)
