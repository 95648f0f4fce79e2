"""Receiving updates, end to end: an update delivered twice, a button pressed twice, edited answers, a minute-long
network loss in miniature, and odd or hostile input — with the real bot over HTTP against the simulator."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from botsim import BotApiSimulator
from botsim.users import SimUser
from checkins.messages import Screen
from handlers.application import build_application, running
from handlers.context import SERVICES_KEY, Services
from tests.conftest import StorageChoice
from tests.crowd import PatientDriver, database_held, seed_members, supervisor_id, write_crowd_config
from tests.test_round_e2e import latest_report


@contextlib.asynccontextmanager
async def one_group(
    tmp_path: Path, sim: BotApiSimulator, storage: StorageChoice, members: int = 3
) -> AsyncIterator[tuple[Services, list]]:
    config = write_crowd_config(tmp_path, 1, flood_limits=False, storage_url=storage.url)
    users = (await seed_members(config, sim, members))["g0"]
    application = build_application(config, sim.token, base_url=sim.base_url)
    async with running(application):
        supervisor = sim.users[supervisor_id(0)]
        await supervisor.send_command("open", "g0")
        drivers = [PatientDriver(user) for user in users]
        for driver in drivers:
            await driver.screen()
        yield application.bot_data[SERVICES_KEY], drivers


async def close_and_read(sim: BotApiSimulator) -> str:
    supervisor = sim.users[supervisor_id(0)]
    await supervisor.send_command("close", "g0")
    await supervisor.wait_for_message(lambda m: "answered" in m.content, timeout=10)
    report = await latest_report(sim, supervisor)
    await sim.wait_idle()
    return "\n".join(m.content for m in supervisor.messages if "answered" in m.content) + "\n" + report


def replies(user: SimUser, text: str) -> int:
    return len([m for m in user.messages if text in m.content])


async def test_an_update_delivered_again_changes_nothing(
    sim: BotApiSimulator, tmp_path: Path, storage: StorageChoice
) -> None:
    async with one_group(tmp_path, sim, storage) as (_, (member, *_)):
        press = await member.user.press(member.current_screen().flat_buttons[2].data)  # 3 on the scale
        await member.screen()
        sim.updates.redeliver(press)
        written = await member.user.send_text("first thoughts")
        await member.screen()
        sim.updates.redeliver(written)
        await sim.wait_idle()
        # Had the repeats been handled, the press would have been stale and the text added to the answer twice.
        assert replies(member.user, "Please answer with the buttons") == 0
        assert replies(member.user, "no longer active") == 0
        # The answered question became the text question (its answer on the first line), then the echo of the text.
        assert [m.content.split("\n")[0] for m in member.user.messages][1:] == [
            "✓ Energy? → 3/5",
            "Question 2 · at most 1 to go",  # the echo of the text, with Next under it
        ]
        assert member.user.messages[-1].content.count("first thoughts") == 1


async def test_a_press_acknowledged_too_late_still_counts_and_is_no_error(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, storage: StorageChoice
) -> None:
    """Telegram refuses to acknowledge a press after 15 s (a press redelivered after a restart, or one behind a long
    burst): the press still counts, and the log says so in one line, without an error or a traceback."""
    async with (
        BotApiSimulator(callback_timeout=0.0) as sim,
        one_group(tmp_path, sim, storage, members=1) as (_, (member,)),
    ):
        with caplog.at_level(logging.INFO, logger="handlers"):
            assert "Question 2 ·" in (await member.act("v3")).content
            await sim.wait_idle()
    assert "the button press was handled too late to acknowledge it" in caplog.text
    assert [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR] == []


@pytest.mark.sqlite_only  # holds SQLite's write lock; a lost PostgreSQL connection: test_storage_engines
async def test_a_press_that_meets_a_busy_database_is_handled_once_it_frees(
    sim: BotApiSimulator, tmp_path: Path, caplog: pytest.LogCaptureFixture, storage: StorageChoice
) -> None:
    async with one_group(tmp_path, sim, storage, members=1) as (services, (member,)):
        question = member.current_screen()
        await sim.wait_idle()
        async with database_held(tmp_path / "kierros.sqlite3"):
            await member.user.press(question.flat_buttons[3].data, message_id=question.message_id)  # 4
            await asyncio.sleep(6)  # longer than the bot waits for a lock (5 s)
            assert member.current_screen().message_id == question.message_id
        assert "Question 2 ·" in (await member.screen()).content
        assert "the database is busy; it is handled again shortly" in caplog.text
        # The question turned into the next one once: no second copy of either.
        assert replies(member.user, "Question 2 ·") == 1 and replies(member.user, "Question 1 ·") == 0
        async with services.store.transaction() as store:
            round_row = await store.open_round("g0")
            member_row = await store.member_by_telegram_id(member.user.user_id)
            assert round_row is not None and member_row is not None
            drafts, _ = await store.drafts(round_row.id, member_row.id)
        assert drafts == {"energy": 4}


async def test_a_button_pressed_twice_quickly_counts_once(
    sim: BotApiSimulator, tmp_path: Path, storage: StorageChoice
) -> None:
    async with one_group(tmp_path, sim, storage) as (_, (member, *_)):
        screen = member.current_screen()
        await member.user.press(screen.flat_buttons[3].data, message_id=screen.message_id)
        await member.user.press(screen.flat_buttons[3].data, message_id=screen.message_id)
        await member.screen()
        await sim.wait_idle()
        assert replies(member.user, "Question 2 ·") == 1
        # Both presses were answered at once: the second with a note that the button is no longer active.
        answers = member.user.callback_answers
        assert len(answers) == 2 and "no longer active" in (answers[1].text or "")


async def test_an_edited_answer_counts_until_submitted(
    sim: BotApiSimulator, tmp_path: Path, storage: StorageChoice
) -> None:
    async with one_group(tmp_path, sim, storage) as (_, drivers):
        member = drivers[0]
        await member.act("v4")
        written = await member.user.send_text("first version")
        await member.screen()
        await member.user.edit_text(written["message"]["message_id"], "second version")
        await member.user.wait_for_message(lambda m: "was updated" in m.content)
        await member.act("n")
        await member.act("v1")
        assert "second version" in member.current_screen().content
        await member.submit()
        await member.user.edit_text(written["message"]["message_id"], "third version")
        await member.user.wait_for_message(lambda m: "did not change them" in m.content)
        for other in drivers[1:]:
            await other.answer(["v3", "text:other", "v0"])
            await other.submit()
        digest = await close_and_read(sim)
        assert "second version" in digest
        assert "first version" not in digest and "third version" not in digest
        await member.user.edit_text(written["message"]["message_id"], "after close")
        await member.user.wait_for_message(lambda m: "not an answer to an open check-in" in m.content)


async def test_network_loss_is_survived_and_logged_once(
    sim: BotApiSimulator, tmp_path: Path, storage: StorageChoice
) -> None:
    watch = LogWatch()
    logging.getLogger("handlers").addHandler(watch)
    try:
        async with one_group(tmp_path, sim, storage) as (services, (member, *_)):
            sim.faults.network_down = True
            await member.user.press(member.current_screen().flat_buttons[1].data)
            async with services.store.transaction():
                await services.outbox.send(member.user.user_id, Screen("queued while offline"))
            services.outbox.wake()
            await watch.wait_for("polling: failing", "outbox delivery: failing")
            assert not [m for m in member.user.messages if "queued while offline" in m.content]
            sim.faults.network_down = False
            await member.user.wait_for_message(lambda m: "queued while offline" in m.content, timeout=20)
            await member.screen()
    finally:
        logging.getLogger("handlers").removeHandler(watch)
    for what in ("polling", "outbox delivery"):
        lines = [line for line in watch.lines if line.startswith(f"{what}:")]
        assert len([line for line in lines if line.startswith(f"{what}: failing")]) == 1, lines
        assert len([line for line in lines if line.startswith(f"{what}: works again")]) == 1, lines


class LogWatch(logging.Handler):
    """The bot's log lines, with a way to wait for one (logging itself has nothing to await)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []
        self.changed = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())
        self.changed.set()

    async def wait_for(self, *starts: str) -> None:
        async with asyncio.timeout(15):
            while not all(any(line.startswith(start) for line in self.lines) for start in starts):
                self.changed.clear()
                await self.changed.wait()


