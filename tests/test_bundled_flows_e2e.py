"""Every bundled flow, in every language, answered end to end by the real bot over the simulator.

Two members answer each flow: one picks the lowest point of every scale and the first option and writes every text
answer, the other picks the highest point and skips every text question. Their paths differ where a flow's
`show_if` conditions depend on those answers; the test checks the "Question k · at most m to go" markers count
exactly the questions each member sees and never promise fewer questions than are then asked (the count of what is
left never grows), that no answering screen is longer than one screen, and that the digest arrives in the
supervisor's language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pytest

from botsim.models import SimMessage
from botsim.server import BotApiSimulator
from botsim.users import SimUser
from checkins.config.flows import QuestionType, load_flow
from checkins.i18n import Translator
from checkins.rounds.screens import SCREEN_CHARS
from demo import FLOWS_DIR, GROUP_ID, MEMBERS, SUPERVISOR_ID, MemberDriver, join_via_invite
from tests.conftest import RunnerFactory
from tests.test_round_e2e import file_text, is_html_report

# "Question 3 · at most 2 to go", "Kysymys 3 · enintään 2 jäljellä", "Fråga 3 · den sista": number and what is left.
MARKER = re.compile(r"^\S+ (\d+) · \D*?(\d+)?\D*$")
# How many questions each member sees in round 1: (writes and picks low, skips text and picks high).
VISIBLE = {
    "pre_session": (6, 4),  # topic_area and urgency only for the one who answered bring
    "post_session": (6, 6),
    "wellbeing_pulse": (4, 3),  # would_help only when energy is at most 2
    "interim_evaluation": (7, 7),  # the demo group's two goals, four statements and a free text
}


def codes(message: SimMessage) -> list[str]:
    return [button.data.rsplit(":", 1)[1] for button in message.flat_buttons]


@dataclass
class Walk:
    """What one member saw and did on the way through a flow."""

    markers: list[tuple[int, int]] = field(default_factory=list)  # (number, at most left) per question
    taps: int = 0  # button presses, Submit included
    typed: int = 0  # messages written


async def answer_all(member: MemberDriver, *, low: bool, text: str) -> list[tuple[int, int]]:
    """Answer every question on the member's way to the review; returns the markers seen (number, at most left)."""
    return (await walk_flow(member, low=low, text=text)).markers


async def walk_flow(member: MemberDriver, *, low: bool, text: str) -> Walk:
    """Answer every question and submit: the lowest point and first option and every text (`low`), or the highest
    point and a skip for every text."""
    walk = Walk()
    markers = walk.markers
    screen = await member.screen()
    while "S" not in codes(screen):
        assert len(screen.content) <= SCREEN_CHARS
        # Above a question may stand the line of the one answered before it ("✓ question → answer").
        lines = screen.content.split("\n")
        first_line = lines[2] if lines[0].startswith("✓ ") else lines[0]
        number, left = MARKER.match(first_line).groups()  # type: ignore[union-attr]
        markers.append((int(number), int(left or 0)))
        values = [code for code in codes(screen) if code.startswith("v")]
        toggles = [code for code in codes(screen) if code.startswith("t")]
        if values:
            screen = await member.act(values[0] if low else values[-1])
            walk.taps += 1
        elif toggles:
            await member.act(toggles[0])
            screen = await member.act("d")
            walk.taps += 2
        else:
            screen = await (member.write(text) if low else member.act("k"))
            walk.taps += 1  # Next under the written answer, or Skip
            walk.typed += low
    assert len(screen.content) <= SCREEN_CHARS
    await member.submit()
    walk.taps += 1
    return walk


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
@pytest.mark.parametrize("flow_id", list(VISIBLE))
async def test_bundled_flow_end_to_end(
    sim: BotApiSimulator, make_runner: RunnerFactory, flow_id: str, language: str
) -> None:
    await make_runner(language=language, min_responses=2, flow=flow_id)
    flow = load_flow(FLOWS_DIR / f"{flow_id}.yaml")
    catalog = Translator.load().for_language(language)
    supervisor = sim.user(SUPERVISOR_ID, "Sanna", language_code=language)
    await supervisor.send_command("start")
    await supervisor.wait_for_message()
    members = []
    for uid, first, _, _, _ in MEMBERS[:2]:
        user = sim.user(uid, first, language_code=language)
        await join_via_invite(user, supervisor)
        members.append(MemberDriver(user))
    await supervisor.send_command("open", GROUP_ID)
    intro = await members[0].user.wait_for_message(lambda m: flow.intro.get(language) in m.content)
    assert flow.title.get(language) in intro.content

    for member, low, expected in zip(members, (True, False), VISIBLE[flow_id], strict=True):
        markers = await answer_all(member, low=low, text=f"{flow_id} {language} reflection")
        assert [number for number, _ in markers] == list(range(1, expected + 1))
        # The most the member could still be asked never grows and never falls short of what is then asked (it can
        # promise more: skipping bring leaves out its follow-ups).
        totals = [number + left for number, left in markers]
        assert totals == sorted(totals, reverse=True) and totals[-1] >= expected

    before = len(supervisor.messages)
    await supervisor.send_command("close", GROUP_ID)
    participation = catalog.gettext("{answered} of {invited} answered").format(answered=2, invited=2)
    await supervisor.wait_for_message(lambda m: participation in m.content)
    digest = await received_digest(sim, supervisor, before)
    assert flow.title.get(language) in digest
    # A goals question shows in the digest as the goals' own texts; any other question by its text.
    first = next(q for q in flow.questions if q.type is not QuestionType.GOALS)
    assert first.text.get(language) in digest


