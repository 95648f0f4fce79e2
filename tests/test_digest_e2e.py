"""The digest end to end over the fake Bot API: message → photo → report, thresholds, trends, /rounds and /digest."""

from __future__ import annotations

import re
import struct
from pathlib import Path

import html5lib

from botsim.models import SimMessage
from botsim.server import BotApiSimulator
from botsim.users import SimUser
from checkins.config.app import load_config
from checkins.digest.chart import WIDTH_PX
from demo import GROUP_ID, SUPERVISOR_ID
from tests.conftest import BotRunner, StorageChoice
from tests.test_digest_renderers import pdf_pages
from tests.test_goals import EVALUATION_FLOW
from tests.test_round_e2e import file_text, open_round, script, setup_group


def is_digest_start(message: SimMessage) -> bool:
    """The digest's one-screen message: "<the flow's title> – <group>, round <n>" on its first line."""
    return message.text is not None and " – Kotihoidon tiimi, round " in message.content.split("\n")[0]


def is_report(message: SimMessage) -> bool:
    return message.document is not None and message.document["file_name"].endswith(".html")


async def digest_parts(sim: BotApiSimulator, supervisor: SimUser, before: int, files: bool = True) -> list[SimMessage]:
    """The digest the supervisor received after `before` messages: its message, follow-ups and files, in order."""
    await supervisor.wait_for_message(is_digest_start, timeout=10)
    if files:
        # The files are drawn after the close has committed: the HTML report is the last of them.
        await supervisor.wait_for_message(is_report, timeout=10)
    await sim.wait_idle(timeout=10)
    received = supervisor.messages[before:]
    start = next(index for index, message in enumerate(received) if is_digest_start(message))
    return [m for m in received[start:] if not m.content.startswith("The digest of round")]


async def close_round(sim: BotApiSimulator, supervisor: SimUser, files: bool = True) -> list[SimMessage]:
    """Close the open round and return the digest's parts as the supervisor received them."""
    before = len(supervisor.messages)
    await supervisor.send_command("close", GROUP_ID)
    return await digest_parts(sim, supervisor, before, files)


def kinds(parts: list[SimMessage]) -> list[str]:
    return ["text" if m.text else "photo" if m.photo else m.document["file_name"].rsplit(".")[-1] for m in parts]


async def answer_round(sim: BotApiSimulator, supervisor: SimUser, members: list, energies: list[int]) -> None:
    await open_round(supervisor, members)
    for number, (member, energy) in enumerate(zip(members, energies, strict=False)):
        await member.answer([f"v{energy}", *script(number)[1:]])
        await member.submit()


async def test_supervisor_receives_message_then_answers_then_chart_then_reports(
    sim: BotApiSimulator, bot: BotRunner
) -> None:
    supervisor, members = await setup_group(sim, count=4)
    await answer_round(sim, supervisor, members, [4, 3, 5, 4])
    parts = await close_round(sim, supervisor)

    # The one-screen message (its quotes are whole: no follow-ups needed), the chart, then the PDF and HTML reports.
    assert kinds(parts) == ["text", "photo", "pdf", "html"]
    message, photo, pdf, document = parts
    assert [m.message_id for m in parts] == sorted(m.message_id for m in parts)
    assert message.content.startswith("Check-in before supervision – Kotihoidon tiimi, round 1\n")
    assert "4 of 4 answered" in message.content
    assert "How is your energy at work right now? 4.0" in message.content
    assert "1· 2· 3▄ 4█ 5▄  n = 4" in message.content
    assert "important this time" in message.content
    assert message.content.endswith("\nThe attached report is for printing.")
    assert "What has gone well or felt like a success?\n• " in message.content
    assert "• member0: a family thanked us" in message.content

    assert photo.caption is not None and photo.caption.startswith("Chart of round 1:")
    assert photo.photo is not None
    png = sim.files[photo.photo["file_id"]].data
    assert png is not None and struct.unpack(">I", png[16:20]) == (WIDTH_PX,)

    assert pdf.document is not None and pdf.document["file_name"] == f"{GROUP_ID}-pre_session-round-1.pdf"
    assert document.document is not None and document.document["file_name"] == f"{GROUP_ID}-pre_session-round-1.html"
    pages = pdf_pages(sim.files[pdf.document["file_id"]].data)
    assert len(pages) <= 2 and "member0: a family thanked us" in "".join(pages)
    report = file_text(sim, document)
    html5lib.HTMLParser(strict=True).parse(report)
    assert report.count("member0: a family thanked us") == 1
    # The embedded chart's base64 may hold any four characters, "2001" too: look only at the text around it.
    text = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", report)
    for uid_name in ("Maija", "Pekka", "2001"):
        assert uid_name not in text and all(uid_name not in m.content for m in parts)


