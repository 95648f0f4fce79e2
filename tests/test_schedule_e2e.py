"""One scheduled round end to end: the real bot over HTTP against the simulator, with a clock the test moves.

Members join, one pauses; the group chat is linked; at the opening time a restart's catch-up opens the round
(prompts, and a note in the group chat); a reminder reaches only the member who has not submitted; at the close
the digest arrives once, counting the paused member apart. Also: `/schedule`, `/skip`, `/unskip`, `/settings`,
`/language`.
"""

from __future__ import annotations

import textwrap
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from botsim.models import SimMessage
from botsim.server import BotApiSimulator
from botsim.users import SimUser
from checkins.config.app import AppConfig, load_config
from demo import FLOWS_DIR, GROUP_ID, MEMBERS, SUPERVISOR_ID, MemberDriver, join_via_invite
from handlers.schedule import MISFIRE_GRACE_SECONDS, NEXT_JOB_ID, SWEEP_JOB_ID
from tests.conftest import BotRunner, RunnerFactory
from tests.test_round_e2e import script

HELSINKI = ZoneInfo("Europe/Helsinki")


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now.timestamp()

    def set(self, moment: datetime) -> None:
        self.now = moment.timestamp()

    def __call__(self) -> float:
        return self.now


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2031, month, day, hour, minute, tzinfo=HELSINKI)


def calendar_config(folder: Path) -> AppConfig:
    path = folder / "config.yaml"
    path.write_text(
        textwrap.dedent(
            f"""\
            timezone: Europe/Helsinki
            default_language: en
            storage: {{path: kierros.sqlite3}}
            flows_dir: {FLOWS_DIR}
            # The simulator enforces no flood limits here, so the bot need not pace itself.
            telegram: {{flood_limits: false}}
            quiet_hours: {{start: "21:00", end: "08:00"}}
            supervisors:
              - {{user_id: {SUPERVISOR_ID}, name: Sanna Supervisor, language: en}}
            groups:
              - id: {GROUP_ID}
                name: Kotihoidon tiimi
                supervisor: {SUPERVISOR_ID}
                flow: pre_session
                min_responses: 2
                calendar:
                  sessions: [2031-03-11 14:00, 2031-03-25 14:00]
                rounds:
                  - {{flow: pre_session, opens: 3d before, reminders: [1d], closes: 3h before}}
            """
        ),
        encoding="utf-8",
    )
    return load_config(path)


async def start(sim: BotApiSimulator, make_runner: RunnerFactory, tmp_path: Path, clock: Clock) -> BotRunner:
    runner = await make_runner(config=calendar_config(tmp_path), clock=clock)
    supervisor = sim.user(SUPERVISOR_ID, "Sanna", "Supervisor", language_code="en")
    await supervisor.send_command("start")
    await supervisor.wait_for_message()
    return runner


async def join(sim: BotApiSimulator, count: int) -> list[MemberDriver]:
    supervisor = sim.user(SUPERVISOR_ID)
    members = []
    for uid, first, last, username, _ in MEMBERS[:count]:
        user = sim.user(uid, first, last, username, language_code="en")
        await join_via_invite(user, supervisor)
        members.append(MemberDriver(user))
    return members


def is_question(message: SimMessage) -> bool:
    """A check-in screen: its buttons carry a round's callback data (the welcome's privacy button does not)."""
    return any(button.data.count(":") == 2 and not button.data.startswith("rm:") for button in message.flat_buttons)


def texts(user: SimUser, needle: str) -> list[str]:
    return [m.content for m in user.messages if needle in m.content]


