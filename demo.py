"""`python bot.py demo`: the real bot, end to end, against the local Telegram simulator — no token, no network.

It starts the Bot API simulator on 127.0.0.1, runs the real PTB `Application` against it with a temporary database and
a demo config, and plays a supervisor and five members: they join through an invite link, four answer (one skips, and
having nothing to bring is not asked its topic or urgency; one goes Back to change an answer; one mentions a colleague
by name), the supervisor closes the round, and the digest the supervisor received (message, chart and printable
report) is printed — and, with `--out DIR`, kept there to look at. `MemberDriver` — how a simulated person presses the
bot's buttons — is shared with the end-to-end tests.
"""

from __future__ import annotations

import re
import tempfile
import textwrap
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

from botsim.models import SimMessage
from botsim.server import BotApiSimulator
from botsim.users import SimUser
from checkins.config.app import AppConfig, load_config
from checkins.rounds.reminders import PREFIX as REMINDER_PREFIX

FLOWS_DIR = Path(__file__).resolve().parent / "flows"
SUPERVISOR_ID = 1001
GROUP_ID = "demo"
INVITE_LINK = re.compile(r"https://t\.me/\S+\?start=(\S+)")


def write_demo_config(
    folder: Path,
    *,
    language: str,
    min_responses: int = 3,
    flow: str = "pre_session",
    extra: str = "",
    flows_dir: Path = FLOWS_DIR,
    flood_limits: bool = False,
) -> AppConfig:
    """A config with one supervisor and one group, stored in `folder` (as a real deployment would have it).

    `extra` is more top-level YAML (e.g. a `privacy:` section) for tests that need it. Flood limits are off by
    default: the simulator enforces none unless a test asks for them.
    """
    path = folder / "config.yaml"
    path.write_text(
        textwrap.dedent(
            f"""\
            timezone: Europe/Helsinki
            default_language: {language}
            storage: {{path: kierros.sqlite3}}
            telegram: {{flood_limits: {"true" if flood_limits else "false"}}}
            flows_dir: {flows_dir}
            supervisors:
              - {{user_id: {SUPERVISOR_ID}, name: Sanna Supervisor, language: {language}}}
            groups:
              - id: {GROUP_ID}
                name: Kotihoidon tiimi
                supervisor: {SUPERVISOR_ID}
                flow: {flow}
                min_responses: {min_responses}
                redact_names: [Liisa Laine]
                goals:
                  - {{id: roles, text: {{fi: Roolit ja vastuut selkeytyvät, sv: Roller och ansvar klarnar,
                     en: Clearer roles and responsibilities}}}}
                  - {{id: coping, text: {{fi: Jaksaminen paranee, sv: Orken blir bättre, en: Better coping at work}}}}
            """
        )
        + extra,
        encoding="utf-8",
    )
    return load_config(path)


def _has_code(message: SimMessage, code: str) -> bool:
    return any(button.data.endswith(f":{code}") for button in message.flat_buttons)


def is_screen(message: SimMessage) -> bool:
    """A message that waits for the member: a question or the review (it has Skip, Back, Submit or answers) — not a
    round's intro or a reminder, whose buttons say whether to answer at all. A button answer turns the message it
    was pressed on into the next screen, so a screen may be an edit."""
    buttons = message.flat_buttons
    return bool(buttons) and not all(b.data.startswith(REMINDER_PREFIX) for b in buttons)


def step_of(message: SimMessage) -> str:
    """The step token the screen's buttons carry (`<round>:<step>:<action>`): which question or review it is."""
    data = next(b.data for b in message.flat_buttons if not b.data.startswith(REMINDER_PREFIX))
    return data.split(":")[1]


def replaces(left: SimMessage) -> Callable[[SimMessage], bool]:
    """A screen after `left`: a new message, or `left` edited into another step (a button answer)."""
    step = step_of(left)
    return lambda m: is_screen(m) and (m.message_id != left.message_id or step_of(m) != step)


