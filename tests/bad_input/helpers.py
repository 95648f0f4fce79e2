"""What the bad-input tests share: the classic seven-question check-in and a second supervisor's group, the texts the
bot answers with, and steps (joining, opening a round, pressing forged data, completing a check-in, reading the
digest) that each test takes before feeding the bot something it does not expect."""

from __future__ import annotations

import asyncio
import re
import textwrap
from collections import Counter
from collections.abc import Awaitable, Sequence
from html import escape
from pathlib import Path

from botsim.server import BotApiSimulator
from botsim.users import SimUser
from checkins.config.app import AppConfig, load_config
from demo import GROUP_ID, INVITE_LINK, SUPERVISOR_ID, MemberDriver, write_demo_config

GROUP_NAME = "Kotihoidon tiimi"
OTHER_SUPERVISOR_ID = 1002
OTHER_GROUP_ID = "other"
OTHER_GROUP_NAME = "Toinen tiimi"
BOT_USERNAME = "kierros_bot"
# These tests were written against a seven-question check-in; they keep it, whatever the bundled flows become.
CLASSIC_FLOWS = Path(__file__).resolve().parent.parent / "flows"

ENERGY = "How is your energy at work right now?"
ON_MIND = "What has been on your mind at work since the last session?"
# After energy (scale) and on_mind (text): went_well, difficult, bring (text), topic_area (multi), urgency (choice).
SKIP_REST = ("k", "k", "k", "k", "k")

WRITE_TEXT = "I can only save text answers. Please write your answer as a message."
USE_BUTTONS = "Please answer with the buttons."
NOT_VALID = "This button is not valid."
NO_LONGER_ACTIVE = "This button is no longer active. Please use the latest message."
CLOSED_TOAST = "This check-in has closed; answers can no longer be changed."
ONLY_SUPERVISORS = "This command is only for supervisors."
INVALID_INVITE = (
    "This invite link is not valid: it may have expired or been withdrawn. Ask your supervisor for a new link."
)
UNKNOWN_COMMAND = "I do not know that command. /help lists what I can do."
NOT_SAVED = "I did not save your message “{text}”: this question is answered with the buttons, so here it is again."
ON_REVIEW = "I did not save that message: your answers are in the review above. To add to an answer, press Edit there."


# --- set-up -----------------------------------------------------------------------------------------------------


def write_two_group_config(folder: Path) -> AppConfig:
    """The demo group plus a second supervisor's group, to show that one supervisor never sees the other's."""
    path = folder / "config.yaml"
    path.write_text(
        textwrap.dedent(
            f"""\
            timezone: Europe/Helsinki
            default_language: en
            storage: {{path: kierros.sqlite3}}
            flows_dir: {CLASSIC_FLOWS}
            # The simulator enforces no flood limits here, so the bot need not pace itself.
            telegram: {{flood_limits: false}}
            supervisors:
              - {{user_id: {SUPERVISOR_ID}, name: Sanna Supervisor, language: en}}
              - {{user_id: {OTHER_SUPERVISOR_ID}, name: Olli Other, language: en}}
            groups:
              - {{id: {GROUP_ID}, name: {GROUP_NAME}, supervisor: {SUPERVISOR_ID}, flow: classic,
                  min_responses: 2}}
              - {{id: {OTHER_GROUP_ID}, name: {OTHER_GROUP_NAME}, supervisor: {OTHER_SUPERVISOR_ID},
                  flow: classic, min_responses: 2}}
            """
        ),
        encoding="utf-8",
    )
    return load_config(path)


def classic_config(folder: Path, language: str = "en", min_responses: int = 3) -> AppConfig:
    return write_demo_config(
        folder, language=language, min_responses=min_responses, flow="classic", flows_dir=CLASSIC_FLOWS
    )


# --- helpers ----------------------------------------------------------------------------------------------------


async def start_supervisor(sim: BotApiSimulator, user_id: int = SUPERVISOR_ID, language: str = "en") -> SimUser:
    supervisor = sim.user(user_id, "Sanna", "Supervisor", language_code=language)
    await supervisor.send_command("start")
    await supervisor.wait_for_message()
    return supervisor


async def reply_to(user: SimUser, action: Awaitable[object]) -> str:
    """Do something as `user` and return the text of the bot's next message to them."""
    await action
    return (await user.wait_for_message()).content