async def test_one_scheduled_round_runs_by_itself(
    sim: BotApiSimulator, make_runner: RunnerFactory, tmp_path: Path
) -> None:
    clock = Clock(at(3, 1, 12))
    runner = await start(sim, make_runner, tmp_path, clock)
    supervisor = sim.user(SUPERVISOR_ID)
    members = await join(sim, 4)
    on_leave = members[3].user
    await on_leave.send_command("pause")
    assert "paused until you send /resume" in (await on_leave.wait_for_message()).content

    chat = sim.group_chat(-1001, "Tiimi")
    await chat.send_command(supervisor, "link", GROUP_ID)
    assert "now linked to Kotihoidon tiimi" in (await chat.wait_for_message()).content

    # The bot is down when the round should open (Saturday 14:00); the restart catches up by itself.
    await runner.stop()
    clock.set(at(3, 8, 15))
    await runner.start()
    for member in members[:3]:
        await member.screen()
    note = await chat.wait_for_message(lambda m: "check-in" in m.content)
    [button] = note.flat_buttons
    assert button.data == "https://t.me/kierros_bot"
    assert "answered" not in note.content and "Maija" not in note.content

    await members[0].answer(script(0))
    await members[0].submit()
    await members[1].answer(script(1))
    await members[1].submit()
    await members[2].answer(script(2)[:2])

    # The timer is armed for the reminder (Monday 11:00), with a real misfire grace time.
    job = runner.application.job_queue.scheduler.get_job(NEXT_JOB_ID)
    assert job is not None and job.misfire_grace_time == MISFIRE_GRACE_SECONDS
    assert runner.application.job_queue.scheduler.get_job(SWEEP_JOB_ID) is not None

    clock.set(at(3, 10, 11, 1))
    await runner.services.schedule.run_due()
    await runner.services.schedule.run_due()  # a second firing changes nothing
    await members[2].user.wait_for_message(lambda m: "Reminder" in m.content)
    await sim.wait_idle()
    assert [len(texts(m.user, "Reminder")) for m in members] == [0, 0, 1, 0]

    clock.set(at(3, 11, 11, 1))
    await runner.services.schedule.run_due()
    await supervisor.wait_for_message(lambda m: "answered" in m.content)
    await runner.restart()  # a restart after the close sends nothing again
    await sim.wait_idle()
    [digest] = texts(supervisor, "answered")
    assert "2 of 3 answered" in digest
    assert "1 member was on a pause and was not asked." in digest
    assert "member0: too few substitutes" in digest
    assert texts(members[2].user, "has closed")
    assert not [m for m in on_leave.messages if is_question(m)]
    # The group chat got the one note and nothing about answers.
    assert len(chat.messages) == 2


async def test_supervisor_sees_and_skips_sessions(
    sim: BotApiSimulator, make_runner: RunnerFactory, tmp_path: Path
) -> None:
    clock = Clock(at(3, 1, 12))
    await start(sim, make_runner, tmp_path, clock)
    supervisor = sim.user(SUPERVISOR_ID)
    await supervisor.send_command("schedule", GROUP_ID)
    overview = (await supervisor.wait_for_message()).content
    assert "Tue, Mar 11, 2031 2:00\u202fPM" in overview
    assert "opens Sat, Mar 8, 2031 2:00\u202fPM" in overview
    assert "reminder Mon, Mar 10, 2031 11:00\u202fAM" in overview
    assert "closes Tue, Mar 11, 2031 11:00\u202fAM" in overview

    await supervisor.send_command("skip", f"{GROUP_ID} 2031-03-11")
    assert "is skipped" in (await supervisor.wait_for_message()).content
    await supervisor.send_command("skip", f"{GROUP_ID} 12.3.2031")
    assert "has no session on 12.3.2031" in (await supervisor.wait_for_message()).content
    await supervisor.send_command("schedule")
    assert "skipped" in (await supervisor.wait_for_message()).content
    await supervisor.send_command("unskip", f"{GROUP_ID} 11.3.2031")
    assert "is back on: its rounds open as planned" in (await supervisor.wait_for_message()).content
    await supervisor.send_command("unskip", f"{GROUP_ID} 2031-03-11")
    assert "was not skipped" in (await supervisor.wait_for_message()).content
    await supervisor.send_command("unskip", GROUP_ID)
    assert "Usage: /unskip" in (await supervisor.wait_for_message()).content
    await supervisor.send_command("schedule")
    assert "skipped" not in (await supervisor.wait_for_message()).content

    member = sim.user(2001, "Maija", language_code="en")
    await member.send_command("schedule", GROUP_ID)
    assert "only for supervisors" in (await member.wait_for_message()).content
    await member.send_command("unskip", f"{GROUP_ID} 2031-03-11")
    assert "only for supervisors" in (await member.wait_for_message()).content

    # Linking a group chat: only the supervisor, and a refusal in the shared chat names no group.
    chat = sim.group_chat(-1002, "Tiimi")
    await chat.send_command(member, "link", GROUP_ID)
    refusal = (await chat.wait_for_message()).content
    assert "Only the group's supervisor" in refusal and "Kotihoidon" not in refusal
    await supervisor.send_command("unlink", GROUP_ID)
    assert "has no linked group chat" in (await supervisor.wait_for_message()).content
    await chat.send_command(supervisor, "link", GROUP_ID)
    await chat.wait_for_message(lambda m: "now linked" in m.content)
    await supervisor.send_command("unlink", GROUP_ID)
    assert "no longer linked" in (await supervisor.wait_for_message()).content


