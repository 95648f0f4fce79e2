"""The machinery every end-to-end benchmark shares: a deployment of many groups, its members, and the real bot.

`Deployment.create` writes a config YAML with N groups (one supervisor per `GROUPS_PER_SUPERVISOR` groups, all on the
bundled `pre_session` flow) into a folder and inserts the members straight through the storage layer (`Store`) —
joining is not what these scenarios measure, and a thousand invite round-trips would dominate the run — into a
SQLite file in that folder or a new PostgreSQL database, by the backend the scenario runs on (`benchmarks.storage`).
Each member also exists in the simulator as a user who has started the bot. `run_bot` runs the real application
exactly as the tests do (`build_application` + `running` from bot.py); `unpaced=True` removes its own rate limiter,
for the scenarios that measure what the bot can produce rather than how it paces itself. `wait_until` waits on the
simulator's change signal instead of sleeping.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import textwrap
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.storage import fresh_storage_url
from botsim.server import BotApiSimulator
from checkins.config.app import AppConfig, load_config
from checkins.storage import Store
from handlers.application import build_application, running
from handlers.context import SERVICES_KEY, Services

REPOSITORY = Path(__file__).resolve().parent.parent
FLOWS_DIR = REPOSITORY / "flows"
FLOW_ID = "pre_session"
GROUPS_PER_SUPERVISOR = 10
SUPERVISOR_IDS = 1_000
MEMBER_IDS = 1_000_000
LANGUAGES = ("fi", "fi", "sv", "en")
FIRST_NAMES = (
    "Maija", "Pekka", "Anna", "Jussi", "Emma", "Liisa", "Matti", "Sanna", "Juha", "Kaisa",
    "Antti", "Aino", "Mikko", "Helena", "Timo", "Johanna", "Erik", "Sofia", "Ville", "Laura",
)  # fmt: skip
LAST_NAMES = (
    "Virtanen", "Korhonen", "Mäkinen", "Nieminen", "Mäkelä", "Hämäläinen", "Laine", "Heikkinen",
    "Koskinen", "Järvinen", "Lindqvist", "Lehtonen", "Saarinen", "Salminen", "Heinonen", "Brown",
)  # fmt: skip


@dataclass(frozen=True)
class Person:
    telegram_id: int
    first_name: str
    last_name: str
    username: str
    language: str


def people(count: int, first_id: int = MEMBER_IDS) -> Iterator[Person]:
    """`count` members with realistic (and realistically repeating) Finnish and Swedish names."""
    for index in range(count):
        first = FIRST_NAMES[index % len(FIRST_NAMES)]
        # Shifted once per pass over the first names, so that a small group has as many surnames as people.
        last = LAST_NAMES[(index + index // len(FIRST_NAMES)) % len(LAST_NAMES)]
        yield Person(first_id + index, first, last, f"{first.lower()}_{index}", LANGUAGES[index % len(LANGUAGES)])


def group_id(index: int) -> str:
    return f"g{index:05d}"


def write_config(
    folder: Path,
    groups: int,
    *,
    storage_url: str | None = None,
    flood_limits: bool = True,
    flows_dir: Path = FLOWS_DIR,
    flow_id: str = FLOW_ID,
) -> AppConfig:
    """A config with `groups` groups on one flow (the bundled pre_session by default), written to `folder/config.yaml`.

    `flood_limits=False` turns the bot's own pacing off, for a bot run as its own process (`bot.py run`). Without
    `storage_url` the database is the SQLite file `kierros.sqlite3` next to the config.
    """
    storage = f"{{url: '{storage_url}'}}" if storage_url else "{path: kierros.sqlite3}"
    supervisors = (groups + GROUPS_PER_SUPERVISOR - 1) // GROUPS_PER_SUPERVISOR
    lines = [
        textwrap.dedent(
            f"""\
            timezone: Europe/Helsinki
            default_language: fi
            storage: {storage}
            flows_dir: {flows_dir}
            telegram: {{flood_limits: {str(flood_limits).lower()}}}
            supervisors:"""
        )
    ]
    lines += [f"  - {{user_id: {SUPERVISOR_IDS + s}, name: Supervisor {s}, language: fi}}" for s in range(supervisors)]
    lines.append("groups:")
    for index in range(groups):
        lines += [
            f"  - id: {group_id(index)}",
            f"    name: Tiimi {index}",
            f"    supervisor: {SUPERVISOR_IDS + index // GROUPS_PER_SUPERVISOR}",
            f"    flow: {flow_id}",
            "    min_responses: 3",
        ]
    path = folder / "config.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return load_config(path)


@dataclass(frozen=True)
class Deployment:
    """A written config, its populated database and the Telegram ids of every member by group."""

    config: AppConfig
    members: dict[str, list[int]]

    @property
    def member_count(self) -> int:
        return sum(len(ids) for ids in self.members.values())

    @classmethod
    async def create(
        cls,
        folder: Path,
        groups: int,
        members_per_group: int,
        sim: BotApiSimulator | None = None,
        *,
        flood_limits: bool = True,
        flows_dir: Path = FLOWS_DIR,
        flow_id: str = FLOW_ID,
    ) -> Deployment:
        """Write the config, insert the members (each in one group) and, given a simulator, register them there.

        The database is a new one on the storage the scenario runs on (`benchmarks.storage.using`)."""
        config = write_config(
            folder,
            groups,
            storage_url=fresh_storage_url(),
            flood_limits=flood_limits,
            flows_dir=flows_dir,
            flow_id=flow_id,
        )
        population = people(groups * members_per_group)
        members: dict[str, list[int]] = {}
        store = await Store.open(config.storage_target)
        try:
            async with store.transaction():
                for index in range(groups):
                    gid = group_id(index)
                    members[gid] = []
                    for person in itertools.islice(population, members_per_group):
                        row = await store.upsert_member(
                            person.telegram_id,
                            language=person.language,
                            first_name=person.first_name,
                            last_name=person.last_name,
                            username=person.username,
                        )
                        await store.add_membership(gid, row.id)
                        members[gid].append(person.telegram_id)
        finally:
            await store.close()
        deployment = cls(config, members)
        if sim is not None:
            deployment.register(sim)
        return deployment

    def register(self, sim: BotApiSimulator) -> None:
        """Make every supervisor and member a simulated user who has started the bot."""
        for supervisor in self.config.supervisors.values():
            sim.user(supervisor.user_id, supervisor.name, language_code=supervisor.language).started = True
        for person in people(self.member_count):
            user = sim.user(person.telegram_id, person.first_name, person.last_name, person.username, person.language)
            user.started = True


def new_simulator(**options: Any) -> BotApiSimulator:
    """A simulator that keeps no per-call log (a benchmark makes far more calls than a test reads back)."""
    return BotApiSimulator(record_calls=False, **options)


@contextlib.asynccontextmanager
async def run_bot(sim: BotApiSimulator, config: AppConfig, *, unpaced: bool = False) -> AsyncIterator[Services]:
    """The real bot polling the simulator; yields its domain services."""
    application = build_application(config, sim.token, base_url=sim.base_url)
    if unpaced:
        # The only way in without changing bot.py: the limiter is fixed when the builder makes the bot.
        application.bot._rate_limiter = None
    async with running(application):
        services = application.bot_data[SERVICES_KEY]
        assert isinstance(services, Services)
        yield services


async def wait_until(sim: BotApiSimulator, done: Callable[[], bool], timeout: float) -> float:  # noqa: ASYNC109
    """Wait until `done()` holds (checked whenever the simulator serves a request); the clock time it first held."""

    def check() -> float | None:
        return sim.clock() if done() else None

    async with asyncio.timeout(timeout):
        return await sim.changes.wait_until(check)


async def drain(services: Services, timeout: float = 60.0) -> None:  # noqa: ASYNC109
    """Wait until the outbox has nothing pending, so that stopping the bot cuts no delivery short."""
    async with asyncio.timeout(timeout):
        while True:
            async with services.store.transaction() as store:
                if await store.next_outbox_time() is None:
                    return
            # The outbox signals the sender, not bystanders: look again shortly.
            await asyncio.sleep(0.02)
