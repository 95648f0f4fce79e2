"""Many groups and members for load, fault and crash tests: a config file with one supervisor per group, a short
flow, and members written straight into the database (joining through invite links is tested elsewhere)."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import textwrap
from collections.abc import AsyncIterator
from pathlib import Path

from botsim.models import SimMessage
from botsim.server import BotApiSimulator
from botsim.users import SimUser
from checkins.config.app import AppConfig, load_config
from checkins.storage import Store
from demo import MemberDriver, is_screen, replaces

SUPERVISOR_BASE = 1000
MEMBER_BASE = 100_000
# Three questions: a scale, free text and yes/no — a round is answered with three steps and Submit.
SHORT_FLOW = """\
id: short
default_language: en
title: {en: Short check-in}
intro: {en: Three quick questions.}
questions:
  - {id: energy, type: scale, min: 1, max: 5, labels: {min: low, max: high}, text: {en: "Energy?"}}
  - {id: mind, type: text, max_length: 3500, text: {en: "On your mind?"}}
  - {id: again, type: yesno, text: {en: "Again next time?"}}
"""


def supervisor_id(group: int) -> int:
    return SUPERVISOR_BASE + group


def member_id(group: int, number: int) -> int:
    return MEMBER_BASE + group * 1000 + number


def write_crowd_config(
    folder: Path, groups: int, *, flood_limits: bool, min_responses: int = 2, storage_url: str | None = None
) -> AppConfig:
    flows = folder / "flows"
    flows.mkdir(parents=True, exist_ok=True)
    (flows / "short.yaml").write_text(SHORT_FLOW, encoding="utf-8")
    supervisors = "".join(
        f"  - {{user_id: {supervisor_id(g)}, name: Supervisor {g}, language: en}}\n" for g in range(groups)
    )
    group_list = "".join(
        f"  - {{id: g{g}, name: Group {g}, supervisor: {supervisor_id(g)}, flow: short, "
        f"min_responses: {min_responses}}}\n"
        for g in range(groups)
    )
    storage = f"{{url: '{storage_url}'}}" if storage_url else "{path: kierros.sqlite3}"
    path = folder / "config.yaml"
    path.write_text(
        textwrap.dedent(
            f"""\
            timezone: Europe/Helsinki
            default_language: en
            storage: {storage}
            telegram: {{flood_limits: {"true" if flood_limits else "false"}}}
            flows_dir: flows
            """
        )
        + f"supervisors:\n{supervisors}groups:\n{group_list}",
        encoding="utf-8",
    )
    return load_config(path)


async def seed_members(config: AppConfig, sim: BotApiSimulator, per_group: int) -> dict[str, list[SimUser]]:
    """Members of every group, in the database and in the simulator (their chats with the bot started)."""
    store = await Store.open(config.storage_target)
    members: dict[str, list[SimUser]] = {}
    try:
        async with store.transaction():
            for index, group_id in enumerate(config.groups):
                for number in range(per_group):
                    user = sim.user(member_id(index, number), f"Member{number}", f"G{index}", language_code="en")
                    user.started = True
                    row = await store.upsert_member(
                        user.user_id, language="en", first_name=user.first_name, last_name=user.last_name, username=None
                    )
                    await store.add_membership(group_id, row.id)
                    members.setdefault(group_id, []).append(user)
    finally:
        await store.close()
    for index in range(len(config.groups)):
        sim.user(supervisor_id(index), "Supervisor", str(index), language_code="en").started = True
    return members


class PatientDriver(MemberDriver):
    """A member who waits longer for the bot (under injected faults a message may be retried for many seconds) and
    takes a second copy of the screen they just answered — the duplicate a lost reply causes — for what it is."""

    acted_on: str | None = None
    patience = 30.0

    async def act(self, code: str) -> SimMessage:
        self.acted_on = self.current_screen().content
        return await super().act(code)

    async def write(self, text: str) -> SimMessage:
        self.acted_on = self.current_screen().content
        return await super().write(text)

    async def screen(self, timeout: float = 30.0, left: SimMessage | None = None) -> SimMessage:  # noqa: ASYNC109
        after = is_screen if left is None else replaces(left)
        return await self.user.wait_for_message(lambda m: after(m) and m.content != self.acted_on, timeout=timeout)

    async def submit(self) -> SimMessage:
        current = self.current_screen()
        data = next(b.data for b in current.flat_buttons if b.data.endswith(":S"))
        await self.user.press(data, message_id=current.message_id)
        return await self.user.wait_for_message(lambda m: any(b.data.endswith(":R") for b in m.flat_buttons), 30)


@contextlib.asynccontextmanager
async def database_held(path: Path) -> AsyncIterator[None]:
    """Another process holding the database's write lock (a backup tool, a stuck script) until the block ends.

    The lock is taken without blocking the event loop: the bot under test runs in the same loop, and a blocking
    BEGIN IMMEDIATE issued while the bot is inside a transaction would keep it from ever committing.
    """
    connection = sqlite3.connect(path, isolation_level=None, timeout=0)
    try:
        async with asyncio.timeout(30):
            while True:
                try:
                    connection.execute("BEGIN IMMEDIATE")
                    break
                except sqlite3.OperationalError:
                    await asyncio.sleep(0.01)
        yield
        connection.execute("ROLLBACK")
    finally:
        connection.close()
