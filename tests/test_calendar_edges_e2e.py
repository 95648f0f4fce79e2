"""The calendar's edges end to end: the real bot over HTTP against the simulator, a clock the test sets, and the
real timer (PTB's JobQueue) doing the work — each step moves the clock, re-arms the timer and waits for its job.

A round around the spring-forward gap opens and closes before its session; a round whose whole window passed while
the bot was down is reported to the supervisor, whose one button opens it; after downtime across the opening and a
reminder, the reminder waits the reminder gap; a member's own quiet hours and time zone (`/quiet`, `/timezone`,
`/settings`) hold their question until their morning while the others are asked on time.
"""

from __future__ import annotations

import asyncio
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, JobExecutionEvent

from botsim.server import BotApiSimulator
from checkins.config.app import AppConfig, load_config
from demo import FLOWS_DIR, GROUP_ID, SUPERVISOR_ID
from handlers.schedule import NEXT_JOB_ID
from tests.conftest import BotRunner, RunnerFactory
from tests.test_schedule_e2e import Clock, is_question, join, texts

HELSINKI = ZoneInfo("Europe/Helsinki")


def helsinki(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2031, month, day, hour, minute, tzinfo=HELSINKI)


def edge_config(folder: Path, sessions: str, rounds: str, quiet: str = "false") -> AppConfig:
    path = folder / "config.yaml"
    path.write_text(
        textwrap.dedent(
            f"""\
            timezone: Europe/Helsinki
            default_language: en
            storage: {{path: kierros.sqlite3}}
            flows_dir: {FLOWS_DIR}
            telegram: {{flood_limits: false}}
            quiet_hours: {quiet}
            reminder_gap: 2h
            supervisors:
              - {{user_id: {SUPERVISOR_ID}, name: Sanna Supervisor, language: en}}
            groups:
              - id: {GROUP_ID}
                name: Kotihoidon tiimi
                supervisor: {SUPERVISOR_ID}
                flow: pre_session
                min_responses: 2
                calendar: {{sessions: [{sessions}]}}
                rounds:
                  - {rounds}
            """
        ),
        encoding="utf-8",
    )
    return load_config(path)