async def test_below_the_threshold_only_the_message_is_sent(sim: BotApiSimulator, bot: BotRunner) -> None:
    supervisor, members = await setup_group(sim, count=4)
    await answer_round(sim, supervisor, members[:2], [4, 3])
    parts = await close_round(sim, supervisor, files=False)
    assert len(parts) == 1
    assert "Fewer than 3 responses – no summary shown." in parts[0].content
    assert sim.calls_of("sendPhoto") == [] and sim.calls_of("sendDocument") == []


async def test_second_round_shows_the_trend_and_rounds_lists_participation(
    sim: BotApiSimulator, bot: BotRunner
) -> None:
    supervisor, members = await setup_group(sim, count=3)
    await answer_round(sim, supervisor, members, [2, 2, 2])
    await close_round(sim, supervisor)
    await answer_round(sim, supervisor, members, [4, 4, 5])
    message = (await close_round(sim, supervisor))[0]
    assert "How is your energy at work right now? 4.3 ↑ (round 1: 2.0)" in message.content

    await open_round(supervisor, members)
    await members[0].answer(script(0))
    await members[0].submit()
    await supervisor.send_command("rounds", GROUP_ID)
    listing = (await supervisor.wait_for_message(lambda m: "Rounds of" in m.content)).content
    # Each round is listed with its flow (issue 16: "1. Check-in before supervision, round 1 · …").
    assert "\n1. Check-in before supervision, round 1 · " in listing and "3 of 3 answered" in listing
    # While a round is open nobody, the supervisor included, sees how many have answered.
    open_line = next(line for line in listing.splitlines() if line.startswith("3. "))
    assert "answers are counted at close" in open_line and "1" not in open_line.split("·")[-1]


async def test_digest_command_resends_a_past_round(sim: BotApiSimulator, bot: BotRunner) -> None:
    supervisor, members = await setup_group(sim, count=3)
    await answer_round(sim, supervisor, members, [3, 4, 5])
    first = await close_round(sim, supervisor)

    before = len(supervisor.messages)
    await supervisor.send_command("digest", f"{GROUP_ID} 1")
    resent = await digest_parts(sim, supervisor, before)
    assert kinds(resent) == kinds(first) == ["text", "photo", "pdf", "html"]
    # The same digest, its answers shuffled anew.
    assert sorted(resent[0].content.splitlines()) == sorted(first[0].content.splitlines())
    assert "The digest of round 1 follows." in "\n".join(m.content for m in supervisor.messages[before:])

    replies = {}
    for arguments in (f"{GROUP_ID} 7", f"{GROUP_ID} x", "someone_elses 1"):
        await supervisor.send_command("digest", arguments)
        replies[arguments] = (await supervisor.wait_for_message(lambda m: m.text is not None)).content
    assert replies[f"{GROUP_ID} 7"] == "Kotihoidon tiimi has no round 7. /rounds demo lists them."
    assert replies[f"{GROUP_ID} x"].startswith("Usage: /digest demo [round number]")
    assert replies["someone_elses 1"] == "You have no group called “someone_elses”. Your groups: demo"


async def test_members_cannot_use_digest_commands(sim: BotApiSimulator, bot: BotRunner) -> None:
    member = sim.user(2001, "Maija", language_code="en")
    for command in ("digest", "rounds"):
        await member.send_command(command, GROUP_ID)
        reply = await member.wait_for_message()
        assert reply.content == "This command is only for supervisors."