async def received_digest(sim: BotApiSimulator, supervisor: SimUser, before: int) -> str:
    """The messages and the HTML report the supervisor received after `before`, once the report (drawn last) came."""
    await supervisor.wait_for_message(is_html_report, timeout=30)
    await sim.wait_idle(timeout=10)
    received = supervisor.messages[before:]
    return "\n".join(file_text(sim, m) if is_html_report(m) else m.content for m in received)


async def test_a_rotated_question_is_asked_only_in_its_rounds(sim: BotApiSimulator, make_runner: RunnerFactory) -> None:
    await make_runner(language="en", min_responses=2, flow="post_session")
    goal_question = load_flow(FLOWS_DIR / "post_session.yaml").question("goal_progress").text.get("en")
    supervisor = sim.user(SUPERVISOR_ID, "Sanna", language_code="en")
    members = []
    for uid, first, _, _, _ in MEMBERS[:2]:
        user = sim.user(uid, first, language_code="en")
        await join_via_invite(user, supervisor)
        members.append(MemberDriver(user))
    questions_seen: list[int] = []
    digests: list[str] = []
    for _ in range(2):
        await supervisor.send_command("open", GROUP_ID)
        for member in members:
            questions_seen.append(len(await answer_all(member, low=False, text="")))
        before = len(supervisor.messages)
        await supervisor.send_command("close", GROUP_ID)
        await supervisor.wait_for_message(lambda m: "2 of 2 answered" in m.content)
        digests.append(await received_digest(sim, supervisor, before))
    assert questions_seen == [6, 6, 5, 5]  # goal_progress: every third round, starting with the first
    assert goal_question in digests[0]
    assert goal_question not in digests[1] and "round 2" in digests[1]


# Taps (button presses, Submit included) and typed answers for a member who answers every question of each bundled
# flow on its longest path (lowest scale points, first options, every text written).
TAPS = {
    "pre_session": (8, 3),
    "post_session": (7, 2),
    "wellbeing_pulse": (5, 1),
    "interim_evaluation": (8, 1),
}


@pytest.mark.parametrize("flow_id", list(TAPS))
async def test_taps_to_answer_every_question(sim: BotApiSimulator, make_runner: RunnerFactory, flow_id: str) -> None:
    await make_runner(language="en", min_responses=2, flow=flow_id)
    supervisor = sim.user(SUPERVISOR_ID, "Sanna", language_code="en")
    uid, first, _, _, _ = MEMBERS[0]
    user = sim.user(uid, first, language_code="en")
    await join_via_invite(user, supervisor)
    await supervisor.send_command("open", GROUP_ID)
    walk = await walk_flow(MemberDriver(user), low=True, text="a reflection")
    print(f"{flow_id}: {walk.taps} taps and {walk.typed} typed answers")
    if flow_id == "pre_session":
        assert walk.taps <= 8, "the pre-session check-in must need at most 8 taps besides the typed answers"
    assert (walk.taps, walk.typed) == TAPS[flow_id]