async def command_reply(user: SimUser, command: str, args: str = "") -> str:
    return await reply_to(user, user.send_command(command, args))


async def invite_token(supervisor: SimUser, group_id: str = GROUP_ID) -> str:
    reply = await command_reply(supervisor, "invite", group_id)
    match = INVITE_LINK.search(reply)
    assert match, f"no invite link in {reply!r}"
    return match.group(1)


async def join_with(
    sim: BotApiSimulator, token: str, user_id: int, first_name: str, language: str = "en"
) -> MemberDriver:
    user = sim.user(user_id, first_name, language_code=language)
    await user.send_command("start", token)
    await user.wait_for_message(lambda m: "112" in m.content)
    return MemberDriver(user)


async def join(
    sim: BotApiSimulator, supervisor: SimUser, user_id: int, first_name: str, group_id: str = GROUP_ID
) -> MemberDriver:
    return await join_with(sim, await invite_token(supervisor, group_id), user_id, first_name)


async def open_round(supervisor: SimUser, members: Sequence[MemberDriver], group_id: str = GROUP_ID) -> None:
    await supervisor.send_command("open", group_id)
    await supervisor.wait_for_message()
    for member in members:
        await member.screen()


async def group_in_round(
    sim: BotApiSimulator, count: int = 2, language: str = "en"
) -> tuple[SimUser, list[MemberDriver]]:
    """A supervisor and `count` members (ids 2001…) of the demo group, each on the first question of a new round."""
    supervisor = await start_supervisor(sim, language=language)
    token = await invite_token(supervisor)
    names = ("Aino", "Bertta", "Ceelia")
    members = await asyncio.gather(*(join_with(sim, token, 2001 + n, names[n], language) for n in range(count)))
    await open_round(supervisor, members)
    return supervisor, list(members)


def data_of(member: MemberDriver, code: str) -> str:
    """The callback data of the button with this action code on the member's current screen."""
    return next(b.data for b in member.current_screen().flat_buttons if b.data.endswith(f":{code}"))


def round_id_of(member: MemberDriver) -> str:
    return data_of(member, "k").split(":")[0]


async def toast(sim: BotApiSimulator, user: SimUser, message_id: int, data: str) -> str:
    """Press (possibly forged) callback data and return the text of the answerCallbackQuery toast."""
    before = len(user.callback_answers)
    await user.press_data(message_id, data)
    async with asyncio.timeout(5):
        await sim.changes.wait_until(lambda: True if len(user.callback_answers) > before else None)
    return user.callback_answers[before].text or ""


async def settle(sim: BotApiSimulator) -> None:
    await sim.wait_idle(timeout=5, quiet=0.2)


async def complete(member: MemberDriver, *, energy: int | None = None, mind: str | None = None) -> None:
    """From the current question on: answer energy and on_mind (when given), skip the rest, submit."""
    steps = [f"v{energy}"] if energy is not None else []
    steps += [f"text:{mind}"] if mind is not None else []
    await member.answer([*steps, *SKIP_REST])
    await member.submit()


def scale_counts(report: str) -> Counter[int]:
    """The energy question's table in the report as {scale point: count}, points with no answers left out."""
    table = re.search(r'<table class="spread">(.*?)</table>', report)
    assert table is not None, report
    points, counts = [re.findall(r"<td>(\d+)</td>", row) for row in table.group(1).split("</tr>")[1:3]]
    return Counter({int(point): int(count) for point, count in zip(points, counts, strict=True) if int(count)})


def assert_digest(digest: str, *, energies: Sequence[int], minds: Sequence[str], invited: int = 2) -> None:
    """Two (or more) submissions: exactly these energy values and exactly these on_mind answers, nothing more.

    `digest` is everything the supervisor received, the printable report's HTML included."""
    assert f"{len(minds)} of {invited} answered" in digest, digest
    assert scale_counts(digest) == Counter(energies), digest
    assert f'{ENERGY} <span class="meta">({len(energies)} answers)</span>' in digest, digest
    assert f'{ON_MIND} <span class="meta">({len(minds)} answers)</span>' in digest, digest
    for mind in minds:
        assert digest.count(f"<li>{escape(mind)}</li>") == 1, (mind, digest)