EVALUATION_CONFIG = f"""\
timezone: Europe/Helsinki
default_language: en
storage: {{path: kierros.sqlite3}}
flows_dir: flows
telegram: {{flood_limits: false}}
supervisors:
  - {{user_id: {SUPERVISOR_ID}, name: Sanna Supervisor, language: en}}
groups:
  - id: {GROUP_ID}
    name: Kotihoidon tiimi
    supervisor: {SUPERVISOR_ID}
    flow: evaluation
    min_responses: 3
    goals:
      - {{id: roles, text: Clearer roles}}
      - {{id: coping, text: Better coping}}
"""


async def test_goals_are_asked_one_by_one_and_followed_over_evaluations(
    sim: BotApiSimulator, tmp_path: Path, storage: StorageChoice
) -> None:
    (tmp_path / "flows").mkdir()
    (tmp_path / "flows" / "evaluation.yaml").write_text(EVALUATION_FLOW, encoding="utf-8")
    (tmp_path / "config.yaml").write_text(EVALUATION_CONFIG, encoding="utf-8")
    runner = BotRunner(sim, load_config(tmp_path / "config.yaml"), storage=storage)
    await runner.start()
    try:
        supervisor, members = await setup_group(sim, count=3)
        for roles, coping in (((2, 2, 3), (3, 3, 3)), ((4, 4, 3), (3, 2, 3))):
            await open_round(supervisor, members)
            first = members[0].current_screen().content
            assert "Question 1 ·" in first and "This goal has been met — Clearer roles" in first
            for member, role, cope in zip(members, roles, coping, strict=True):
                await member.answer([f"v{role}", f"v{cope}", "v5"])
                await member.submit()
            message = (await close_round(sim, supervisor))[0].content
        assert "Goals\n• Clearer roles: 3.7 ↑ (round 1: 2.3)\n• Better coping: 2.7 ↓ (round 1: 3.0)" in message
    finally:
        await runner.stop()


DOLLAR_FLOW = """\
id: dollars
default_language: en
title: Costs $x^$ check-in
intro: Three questions.
questions:
  - id: on_mind
    type: text
    max_length: 3500
    text: What costs $x^$ are on your mind?
  - id: cost_goals
    type: goals
    text: The goal $\\\\frac{a}{b}$ has been met
  - id: price
    type: scale
    labels: {min: "$0", max: "$x^$"}
    text: How is $x^$ the budget?
"""


async def test_a_dollar_sign_in_texts_never_blocks_the_close(
    sim: BotApiSimulator, tmp_path: Path, storage: StorageChoice
) -> None:
    (tmp_path / "flows").mkdir()
    (tmp_path / "flows" / "dollars.yaml").write_text(DOLLAR_FLOW, encoding="utf-8")
    config = EVALUATION_CONFIG.replace("flow: evaluation", "flow: dollars").replace(
        "text: Clearer roles}", "text: Save $5 of $x^$}"
    )
    (tmp_path / "config.yaml").write_text(config, encoding="utf-8")
    runner = BotRunner(sim, load_config(tmp_path / "config.yaml"), storage=storage)
    await runner.start()
    try:
        supervisor, members = await setup_group(sim, count=3)
        await open_round(supervisor, members)
        for number, member in enumerate(members):
            await member.answer([f"text:Costs {'$x^$' * 800} {number}", "v3", "v4", f"v{number + 2}"])
            await member.submit()
        before = len(supervisor.messages)
        await supervisor.send_command("close", GROUP_ID)
        await supervisor.wait_for_message(lambda m: "Round closed" in m.content)
        parts = await digest_parts(sim, supervisor, before)
    finally:
        await runner.stop()
    assert parts[0].content.startswith("Costs $x^$ check-in – Kotihoidon tiimi, round 1\n")
    assert "How is $x^$ the budget? 3.0" in parts[0].content
    assert kinds(parts)[-3:] == ["photo", "pdf", "html"]
    # Three answers of 3,200 characters: each reaches the supervisor whole, in follow-ups split between answers.
    followups = [m.content for m in parts[1:-3]]
    assert len(followups) >= 2
    for number in range(3):
        assert sum(f"Costs {'$x^$' * 800} {number}" in followup for followup in followups) == 1
