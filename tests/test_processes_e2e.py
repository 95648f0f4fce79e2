"""Individual supervision, a supervisor's many groups, and finishing a process — end to end over the simulator."""

from __future__ import annotations

import re
import textwrap
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from botsim.server import BotApiSimulator
from botsim.users import SimUser
from checkins.config.app import load_config
from demo import FLOWS_DIR, MemberDriver
from tests.conftest import BotRunner, StorageChoice
from tests.test_round_e2e import FULL, script

SANNA, OLLI = 1001, 1002

CONFIG = f"""\
timezone: Europe/Helsinki
default_language: en
storage: {{path: kierros.sqlite3}}
flows_dir: {FLOWS_DIR}
# The simulator enforces no flood limits here, so the bot need not pace itself.
telegram: {{flood_limits: false}}
supervisors:
  - {{user_id: {SANNA}, name: Sanna, language: en}}
  - {{user_id: {OLLI}, name: Olli, language: en}}
groups:
  - {{id: ward, name: Ward Five, supervisor: {SANNA}, flow: pre_session}}
  - {{id: solo, name: Mentoring Maija, supervisor: {SANNA}, flow: pre_session, mode: individual}}
  - {{id: school, name: School Team, supervisor: {OLLI}, flow: pre_session}}
"""


@pytest.fixture
async def runner(sim: BotApiSimulator, tmp_path: Path, storage: StorageChoice) -> AsyncIterator[BotRunner]:
    (tmp_path / "config.yaml").write_text(textwrap.dedent(CONFIG), encoding="utf-8")
    bot = BotRunner(sim, load_config(tmp_path / "config.yaml"), storage=storage)
    await bot.start()
    yield bot
    await bot.stop()


async def invite_token(supervisor: SimUser, group: str) -> str:
    await supervisor.send_command("invite", group)
    reply = await supervisor.wait_for_message(lambda m: "start=" in m.content)
    match = re.search(r"start=(\S+)", reply.content)
    assert match
    return match.group(1)


async def test_individual_process_from_consent_to_attributed_digest(sim: BotApiSimulator, runner: BotRunner) -> None:
    sanna = sim.user(SANNA, "Sanna", language_code="en")
    token = await invite_token(sanna, "solo")
    maija = sim.user(2001, "Maija", "Meikäläinen", language_code="en")
    await maija.send_command("start", token)
    consent = await maija.wait_for_message(lambda m: m.has_button("cs:n"))
    assert "cannot be anonymous" in consent.content and "under your name" in consent.content
    async with runner.services.store.transaction() as store:
        assert await store.member_by_telegram_id(2001) is None, "nothing is stored before consent"
    await maija.press(f"cs:y:{token}", message_id=consent.message_id)
    await maija.wait_for_message(lambda m: "reads your answers as yours" in m.content)
    await maija.send_command("mydata")
    report = await maija.wait_for_message(lambda m: "stores about you" in m.content)
    assert "Mentoring Maija (you agreed that your answers are read under your name)" in report.content

    await sanna.send_command("open", "solo")
    driver = MemberDriver(maija)
    await driver.screen()
    steps = script(0)
    await driver.answer(steps)
    await driver.act("P")
    await driver.act("p3")  # keeps "bring" only for herself
    await driver.submit()
    before = len(sanna.messages)
    await sanna.send_command("close", "solo")
    digest = await sanna.wait_for_message(lambda m: "Check-in of Maija Meikäläinen" in m.content)
    assert "member0: a family thanked us" in digest.content
    assert "(kept private)" in digest.content and "how to cope" not in digest.content
    assert len(sanna.messages) > before


async def test_refusing_consent_leaves_the_person_out(sim: BotApiSimulator, runner: BotRunner) -> None:
    sanna = sim.user(SANNA, "Sanna", language_code="en")
    token = await invite_token(sanna, "solo")
    pekka = sim.user(2002, "Pekka", language_code="en")
    await pekka.send_command("start", token)
    consent = await pekka.wait_for_message(lambda m: m.has_button("cs:n"))
    await pekka.press("cs:n", message_id=consent.message_id)
    await pekka.wait_for_message(lambda m: "nothing about you was stored" in m.content)
    async with runner.services.store.transaction() as store:
        assert await store.member_by_telegram_id(2002) is None
    await sanna.send_command("open", "solo")
    await sanna.wait_for_message(lambda m: "has no members yet" in m.content)


