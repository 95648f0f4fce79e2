"""The bots the bad-input tests run: the demo group on the classic check-in (threshold three, or two so a digest of
two members shows their answers), and two supervisors' groups."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from botsim.server import BotApiSimulator
from tests.bad_input.helpers import (
    classic_config,
    write_two_group_config,
)
from tests.conftest import BotRunner, RunnerFactory, StorageChoice


@pytest.fixture
async def two_groups(sim: BotApiSimulator, tmp_path: Path, storage: StorageChoice) -> AsyncIterator[BotRunner]:
    runner = BotRunner(sim, write_two_group_config(tmp_path), storage=storage)
    await runner.start()
    yield runner
    await runner.stop()


@pytest.fixture
async def bot(make_runner: RunnerFactory, tmp_path: Path) -> BotRunner:
    """The demo group on the seven-question classic check-in."""
    return await make_runner(config=classic_config(tmp_path))


@pytest.fixture
async def small_group_bot(make_runner: RunnerFactory, tmp_path: Path) -> BotRunner:
    """The classic check-in with a threshold of two, so a digest of two members shows their answers."""
    return await make_runner(config=classic_config(tmp_path, min_responses=2))