async def test_settings_buttons_language_and_pause(
    sim: BotApiSimulator, make_runner: RunnerFactory, tmp_path: Path
) -> None:
    clock = Clock(at(3, 1, 12))
    await start(sim, make_runner, tmp_path, clock)
    [member] = await join(sim, 1)
    user = member.user

    await user.send_command("settings")
    settings = await user.wait_for_message()
    assert "Reminders: on" in settings.content and "Check-ins: active" in settings.content
    await user.press("Switch reminders off")
    edited = await user.wait_for_message(lambda m: m.edited)
    assert "Reminders: off" in edited.content
    await user.press("Pause 1 week")
    edited = await user.wait_for_message(lambda m: "paused until" in m.content)
    assert "Sat, Mar 8, 2031" in edited.content
    await user.press("Resume check-ins")
    await user.wait_for_message(lambda m: "Check-ins: active" in m.content)

    forged = await user.press_data(settings.message_id, "set:lang:de")
    query_id = forged["callback_query"]["id"]
    answer = await sim.changes.wait_until(
        lambda: next((a for a in user.callback_answers if a.callback_query_id == query_id), None)
    )
    assert answer.text == "This button is not valid."

    await user.send_command("language")
    await user.wait_for_message(lambda m: "Choose your language" in m.content)
    await user.press("Svenska")
    await user.wait_for_message(lambda m: "Språk: Svenska" in m.content)
    await user.send_command("pause", "1.2.2031")
    assert "redan passerat" in (await user.wait_for_message()).content
    await user.send_command("pause", "someday")
    assert "/pause 2026-05-01" in (await user.wait_for_message()).content


async def test_a_finished_process_opens_no_scheduled_round(
    sim: BotApiSimulator, make_runner: RunnerFactory, tmp_path: Path
) -> None:
    clock = Clock(at(3, 1, 12))
    runner = await start(sim, make_runner, tmp_path, clock)
    supervisor = sim.user(SUPERVISOR_ID)
    members = await join(sim, 2)
    await supervisor.send_command("finish", GROUP_ID)
    confirm = await supervisor.wait_for_message(lambda m: m.has_button(f"fin:{GROUP_ID}"))
    await supervisor.press(f"fin:{GROUP_ID}", message_id=confirm.message_id)
    await supervisor.wait_for_message(lambda m: "has ended" in m.content)
    clock.set(at(3, 8, 15))
    await runner.services.schedule.run_due()
    await sim.wait_idle()
    assert not [m for member in members for m in member.user.messages if is_question(m)]
