"""The outbox sender against the simulator: Telegram's flood limits, a 30% failure rate, and members who cannot
be reached — with the real bot over HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import html
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from botsim import BotApiSimulator, FaultPlan, RateLimits
from botsim.users import SimUser
from checkins.rounds import membership
from demo import MemberDriver
from handlers.application import build_application, running
from tests.conftest import StorageChoice
from tests.crowd import PatientDriver, database_held, seed_members, supervisor_id, write_crowd_config
from tests.test_round_e2e import file_text, is_html_report


@contextlib.asynccontextmanager
async def bot_for(
    config_folder: Path,
    sim: BotApiSimulator,
    groups: int,
    per_group: int,
    *,
    flood_limits: bool,
    storage: StorageChoice,
) -> AsyncIterator[dict[str, list[SimUser]]]:
    config = write_crowd_config(config_folder, groups, flood_limits=flood_limits, storage_url=storage.url)
    members = await seed_members(config, sim, per_group)
    async with running(build_application(config, sim.token, base_url=sim.base_url)):
        yield members


def first_questions(user: SimUser) -> list[str]:
    return [m.content for m in user.messages if m.content.startswith("Question 1 ·") or "Energy?" in m.content]


async def open_all(sim: BotApiSimulator, groups: int) -> list[SimUser]:
    supervisors = [sim.users[supervisor_id(g)] for g in range(groups)]
    await asyncio.gather(*(s.send_command("open", f"g{g}") for g, s in enumerate(supervisors)))
    return supervisors


async def test_opening_many_rounds_at_once_stays_under_telegrams_limits(tmp_path: Path, storage: StorageChoice) -> None:
    async with BotApiSimulator(rate_limits=RateLimits()) as sim:
        async with bot_for(tmp_path, sim, groups=8, per_group=8, flood_limits=True, storage=storage) as members:
            await open_all(sim, 8)
            everyone = [user for users in members.values() for user in users]
            # A member answering during the fan-out gets the next question before the fan-out is over.
            early = MemberDriver(members["g0"][0])
            await early.screen(timeout=15)
            await early.act("v3")
            answered_at = sim.stats.per_method["sendMessage"]
            for user in everyone:
                await user.wait_for_message(lambda m: "Question 1 ·" in m.content, timeout=30, after=0)
            await sim.wait_idle(timeout=30)
        assert sim.stats.too_many_requests == 0
        assert answered_at < 8 * 8 * 2
        for user in everyone:
            assert len([m for m in user.messages if "Three quick questions" in m.content]) == 1
            # The early member's question 1 turned into question 2.
            question = "Question 2 ·" if user is early.user else "Question 1 ·"
            assert len([m for m in user.messages if question in m.content]) == 1


async def test_every_prompt_arrives_once_despite_thirty_percent_failures(
    tmp_path: Path, storage: StorageChoice
) -> None:
    async with BotApiSimulator() as sim:
        async with bot_for(tmp_path, sim, groups=2, per_group=12, flood_limits=False, storage=storage) as members:
            sim.faults = FaultPlan(
                seed=7,
                error_500_rate=0.08,
                error_502_rate=0.07,
                drop_rate=0.1,
                drop_after_rate=0.05,
                methods=("sendMessage", "editMessageText"),
            )
            supervisors = await open_all(sim, 2)
            everyone = [user for users in members.values() for user in users]
            drivers = [PatientDriver(user) for user in everyone]
            await asyncio.gather(*(driver.screen(timeout=30) for driver in drivers))
            # Every member answers and submits through the same faults.
            await asyncio.gather(
                *(d.answer(["v4", f"text:answer of {d.user.user_id}", "v1"]) for d in drivers[:12]),
            )
            await asyncio.gather(*(d.submit() for d in drivers[:12]))
            sim.faults = FaultPlan()
            await supervisors[0].send_command("close", "g0")
            await supervisors[0].wait_for_message(lambda m: "answered" in m.content, timeout=30)
            # The report is drawn after the close has committed: wait for it while the bot still runs.
            report_message = await supervisors[0].wait_for_message(is_html_report, timeout=30)
            await sim.wait_idle(timeout=30)
        injected = sim.stats.faults
        assert sum(injected.values()) >= 20
        duplicates = 0
        for user in everyone:
            intros = [m for m in user.messages if "Three quick questions" in m.content]
            assert intros, f"{user.user_id} got no intro"
            duplicates += len(intros) - 1
            duplicates += max(0, len([m for m in user.messages if "Question 1 ·" in m.content]) - 1)
        # The one allowed duplicate: Telegram executed the send but its reply was lost.
        assert duplicates <= injected["drop_after"]
        digest = "\n".join(m.content for m in supervisors[0].messages if "answered" in m.content)
        assert "12 of 12 answered" in digest
        report = html.unescape(file_text(sim, report_message))
        for driver in drivers[:12]:
            assert report.count(f"answer of {driver.user.user_id}") == 1


async def test_blocked_members_are_counted_for_the_supervisor_and_come_back_with_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, storage: StorageChoice
) -> None:
    monkeypatch.setattr(membership, "UNREACHABLE_NOTICE_DELAY", 0.5)
    async with (
        BotApiSimulator() as sim,
        bot_for(tmp_path, sim, groups=1, per_group=4, flood_limits=False, storage=storage) as members,
    ):
        first, second, *_ = members["g0"]
        first.block()  # Telegram tells the bot (my_chat_member)
        second.blocked = True  # the bot only learns from the 403 when it sends
        (supervisor,) = await open_all(sim, 1)
        notice = await supervisor.wait_for_message(lambda m: "cannot be reached" in m.content, timeout=10)
        await sim.wait_idle()
        assert not first.messages and not second.messages
        latest = [m.content for m in supervisor.messages if "cannot be reached" in m.content][-1]
        assert latest.startswith("2 members of Group 0 cannot be reached")
        for user in (first, second):
            assert user.first_name not in notice.content and str(user.user_id) not in latest

        await second.send_command("start")
        await second.wait_for_message(lambda m: "Welcome back" in m.content)
        await MemberDriver(second).screen()


@pytest.mark.sqlite_only  # holds SQLite's write lock; a lost PostgreSQL connection: test_storage_engines
async def test_a_delivery_recorded_while_the_database_is_busy_is_not_sent_again(
    tmp_path: Path, storage: StorageChoice
) -> None:
    # Telegram takes a second to answer; the database is locked by someone else in the meantime, for longer than
    # the bot waits for a lock: the sender must keep trying to record the delivery, not send it again.
    async with BotApiSimulator(faults=FaultPlan(latency=1.0, methods={"sendMessage"})) as sim:
        async with bot_for(tmp_path, sim, groups=1, per_group=1, flood_limits=False, storage=storage) as members:
            (user,) = members["g0"]
            await sim.users[supervisor_id(0)].send_command("open", "g0")
            database = sqlite3.connect(tmp_path / "kierros.sqlite3")
            async with asyncio.timeout(10):
                while not database.execute("SELECT 1 FROM outbox WHERE in_flight = 1").fetchone():  # noqa: ASYNC110
                    await asyncio.sleep(0.01)
            database.close()
            async with database_held(tmp_path / "kierros.sqlite3"):
                await asyncio.sleep(6.5)
            await user.wait_for_message(lambda m: "Question 1 ·" in m.content, timeout=15, after=0)
            await sim.wait_idle(timeout=15)
        assert len([m for m in user.messages if "Three quick questions" in m.content]) == 1
        assert len([m for m in user.messages if "Question 1 ·" in m.content]) == 1


async def test_a_press_on_a_question_whose_reply_was_lost_turns_that_message_into_the_next(
    tmp_path: Path, storage: StorageChoice
) -> None:
    """Telegram delivered the first question but its reply to the bot was lost, and the member pressed an answer
    before the bot's retry. The press proves the message arrived: it becomes the next question, and the first
    question is not sent a second time (before, a copy came after the press, the copy became the next question and
    the message pressed on kept its live buttons)."""
    async with BotApiSimulator() as sim:
        async with bot_for(tmp_path, sim, groups=1, per_group=1, flood_limits=False, storage=storage) as members:
            member = members["g0"][0]
            # The intro goes through; the question arrives but its reply is lost; its retries fail until the press.
            sim.faults = FaultPlan(methods=("sendMessage",), chats=[member.user_id], script=[None, "drop_after"])
            sim.faults.script += ["502"] * 50
            await open_all(sim, 1)
            question = await MemberDriver(member).screen(timeout=15)
            await member.press(
                next(b.data for b in question.flat_buttons if b.data.endswith(":v4")), question.message_id
            )
            turned = await member.wait_for_message(
                lambda m: m.message_id == question.message_id and m.content.startswith("✓ Energy? → 4/5"), timeout=15
            )
            sim.faults = FaultPlan()
            await sim.wait_idle(timeout=15)
            await asyncio.sleep(1.5)  # the time the sender's retries took to come back before
            await sim.wait_idle(timeout=15)
        assert first_questions(member) == [turned.content]
        assert [m.message_id for m in member.messages] == [1, question.message_id]