class MemberDriver:
    """Plays one person in the simulator by pressing the bot's buttons through their action codes."""

    patience = 10.0  # seconds to wait for the bot's next message

    def __init__(self, user: SimUser) -> None:
        self.user = user

    async def screen(self, timeout: float = 10.0, left: SimMessage | None = None) -> SimMessage:  # noqa: ASYNC109
        """The next question or review screen the bot sends — after `left`, a new message or `left` turned into
        the next screen."""
        return await self.user.wait_for_message(is_screen if left is None else replaces(left), timeout=timeout)

    async def act(self, code: str) -> SimMessage:
        """Press the button with this action code on the current screen, then wait for the next screen."""
        current = self.current_screen()
        data = next(b.data for b in current.flat_buttons if b.data.endswith(f":{code}"))
        await self.user.press(data, message_id=current.message_id)
        if code[0] in "tpEPVaA":
            # Toggles, the review's lists (edit, only for me, allow a reply) and Back to review redraw the same message.
            return await self.user.wait_for_message(lambda m: m.message_id == current.message_id and m.edited)
        return await self._moved_on(current, self.screen(left=current))

    async def write(self, text: str) -> SimMessage:
        """Answer the current text question with one message, then press Next."""
        await self.type(text)
        return await self.act("n")

    async def type(self, text: str) -> SimMessage:
        """Send one message (of perhaps several) on a text question; returns the echo with Next under it."""
        current = self.current_screen()
        await self.user.send_text(text)
        return await self._moved_on(current, self.screen(left=current))

    async def _moved_on(self, left: SimMessage, arrival: Awaitable[SimMessage]) -> SimMessage:
        """The next screen; when it is a new message, once the screen left behind was also marked (its buttons
        taken away: the bot sends the next screen first and tidies the old one after it)."""
        arrived = await arrival
        if arrived.message_id != left.message_id:
            await self.user.wait_for_message(lambda m: m.message_id == left.message_id and m.edited, self.patience)
        return arrived

    def current_screen(self) -> SimMessage:
        for message in reversed(self.user.messages):
            if message.flat_buttons and not all(b.data.startswith(REMINDER_PREFIX) for b in message.flat_buttons):
                return message
        raise LookupError(f"user {self.user.user_id} has no screen with buttons")

    async def answer(self, steps: Sequence[str]) -> SimMessage:
        """Run a script: `text:...` writes a message and presses Next, `more:...` only sends a message, anything else
        is an action code (`v4`, `k`, `b`, `t0`, `d`, `n`)."""
        last = self.current_screen()
        for step in steps:
            if step.startswith("text:"):
                last = await self.write(step[5:])
            elif step.startswith("more:"):
                last = await self.type(step[5:])
            else:
                last = await self.act(step)
        return last

    async def submit(self) -> SimMessage:
        current = self.current_screen()
        assert _has_code(current, "S"), "not on the review screen"
        data = next(b.data for b in current.flat_buttons if b.data.endswith(":S"))
        await self.user.press(data, message_id=current.message_id)
        return await self._moved_on(current, self.user.wait_for_message(lambda m: _has_code(m, "R")))


MEMBERS = (
    (2001, "Maija", "Meikäläinen", "maijam", "fi"),
    (2002, "Pekka", "Virtanen", None, "fi"),
    (2003, "Anna", "Lindqvist", "annal", "sv"),
    (2004, "Jussi", "Korhonen", None, "fi"),
    (2005, "Emma", "Brown", "emmab", "en"),
)

# Four members' answers, question by question: energy (scale) → went_well → difficult → bring → topic_area (multi:
# toggles, then Done) → urgency (choice); topic_area and urgency are asked only of those who answered bring.
# `k` skips, `b` goes back, `text:` writes a message.
ANSWERS: dict[str, tuple[tuple[str, ...], ...]] = {
    "fi": (
        (
            "v4",
            "text:Asukkaan omainen kiitti meitä.",
            "text:Kiire ja sijaisten puute.",
            "text:Miten jaksaa pitkiä vuoroputkia?",
            "t1",
            "t5",
            "d",
            "v2",
        ),
        (
            "k",
            "k",
            "text:Tiedonkulku vuorojen välillä.",
            "k",
        ),
        (
            "v2",
            "b",
            "v3",
            "text:Sain hoidettua vaikean kotikäynnin.",
            "text:Eettinen tilanne asiakkaan kanssa.",
            "text:Rajojen vetäminen.",
            "t6",
            "d",
            "v2",
        ),
        (
            "v2",
            "text:Kollegoilta saa apua.",
            "text:Liian monta asiakasta päivässä.",
            "text:Toivon, että Maijalle ja minulle järjestyy apua iltakäynteihin. Soita 040 123 4567.",
            "t2",
            "d",
            "k",
        ),
    ),
    "sv": (
        (
            "v4",
            "text:En anhörig till en boende tackade oss.",
            "text:Brådska och för få vikarier.",
            "text:Hur orkar man med långa arbetspass i rad?",
            "t1",
            "t5",
            "d",
            "v2",
        ),
        (
            "k",
            "k",
            "text:Informationen går inte vidare mellan skiften.",
            "k",
        ),
        (
            "v2",
            "b",
            "v3",
            "text:Ett svårt hembesök gick bra.",
            "text:En etisk situation med en klient.",
            "text:Att sätta gränser.",
            "t6",
            "d",
            "v2",
        ),
        (
            "v2",
            "text:Kollegerna hjälper.",
            "text:För många klienter per dag.",
            "text:Jag hoppas att Maija och jag får hjälp med kvällsbesöken. Ring mig på 040 123 4567.",
            "t2",
            "d",
            "k",
        ),
    ),
    "en": (
        (
            "v4",
            "text:A resident's relative thanked us.",
            "text:Rush and too few substitutes.",
            "text:How to cope with long runs of shifts?",
            "t1",
            "t5",
            "d",
            "v2",
        ),
        (
            "k",
            "k",
            "text:Information does not flow between shifts.",
            "k",
        ),
        (
            "v2",
            "b",
            "v3",
            "text:A difficult home visit went well.",
            "text:An ethical situation with a client.",
            "text:Setting boundaries.",
            "t6",
            "d",
            "v2",
        ),
        (
            "v2",
            "text:Colleagues help.",
            "text:Too many clients a day.",
            "text:I hope Maija and I get help with the evening visits. Call me on 040 123 4567.",
            "t2",
            "d",
            "k",
        ),
    ),
}