async def test_group_mode_with_one_submitter_withholds(sim: BotApiSimulator, runner: BotRunner) -> None:
    sanna = sim.user(SANNA, "Sanna", language_code="en")
    drivers = []
    for uid in (2001, 2002):
        token = await invite_token(sanna, "ward")
        user = sim.user(uid, f"Member{uid}", language_code="en")
        await user.send_command("start", token)
        await user.wait_for_message(lambda m: "112" in m.content)
        drivers.append(MemberDriver(user))
    await sanna.send_command("open", "ward")
    await drivers[0].screen()
    await drivers[0].answer(script(0, FULL))
    await drivers[0].submit()
    await sanna.send_command("close", "ward")
    digest = await sanna.wait_for_message(lambda m: "answered" in m.content)
    assert "1 of 2 answered" in digest.content and "Fewer than 3 responses" in digest.content
    assert "member0" not in digest.content and "Member2001" not in digest.content


async def test_supervisors_see_only_their_own_groups(sim: BotApiSimulator, runner: BotRunner) -> None:
    sanna, olli = sim.user(SANNA, "Sanna", language_code="en"), sim.user(OLLI, "Olli", language_code="en")
    shared = sim.user(2001, "Maija", language_code="en")
    for supervisor, group in ((sanna, "ward"), (olli, "school")):
        await shared.send_command("start", await invite_token(supervisor, group))
        await shared.wait_for_message(lambda m: "112" in m.content)
    await olli.send_command("groups")
    overview = await olli.wait_for_message(lambda m: "Your groups" in m.content)
    assert "School Team" in overview.content and "1 member" in overview.content
    assert "Ward Five" not in overview.content and "Mentoring" not in overview.content
    await olli.send_command("open", "ward")
    refusal = await olli.wait_for_message(lambda m: "no group called" in m.content)
    assert "Ward Five" not in refusal.content and "school" in refusal.content
    await sanna.send_command("groups")
    overview = await sanna.wait_for_message(lambda m: "Your groups" in m.content)
    assert "Ward Five" in overview.content and "Mentoring Maija" in overview.content
    assert "School" not in overview.content
    await sanna.press("gr:open:ward", message_id=overview.message_id)
    await sanna.wait_for_message(lambda m: "Round opened for Ward Five" in m.content)
    await sanna.press("gr:schedule:ward", message_id=overview.message_id)
    await sanna.wait_for_message(lambda m: "has no calendar" in m.content)
    await sanna.press("gr:digest:ward", message_id=overview.message_id)
    await sanna.wait_for_message(lambda m: "has no closed rounds yet" in m.content)
    await olli.press_data(overview.message_id, "gr:close:ward")
    await olli.wait_for_message(lambda m: "no group called" in m.content)


async def test_finishing_a_process_stops_its_rounds_and_tells_members(sim: BotApiSimulator, runner: BotRunner) -> None:
    sanna = sim.user(SANNA, "Sanna", language_code="en")
    member = sim.user(2001, "Maija", language_code="en")
    await member.send_command("start", await invite_token(sanna, "ward"))
    await member.wait_for_message(lambda m: "112" in m.content)
    await sanna.send_command("open", "ward")
    await member.wait_for_message(lambda m: bool(m.flat_buttons))
    await sanna.send_command("finish", "ward")
    confirm = await sanna.wait_for_message(lambda m: m.has_button("fin:ward"))
    await sanna.press("fin:ward", message_id=confirm.message_id)
    await sanna.wait_for_message(lambda m: "has ended. Its members were told" in m.content)
    await member.wait_for_message(lambda m: "has ended" in m.content and "/forgetme" in m.content)
    await sanna.send_command("open", "ward")
    await sanna.wait_for_message(lambda m: "no more check-ins can open" in m.content)
    late = sim.user(2003, "Late", language_code="en")
    await late.send_command("start", await invite_token(sanna, "ward"))
    await late.wait_for_message(lambda m: "has ended, so it cannot be joined" in m.content)