HOSTILE_ANSWER = "<b>&amp; </b> <script> \u200b\u200f\u202e עברית 🙂👩‍⚕️ 'quotes' \"double\""


async def test_odd_and_hostile_input_gets_friendly_answers_and_reaches_the_digest_intact(
    sim: BotApiSimulator, tmp_path: Path, caplog: pytest.LogCaptureFixture, storage: StorageChoice
) -> None:
    async with one_group(tmp_path, sim, storage) as (_, drivers):
        member = drivers[0]
        await member.act("v2")
        user = member.user
        await user.send_text("x" * 10_000)
        await user.wait_for_message(lambda m: "longer than this question allows" in m.content)
        await user.send_text(" \u200b ")
        await user.send_photo(caption="my answer as a caption")
        await user.wait_for_message(lambda m: "only save text answers" in m.content)
        for command, argument in (("open", "../../etc <b>"), ("start", "A" * 300), ("close", "💥"), ("help", "x y")):
            await user.send_command(command, argument)
        await sim.wait_idle()
        await member.write(HOSTILE_ANSWER)
        await member.act("v1")
        await member.submit()
        for other in drivers[1:]:
            await other.answer(["v3", "text:fine", "v0"])
            await other.submit()
        digest = await close_and_read(sim)
    # Escaped on the way, intact on screen; the digest drops invisible direction and zero-width marks.
    assert "<b>&amp; </b> <script>" in digest and "עברית 🙂" in digest and "'quotes' \"double\"" in digest
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