def _describe(message: SimMessage) -> str:
    """A line saying what kind of attachment a message carries, for printing."""
    if message.photo is not None:
        return f"[chart: PNG {message.photo.get('width')}×{message.photo.get('height')}]\n"
    if message.document is not None:
        size = message.document.get("file_size", 0) // 1024
        return f"[printable report: {message.document.get('file_name')}, {size} KB]\n"
    return ""


async def join_via_invite(user: SimUser, supervisor: SimUser) -> None:
    await supervisor.send_command("invite", GROUP_ID)
    reply = await supervisor.wait_for_message(lambda m: "start=" in m.content)
    match = INVITE_LINK.search(reply.content)
    assert match, "no invite link in the supervisor's reply"
    await user.send_command("start", match.group(1))
    await user.wait_for_message(lambda m: "112" in m.content)


def keep_digest(sim: BotApiSimulator, received: Sequence[SimMessage], folder: Path) -> list[Path]:
    """Write what the supervisor received to `folder`: the digest message as text, the chart and the report."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    texts = [m.content for m in received if m.photo is None and m.document is None]
    (folder / "digest-message.txt").write_text("\n\n".join(texts) + "\n", encoding="utf-8")
    written.append(folder / "digest-message.txt")
    for message in received:
        attachment = message.photo or message.document
        if attachment is None:
            continue
        data = sim.files[attachment["file_id"]].data
        name = "chart.png" if message.photo is not None else str(attachment.get("file_name") or "report.html")
        if data is not None:
            (folder / name).write_bytes(data)
            written.append(folder / name)
    return written


async def run_demo(language: str = "fi", out: Path | None = None) -> int:
    from handlers.application import build_application, running

    with tempfile.TemporaryDirectory(prefix="kierros-demo-") as folder:
        config = write_demo_config(Path(folder), language=language)
        async with BotApiSimulator() as sim:
            application = build_application(config, sim.token, base_url=sim.base_url)
            async with running(application):
                supervisor = sim.user(SUPERVISOR_ID, "Sanna", "Supervisor", language_code=language)
                await supervisor.send_command("start")
                await supervisor.wait_for_message()
                members = [
                    MemberDriver(sim.user(uid, first, last, username, language_code=language if code != "sv" else code))
                    for uid, first, last, username, code in MEMBERS
                ]
                print(f"Simulator on {sim.url}; the real bot is polling it.\n")
                for member in members:
                    await join_via_invite(member.user, supervisor)
                print(f"{len(members)} members joined through invite links.")
                await supervisor.send_command("open", GROUP_ID)
                for member in members:
                    await member.screen()
                print("Round opened: every member got the intro and the first question.")
                for member, steps in zip(members, ANSWERS[language], strict=False):
                    await member.answer(steps)
                for member in members[:4]:
                    await member.submit()
                print(
                    "Four members answered and submitted: one skipped questions (and, having nothing to bring, was "
                    "not asked its topic or urgency), one went Back, one named a colleague. The fifth did not answer."
                )
                before = len(supervisor.messages)
                await supervisor.send_command("close", GROUP_ID)
                # The printable report is the digest's last part.
                await supervisor.wait_for_message(lambda m: m.document is not None, timeout=30)
                await sim.wait_idle(timeout=10)
                print("\n" + "=" * 72 + "\nWhat the supervisor received after /close:\n" + "=" * 72)
                for message in supervisor.messages[before:]:
                    print(_describe(message) + message.content + "\n")
                if out is not None:
                    for path in keep_digest(sim, supervisor.messages[before:], out):
                        print(f"Kept {path}")
    return 0