async def tick(runner: BotRunner, clock: Clock, moment: datetime) -> None:
    """Move the frozen clock to `moment` and let the real timer fire: the armed job is made due now, APScheduler
    runs it, and it re-arms itself; this returns once it has."""
    clock.set(moment)
    scheduler = runner.application.job_queue.scheduler
    ran = asyncio.Event()

    def listener(event: JobExecutionEvent) -> None:
        if event.job_id == NEXT_JOB_ID:
            ran.set()

    scheduler.add_listener(listener, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    try:
        async with asyncio.timeout(5):
            if (job := scheduler.get_job(NEXT_JOB_ID)) is None:
                # Running right now, so out of the job store until it has re-armed itself.
                await ran.wait()
                ran.clear()
                job = scheduler.get_job(NEXT_JOB_ID)
            assert job is not None, "the timer is not armed"
            job.modify(next_run_time=datetime.now(UTC))
            scheduler.wakeup()
            await ran.wait()
    finally:
        scheduler.remove_listener(listener)


async def next_wake(runner: BotRunner) -> datetime:
    """The moment the real timer is armed for, on the frozen clock."""
    delay = await runner.services.schedule.seconds_until_next()
    assert delay is not None
    return runner.services.schedule.now() + timedelta(seconds=delay)


async def start(make_runner: RunnerFactory, sim: BotApiSimulator, config: AppConfig, clock: Clock) -> BotRunner:
    runner = await make_runner(config=config, clock=clock)
    supervisor = sim.user(SUPERVISOR_ID, "Sanna", "Supervisor", language_code="en")
    await supervisor.send_command("start")
    await supervisor.wait_for_message()
    return runner


async def test_a_round_in_the_spring_forward_gap_opens_and_closes_before_its_session(
    sim: BotApiSimulator, make_runner: RunnerFactory, tmp_path: Path
) -> None:
    # 30 March 2031 is the last Sunday of March: 03:00-04:00 does not exist in Helsinki. 03:45 and 04:05 used to
    # become 04:45 and 04:05, so the round never opened.
    config = edge_config(
        tmp_path, "2031-03-30 04:15", "{flow: pre_session, opens: 30m before, closes: 10m before, reminders: []}"
    )
    clock = Clock(helsinki(3, 29, 12))
    runner = await start(make_runner, sim, config, clock)
    supervisor = sim.user(SUPERVISOR_ID)
    members = await join(sim, 2)
    opening = helsinki(3, 30, 4, 0)  # the gap's start: 01:00 UTC
    assert opening.utcoffset() == timedelta(hours=3)
    assert await next_wake(runner) == opening

    # (In UTC: on an aware Helsinki datetime, Python subtracts on the wall clock, into the gap.)
    await tick(runner, clock, opening.astimezone(UTC) - timedelta(seconds=1))
    assert not [m for member in members for m in member.user.messages if is_question(m)]
    await tick(runner, clock, opening)
    for member in members:
        await member.screen()
    assert await next_wake(runner) == helsinki(3, 30, 4, 5)

    await tick(runner, clock, helsinki(3, 30, 4, 5))
    digest = await supervisor.wait_for_message(lambda m: "answered" in m.content)
    assert "0 of 2 answered" in digest.content
    assert helsinki(3, 30, 4, 5) < helsinki(3, 30, 4, 15)


async def test_a_round_missed_while_the_bot_was_down_is_reported_and_opens_with_one_button(
    sim: BotApiSimulator, make_runner: RunnerFactory, tmp_path: Path
) -> None:
    config = edge_config(
        tmp_path,
        "2031-03-11 14:00, 2031-03-25 14:00",
        "{flow: pre_session, opens: 3d before, reminders: [1d], closes: 3h before}",
    )
    clock = Clock(helsinki(3, 1, 12))
    runner = await start(make_runner, sim, config, clock)
    supervisor = sim.user(SUPERVISOR_ID)
    members = await join(sim, 2)

    # Down from before the opening (Saturday 14:00) until after the close (Tuesday 11:00).
    await runner.stop()
    clock.set(helsinki(3, 11, 12))
    await runner.start()
    notice = await supervisor.wait_for_message(lambda m: "did not open" in m.content)
    assert "Tue, Mar 11, 2031" in notice.content and "nobody was asked" in notice.content
    assert not [m for member in members for m in member.user.messages if is_question(m)]
    await runner.restart()  # told once
    await sim.wait_idle()
    assert len(texts(supervisor, "did not open")) == 1

    await supervisor.press("Open the check-in now", message_id=notice.message_id)
    await supervisor.wait_for_message(lambda m: "Round opened" in m.content)
    for member in members:
        await member.screen()
    await supervisor.press("Open the check-in now", message_id=notice.message_id)
    await supervisor.wait_for_message(lambda m: "already has an open round" in m.content)
    await supervisor.send_command("close", GROUP_ID)
    await supervisor.wait_for_message(lambda m: "answered" in m.content)


async def test_after_downtime_the_reminder_waits_the_gap_after_the_question(
    sim: BotApiSimulator, make_runner: RunnerFactory, tmp_path: Path
) -> None:
    config = edge_config(
        tmp_path, "2031-03-11 14:00", "{flow: pre_session, opens: 3d before, reminders: [1d], closes: 3h before}"
    )
    clock = Clock(helsinki(3, 1, 12))
    runner = await start(make_runner, sim, config, clock)
    [member] = await join(sim, 1)

    # Down across the opening (Saturday 14:00) and the reminder (Monday 11:00).
    await runner.stop()
    clock.set(helsinki(3, 10, 12))
    await runner.start()
    await member.screen()
    await sim.wait_idle()
    assert not texts(member.user, "Reminder")
    assert await next_wake(runner) == helsinki(3, 10, 14)

    await tick(runner, clock, helsinki(3, 10, 13, 59))
    await sim.wait_idle()
    assert not texts(member.user, "Reminder")
    await tick(runner, clock, helsinki(3, 10, 14))
    await member.user.wait_for_message(lambda m: "Reminder" in m.content)


async def test_a_members_own_quiet_hours_and_time_zone_hold_their_question(
    sim: BotApiSimulator, make_runner: RunnerFactory, tmp_path: Path
) -> None:
    config = edge_config(
        tmp_path,
        "2031-03-11 14:00",
        "{flow: pre_session, opens: 3d before, reminders: [1d], closes: 3h before}",
        quiet='{start: "21:00", end: "08:00"}',
    )
    clock = Clock(helsinki(3, 1, 12))
    runner = await start(make_runner, sim, config, clock)
    at_home, abroad = await join(sim, 2)

    await abroad.user.send_command("timezone", "America/New_Yrok")
    assert "Did you mean America/New_York?" in (await abroad.user.wait_for_message()).content
    await abroad.user.send_command("timezone", "america/new_york")
    assert "Your time zone is now America/New_York" in (await abroad.user.wait_for_message()).content
    await abroad.user.send_command("quiet", "21:00")
    assert "Usage: /quiet 22:00 07:00" in (await abroad.user.wait_for_message()).content
    await abroad.user.send_command("quiet", "21.00 09:00")
    assert "Your quiet hours are now 21:00–09:00" in (await abroad.user.wait_for_message()).content
    await abroad.user.send_command("settings")
    settings = (await abroad.user.wait_for_message()).content
    assert "Quiet hours: 21:00–09:00" in settings and "Time zone: America/New_York" in settings

    # Saturday 14:00 in Helsinki is 07:00 in New York: one member is asked now, the other at 09:00 their time.
    await tick(runner, clock, helsinki(3, 8, 14))
    await at_home.screen()
    await sim.wait_idle()
    assert not [m for m in abroad.user.messages if is_question(m) and "Your settings" not in m.content]
    assert await next_wake(runner) == helsinki(3, 8, 16)
    await tick(runner, clock, helsinki(3, 8, 16))
    await abroad.screen()

    await abroad.user.press("Use the group's quiet hours and time zone")
    edited = await abroad.user.wait_for_message(lambda m: m.edited)
    assert "Quiet hours: the group's" in edited.content and "Time zone: the group's" in edited.content
